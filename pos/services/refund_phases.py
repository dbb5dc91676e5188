"""A refund's phases: journaled as sent, then Stripe asked with the refund's own key.

    sent        given in cash, at the drawer (the first pass, or the cashier handing it over
                now): the drawer opens for the piece (the opening recorded), then the piece is
                done (numbered), in the order of the refund's pieces; a drawer that did not open
                leaves it owed. No printer set up: no drawer to kick, the piece is done (the
                cashier opens the drawer by key, as for a sale). Recovery has no drawer: the
                piece stays sent (counted as owed on the receipt, not as cash out) and the
                cashier is told to hand it over.
                a card piece, within 23 h: ask Stripe (same key, same request; one retry if no answer),
                later: find it among the payment's refunds by its refund_key metadata
                store credit: the credit is issued under the piece's refund_key (the ledger
                gives the same code when asked again with it), then the piece is done
                (numbered); recovery does the same, so a crash anywhere leaves one code
    succeeded   the numbered refund receipt (written with Stripe's yes)
    failed      what Stripe said; nothing was refunded

The first pass (`Refunds.refund`) and recovery (`Refunds.recover`) both run
these through `phases.settle`, so a refund picked up after a crash does exactly
what its first pass would have done from the same point.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Protocol

from pos.domain.errors import PosError
from pos.domain.money import Money
from pos.domain.refunds import RefundReceipt
from pos.domain.tender import LEDGER_KINDS, TenderKind

from .crashpoints import crash_point
from .gateway import GatewayError, OutcomeUnknown, PaymentGateway, RequestRejected
from .giftcards import GivenBackAlready
from .phases import Next, Phases
from .receipt_printing import Printed
from .refund_journal import RefundJournal, RefundRecord
from .requests import CreateRefund
from .sales import KEY_WINDOW, JournalIntegrityError, StorageError
from .states import RefundState
from .store_credit import StoreCreditLedger

NOT_REFUNDED = "Nothing was refunded."


@dataclass(frozen=True)
class Refunded:
    refund: RefundReceipt  # the first (or only) piece
    # Every piece, when the refund went back to several tenders (a card and cash, two cards).
    more: tuple[RefundReceipt, ...] = ()
    problem: str | None = None  # a piece that did not go through (the others did)

    @property
    def refunds(self) -> tuple[RefundReceipt, ...]:
        return (self.refund, *self.more)


@dataclass(frozen=True)
class RefundFailed:
    message: str
    outcome_unknown: bool = False


@dataclass(frozen=True)
class CashOwed:
    """A cash piece of a refund that no drawer opened for yet: still owed to the customer."""

    record: RefundRecord
    why: str = ""  # the drawer did not open for it (the printer's words)

    @property
    def amount(self) -> Money:
        return Money(self.record.cash_minor, self.record.currency)

    @property
    def message(self) -> str:
        said = f"{self.amount} in cash is still to be handed over; no cash left the drawer for it yet."
        return f"{self.why} {said} Press Hand over cash when the drawer can open." if self.why else said


RefundResult = Refunded | RefundFailed | CashOwed
Step = Next[RefundRecord] | RefundResult


class CashDrawer(Protocol):
    """Opens the drawer for cash handed back (services.receipt_printing.Printing): the opening is
    recorded whatever happened, before it returns."""

    @property
    def configured(self) -> bool: ...
    def open_drawer(self, reason: str) -> object: ...


def refund_key_for(refund_key: str) -> str:
    return f"pos-refund-{refund_key}"


class GiftCardRefunds(Protocol):
    """Where a gift card piece of a refund goes back (services/tenders/gift_card.GiftCardPayments)."""

    def refund_to_card(self, tender_id: int, amount: Money, key: str) -> None: ...
    def check_refundable(self, tender_id: int, amount: Money | None = None) -> None: ...


class RefundPhases(Phases[RefundRecord, RefundResult]):
    def __init__(
        self,
        journal: RefundJournal,
        gateway: PaymentGateway,
        now: datetime | None = None,
        *,
        at_drawer: bool = False,
        drawer: CashDrawer | None = None,
        credit: StoreCreditLedger | None = None,
        gift_cards: GiftCardRefunds | None = None,
    ):
        """`at_drawer`: a cashier is at the till and its drawer opens for each cash piece done here
        (the refund dialog, through `drawer`); recovery runs without, so it never marks cash as handed over."""
        self.journal, self.gateway = journal, gateway
        self.now = now or datetime.now(timezone.utc)
        self.at_drawer = at_drawer
        self.drawer = drawer
        self.credit = credit  # where store credit is issued; None: this till gives none
        self.gift_cards = gift_cards  # where a gift card part goes back; None: this till takes none

    def phase(self, record: RefundRecord) -> Callable[[RefundRecord], Step]:
        return {
            RefundState.SENT: self._from_sent,
            RefundState.SUCCEEDED: self._from_succeeded,
            RefundState.FAILED: self._from_failed,
        }[record.state]

    def _from_sent(self, record: RefundRecord) -> Step:
        if record.given is TenderKind.STORE_CREDIT and record.tender_id is None:
            return self._issue_credit(record)  # a new code (a refund to store credit)
        if record.given in LEDGER_KINDS:
            return self._back_on_card(record)  # back onto the gift card or store credit code that paid
        if record.request is None:
            if not self.at_drawer:
                return CashOwed(record)  # no drawer opened for it: it stays owed, and the cashier is told
            # The drawer opens first (its opening recorded), then the piece is done: a crash between
            # leaves it owed with the opening on record, never done with no drawer opened.
            if self.drawer is not None and self.drawer.configured:
                opened = self.drawer.open_drawer(f"cash refund for receipt {self._receipt_no(record):04d}")
                if not isinstance(opened, Printed):
                    return CashOwed(record, getattr(opened, "message", ""))
                crash_point("after_refund_drawer_opened")
            # Given back from the drawer: nothing to ask anyone, so it is done (and numbered) now.
            return self._succeeded(record, None)
        if self.now - datetime.fromisoformat(record.created_at) < KEY_WINDOW:
            return self._ask(record, retry_unknown=True)
        return self._find(record)

    def _issue_credit(self, record: RefundRecord) -> Step:
        """Issue the credit under the piece's key (the same code if it was issued before), then number it."""
        if self.credit is None:
            return RefundFailed(f"This till cannot give store credit. {NOT_REFUNDED}")
        try:
            code = self.credit.issue(record.refund_key, Money(record.amount_minor, record.currency))
        except (StorageError, PosError) as exc:
            # Still sent: issued or not, the next pass (or recovery) asks with the same key.
            return RefundFailed(
                f"The store credit could not be saved just now: {exc} The till finishes it by itself.",
                outcome_unknown=True,
            )
        crash_point("after_store_credit_issued")
        return self._succeeded(record, None, code)

    def _back_on_card(self, record: RefundRecord) -> Step:
        """The piece back onto the gift card that paid (a refund_to_card entry under the piece's key:
        once however often this runs), then numbered."""
        if self.gift_cards is None or record.tender_id is None:
            return RefundFailed(f"This till cannot give back to a gift card. {NOT_REFUNDED}")
        try:
            amount = Money(record.amount_minor, record.currency)
            self.gift_cards.refund_to_card(record.tender_id, amount, record.refund_key)
        except GivenBackAlready as exc:
            # Another till gave the part back onto the card meanwhile (the ledger added them up under
            # the card's lock): nothing was credited for this piece, and nothing will be.
            return self._fail(record, f"{exc} {NOT_REFUNDED}")
        except (StorageError, PosError) as exc:
            # Still sent: credited or not, the next pass (or recovery) asks with the same key.
            return RefundFailed(
                f"The gift card could not be credited just now: {exc} The till finishes it by itself.",
                outcome_unknown=True,
            )
        crash_point("after_gift_card_credited")
        return self._succeeded(record, None)

    def _receipt_no(self, record: RefundRecord) -> int:
        return self.journal.basis(record.receipt_id).receipt_no

    def _from_succeeded(self, record: RefundRecord) -> Step:
        return Refunded(self.journal.refund_receipt(record.id))

    def _from_failed(self, record: RefundRecord) -> Step:
        return RefundFailed(record.message or NOT_REFUNDED)

    def _ask(self, record: RefundRecord, retry_unknown: bool) -> Step:
        try:
            info = self.gateway.create_refund(_request(record), refund_key_for(record.refund_key))
            crash_point("after_refund_sent")
        except OutcomeUnknown:
            if retry_unknown:
                # The same key: Stripe answers the first request's result, or makes the refund now.
                return self._ask(record, retry_unknown=False)
            return RefundFailed(
                "Could not reach Stripe to learn whether the refund went through. Do NOT "
                "refund again: the till checks by itself and will show it.",
                outcome_unknown=True,
            )
        except RequestRejected as exc:
            return self._fail(record, _rejection(exc))
        except GatewayError as exc:  # Stripe said it did not process it (busy, key refused)
            return self._fail(record, f"Stripe could not take the refund just now ({exc}). {NOT_REFUNDED} Try again.")
        if info.status.refused:
            return self._fail(record, f"The card's bank refused the refund. {NOT_REFUNDED}")
        return self._succeeded(record, info.id)

    def _find(self, record: RefundRecord) -> Step:
        """Past the key window: the refund is found by its refund_key metadata, or it was never made."""
        try:
            found = [
                r
                for r in self.gateway.list_refunds(_request(record).payment_intent)
                if (r.metadata or {}).get("refund_key") == record.refund_key
            ]
        except GatewayError:
            return RefundFailed("Stripe did not answer; the till asks again later.", outcome_unknown=True)
        if found and not found[0].status.refused:
            return self._succeeded(record, found[0].id)
        return self._fail(record, f"Stripe has no record of this refund. {NOT_REFUNDED}")

    def _succeeded(self, record: RefundRecord, stripe_refund: str | None, credit_code: str | None = None) -> Step:
        try:
            if credit_code is not None:
                return Refunded(self.journal.finish_refund(record.id, stripe_refund, credit_code))
            return Refunded(self.journal.finish_refund(record.id, stripe_refund))
        except StorageError as exc:
            return RefundFailed(
                f"The refund went through, but the till could not save it: {exc} Do NOT refund "
                "again; the till saves it as soon as it can write.",
                outcome_unknown=True,
            )

    def _fail(self, record: RefundRecord, message: str) -> Step:
        try:
            self.journal.fail_refund(record.id, message)
        except StorageError:
            pass  # still 'sent': recovery asks Stripe again with the same key and learns the same answer
        return RefundFailed(message)


def _request(record: RefundRecord) -> CreateRefund:
    """What Stripe is asked; only card refunds are ever sent (cash ones are done when journaled)."""
    if record.request is None:
        raise JournalIntegrityError(f"refund {record.id} is waiting for Stripe but was given in cash or store credit")
    return record.request


def _rejection(exc: RequestRejected) -> str:
    if exc.code == "amount_too_large":
        return f"Stripe says the refund is more than what is left on this payment. {NOT_REFUNDED}"
    if exc.code == "charge_already_refunded":
        return f"This payment was already refunded in full. {NOT_REFUNDED}"
    return f"Stripe refused the refund: {exc} {NOT_REFUNDED}"
