"""The refund journal's records (the port the refunds service writes through)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pos.domain.refunds import PaidPart, RefundableLine, RefundPart, RefundReceipt
from pos.domain.tender import TenderKind

from .requests import CreateRefund
from .states import RefundState


@dataclass(frozen=True)
class RefundBasis:
    """What a receipt can still give back."""

    receipt_id: int
    receipt_no: int
    till_id: str
    currency: str
    total_minor: int
    refunded_minor: int  # succeeded and still-unanswered refunds
    payment_intent: str | None  # one card paid it all; None for cash and split sales
    lines: tuple[RefundableLine, ...]
    tax_minor: int = 0  # the receipt's tax
    tax_refunded_minor: int = 0  # given back by succeeded and still-unanswered refunds
    parts: tuple[PaidPart, ...] = ()  # the tenders that paid, with what is left of each
    intents: tuple[tuple[int, str], ...] = ()  # (tender id, PaymentIntent) of each card part

    def intent_of(self, tender_id: int) -> str:
        return dict(self.intents)[tender_id]

    @property
    def remaining_minor(self) -> int:
        return self.total_minor - self.refunded_minor

    @property
    def remaining_tax_minor(self) -> int:
        return self.tax_minor - self.tax_refunded_minor


@dataclass(frozen=True)
class RefundRecord:
    id: int
    refund_key: str
    receipt_id: int
    state: RefundState
    amount_minor: int
    currency: str
    request: CreateRefund | None  # as journaled before Stripe was asked; None when given in cash or store credit
    created_at: str
    refund_no: int | None = None
    stripe_refund: str | None = None
    message: str | None = None
    rounding_minor: int = 0  # cash: handed back less amount_minor (the store's cash rounding)
    # How it is given back, as journaled (card through Stripe, cash from the drawer, store credit as
    # a code); None: not said, read from the request (see `given`).
    given_as: TenderKind | None = None
    tender_id: int | None = None  # the tender it gives back (a gift card piece: whose card)

    @property
    def given(self) -> TenderKind:
        """How it is given back: as journaled, or for a record that does not say, cash when Stripe is
        asked nothing (the rule before store credit, which every older record follows)."""
        if self.given_as is not None:
            return self.given_as
        return TenderKind.CASH if self.request is None else TenderKind.CARD

    @property
    def cash_minor(self) -> int:
        """The cash a cash piece hands back (nothing for a card or store-credit piece)."""
        return self.amount_minor + self.rounding_minor if self.given is TenderKind.CASH else 0


class RefundJournal(Protocol):
    def basis(self, receipt_id: int) -> RefundBasis: ...
    def begin_refund(
        self,
        basis: RefundBasis,
        lines: dict[int, int],
        pieces: list[tuple[RefundPart, CreateRefund, int]],
        written_off: frozenset[int] = frozenset(),  # line numbers not put back in stock
    ) -> list[RefundRecord]: ...
    def finish_refund(
        self, refund_id: int, stripe_refund: str | None, store_credit_code: str | None = None
    ) -> RefundReceipt: ...
    def fail_refund(self, refund_id: int, message: str) -> None: ...
    def unfinished_refunds(self) -> list[RefundRecord]: ...
    def is_recorded(self, refund_id: int) -> bool: ...
    def refunds_for_receipt(self, receipt_id: int) -> list[RefundRecord]: ...
    def refund_receipt(self, refund_id: int) -> RefundReceipt: ...
