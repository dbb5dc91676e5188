"""Refunds through Stripe's Refund API, exactly once, like payments.

A refund is journaled (amount, lines, the typed request, a key) before
Stripe is asked; it gets its gapless refund number in the transaction that
records Stripe's yes. An unanswered refund is asked again with the same key,
which Stripe answers once; recovery runs the same phases (refund_phases.py) after a crash.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Protocol

from pos.domain.cash import CashError, rounding_step
from pos.domain.errors import PosError
from pos.domain.money import Money
from pos.domain.discounts import share
from pos.domain.refunds import (
    GIFT_CARD_KEPT,
    RefundError,
    RefundReceipt,
    amount_tax,
    gift_card_kept,
    lines_amount,
    lines_tax,
    plan_refund,
)
from pos.domain.tender import LEDGER_KINDS, TenderKind

from .crashpoints import crash_point
from .exchange_journal import ExchangeJournal, recover as recover_exchanges
from .gateway import PaymentGateway
from .phases import settle
from .refund_journal import RefundBasis, RefundJournal, RefundRecord
from .refund_phases import (
    NOT_REFUNDED,
    CashDrawer,
    CashOwed,
    GiftCardRefunds,
    RefundFailed,
    Refunded,
    RefundPhases,
    RefundResult,
)
from .requests import CreateRefund, RefundReason
from .returns import Returns
from .store_credit import StoreCreditLedger
from .sales import StorageError
from .tenders import RefundRoute, strategy

__all__ = ["CashOwed", "ClaimAnswer", "RefundClaims", "RefundFailed", "Refunded", "Refunds"]


@dataclass(frozen=True)
class ClaimAnswer:
    granted: bool
    left_minor: int = 0  # refused: what the shop says is left to refund
    away: str | None = None  # the shop did not answer (why); granted then only for this till's own receipt


class RefundClaims(Protocol):
    """A shop's tills claim an amount of a receipt at the shop before refunding it (adapters/shop/claims.py;
    docs/decisions/0009-refund-claims-at-the-shop.md), so two tills cannot both refund what is left."""

    def claim(self, receipt_id: int, pieces: list[tuple[str, int]]) -> ClaimAnswer: ...
    def release(self, keys: list[str]) -> None: ...


class Refunds:
    def __init__(
        self,
        journal: RefundJournal,
        gateway: PaymentGateway,
        claims: RefundClaims | None = None,
        cash_rounding: Callable[[], str] = lambda: "",
        drawer: CashDrawer | None = None,
        credit: StoreCreditLedger | None = None,
        gift_cards: GiftCardRefunds | None = None,
        returns: Returns | None = None,
        exchanges: ExchangeJournal | None = None,
    ):
        self.journal = journal
        self.gateway = gateway
        self.claims = claims  # None: a till on its own (no shop database)
        self.cash_rounding = cash_rounding  # the store's (Settings.cash_rounding): cash refunds follow it
        self.drawer = drawer  # opens for each cash piece before it is done (refund_phases); None: none to kick
        self.credit = credit  # where store credit is issued (services/store_credit.py); None: none given
        self.gift_cards = gift_cards  # where a gift card part goes back (services/tenders/gift_card.py)
        # Returns without a receipt (services/returns.py): settled and recovered with the refunds.
        self.returns = returns
        # Exchanges at the counter (services/exchanges.py): told after a crash, once their refunds are settled.
        self.exchanges = exchanges

    def cash_step(self, currency: str) -> int:
        """The store's cash rounding in minor units of `currency` (1: none), as cash is taken."""
        try:
            return rounding_step(self.cash_rounding(), currency)
        except CashError:
            return 1  # the settings refuse such a choice; an older one is read as no rounding (as the till does)

    def refund(
        self,
        receipt_id: int,
        *,
        lines: dict[int, int] | None = None,
        amount: Money | None = None,
        reason: RefundReason = "requested_by_customer",
        in_cash: bool = False,
        to_store_credit: bool = False,
        written_off: frozenset[int] = frozenset(),
        store_credit_minor: int = 0,
        credit_key: str | None = None,
    ) -> RefundResult:
        """Refund some lines (units per line number) or an amount; never more than is left.

        It goes back to the tenders that paid (domain.refunds.plan_refund): card parts through
        Stripe, each exactly once, cash parts from the drawer. `in_cash`: all of it from the
        drawer, card parts included (the cashier confirmed that with the customer). `to_store_credit`:
        all of it as one store-credit code (issued exactly once, refund_phases), none to the tenders;
        `store_credit_minor`: that much of it as the code, the rest to the tenders (an exchange);
        `credit_key`: the store-credit piece's key (the exchange's, so its recovery finds the code).
        `written_off`: the line numbers whose returned items do not go back to stock (the rest do)."""
        try:
            if in_cash and to_store_credit:
                raise RefundError("Give it back in cash or as store credit, not both.")
            if (to_store_credit or store_credit_minor) and self.credit is None:
                raise RefundError("This till cannot give store credit.")
            basis = self.journal.basis(receipt_id)
            if lines is not None and amount is None:
                lines = {n: q for n, q in lines.items() if q > 0}
                minor = lines_amount(list(basis.lines), lines, basis.currency)
                if minor <= 0:
                    raise RefundError("Those items come to nothing to refund.")
                tax_back = lines_tax(list(basis.lines), lines, basis.currency)
            elif amount is not None and lines is None:
                if amount.currency != basis.currency:
                    raise RefundError(f"The receipt is in {basis.currency}.")
                minor = amount.minor
                if minor <= 0:
                    raise RefundError("The amount to refund must be more than zero.")
                tax_back = amount_tax(basis.tax_minor, basis.total_minor, basis.refunded_minor, minor, basis.currency)
            else:
                raise RefundError("Choose the items to refund, or type an amount — one of the two.")
            kept = gift_card_kept(list(basis.lines), lines)
            if minor > basis.remaining_minor - kept:
                left = Money(max(0, basis.remaining_minor - kept), basis.currency)
                said = f"That is more than what is left to refund on this receipt ({left})."
                raise RefundError(f"{said} {GIFT_CARD_KEPT}" if kept and minor <= basis.remaining_minor else said)
            # Refunds by lines and by amount mixed on one receipt never give back more tax than is left.
            tax_back = max(0, min(tax_back, basis.remaining_tax_minor))
            plan = plan_refund(
                list(basis.parts),
                minor,
                in_cash=in_cash,
                cash_step=self.cash_step(basis.currency),
                currency=basis.currency,
                to_store_credit=to_store_credit,
                store_credit_minor=store_credit_minor,
            )
            for part in plan:
                # Checked before anything is claimed or journaled: a piece that cannot reach its card
                # would stay sent for good (found by the model-based test, issue 24). Another till's
                # receipt goes back onto its code through the shop's ledger when the shop is reachable.
                if part.given_as in LEDGER_KINDS and part.tender_id is not None:
                    if self.gift_cards is None:
                        # "In cash" keeps such a part on its code too (domain.refunds.plan_refund).
                        raise RefundError(
                            f"Part of this receipt was paid by {part.given_as.words.lower()}, which goes back "
                            f"onto its code only at till {basis.till_id}, where it was taken. Refund it there, "
                            "or give it as store credit."
                        )
                    try:
                        self.gift_cards.check_refundable(part.tender_id, Money(part.amount_minor, basis.currency))
                    except PosError as exc:
                        raise RefundError(str(exc)) from None
            taxes = share(tax_back, [p.amount_minor for p in plan], basis.currency) if len(plan) > 1 else [tax_back]
            pieces = []
            for part, tax_part in zip(plan, taxes, strict=True):
                request = CreateRefund(
                    basis.intent_of(part.tender_id)
                    if strategy(part.given_as).refund is RefundRoute.STRIPE and part.tender_id is not None
                    else "",
                    Money(part.amount_minor, basis.currency),
                    reason,
                    credit_key if credit_key and part.tender_id is None else uuid.uuid4().hex,
                    basis.receipt_no,
                    basis.till_id,
                )
                pieces.append((part, request, tax_part))
            keys = [request.refund_key for _part, request, _tax in pieces]
            note = self._claim(basis, [(request.refund_key, request.amount.minor) for _p, request, _t in pieces])
            try:
                records = self.journal.begin_refund(basis, lines or {}, pieces, written_off)
            except (RefundError, StorageError):
                self._release(keys)
                raise
            crash_point("after_refund_recorded")
        except RefundError as exc:
            return RefundFailed(str(exc))
        except StorageError as exc:
            return RefundFailed(f"{exc} {NOT_REFUNDED}")
        # The drawer opens for each cash piece before it is done (refund_phases).
        return self._settle_at_drawer(records, note)

    def _settle_at_drawer(self, records: list[RefundRecord], note: str | None = None) -> RefundResult:
        phases = RefundPhases(
            self.journal,
            self.gateway,
            at_drawer=True,
            drawer=self.drawer,
            credit=self.credit,
            gift_cards=self.gift_cards,
        )
        results = [settle(phases, record) for record in records]
        done = [r.refund for r in results if isinstance(r, Refunded)]
        failed = [r for r in results if isinstance(r, (RefundFailed, CashOwed))]
        # A piece that did not go through gives its claim back (not one whose outcome is unknown).
        self._release(
            [
                record.refund_key
                for record, result in zip(records, results, strict=True)
                if isinstance(result, RefundFailed) and not result.outcome_unknown
            ]
        )
        if not done:
            return failed[0]
        problem = None
        if failed:
            given = ", ".join(f"{r.handed_back} {given_to(r)}" for r in done)
            problem = f"Only part of the refund went through ({given}): {failed[0].message}"
        if note:
            problem = f"{problem} {note}" if problem else note
        return Refunded(done[0], tuple(done[1:]), problem)

    def _claim(self, basis: RefundBasis, pieces: list[tuple[str, int]]) -> str | None:
        """Claim the refund at the shop database; RefundError when the shop says no (or cannot say, for
        another till's receipt). The note for the cashier when the till went ahead on what it knows."""
        if self.claims is None:
            return None
        answer = self.claims.claim(basis.receipt_id, pieces)
        if answer.away is not None:
            if not answer.granted:
                raise RefundError(
                    f"The shop database is unreachable, and only it knows what other tills refunded on this "
                    f"receipt. {NOT_REFUNDED} Try again when it answers."
                )
            return (
                "The shop database is unreachable: this till refunded on what it knows of this receipt; "
                "the shop checks it against the other tills when it answers."
            )
        if not answer.granted:
            left = Money(answer.left_minor, basis.currency)
            if answer.left_minor <= 0:
                raise RefundError(
                    f"Nothing is left to refund on this receipt: other tills refunded it (or are doing so now). "
                    f"{NOT_REFUNDED}"
                )
            raise RefundError(f"Other tills refunded part of this receipt: only {left} is left. {NOT_REFUNDED}")
        return None

    def _release(self, keys: list[str]) -> None:
        if self.claims is not None and keys:
            self.claims.release(keys)

    def basis(self, receipt_id: int) -> RefundBasis:
        """What can still be refunded on a receipt, line by line (for the refund dialog)."""
        return self.journal.basis(receipt_id)

    def cash_owed(self) -> list[RefundRecord]:
        """Cash pieces of refunds that no drawer opened for yet (left by a crash): owed to customers."""
        return [r for r in self.journal.unfinished_refunds() if r.given is TenderKind.CASH]

    def hand_over_cash(self, receipt_id: int) -> RefundResult:
        """The cashier hands over the cash still owed on a receipt: the same phase as the first pass,
        at the drawer (which opens for each piece before it is done)."""
        owed = [r for r in self.cash_owed() if r.receipt_id == receipt_id]
        if not owed:
            return RefundFailed("No cash is owed on this receipt.")
        return self._settle_at_drawer(owed)

    def recover(self, now: datetime | None = None) -> list[str]:
        """Settle refunds left unanswered (crash, network), then returns without a receipt; what happened,
        for the cashier."""
        messages = []
        for record in self.journal.unfinished_refunds():
            if not self.journal.is_recorded(record.id):
                # Written behind the till's back (no audit event records it as asked for): never completed.
                messages.append(
                    f"A refund of {Money(record.amount_minor, record.currency)} waiting in the journal is in no "
                    "audit event, so it was not completed. Run `pos audit verify`."
                )
                continue
            phases = RefundPhases(self.journal, self.gateway, now, credit=self.credit, gift_cards=self.gift_cards)
            result = settle(phases, record)
            if isinstance(result, CashOwed):
                receipt_no = self.journal.basis(record.receipt_id).receipt_no
                messages.append(
                    f"Hand over {result.amount} in cash for receipt {receipt_no:04d}: a refund stopped before "
                    "the drawer opened for it. Open the receipt's refund and press Hand over cash."
                )
            elif isinstance(result, Refunded):
                messages.append(
                    f"Recovered refund {result.refund.refund_no:04d} of {result.refund.amount} "
                    f"for receipt {result.refund.receipt_no:04d}."
                )
            elif not result.outcome_unknown:
                messages.append(
                    f"A refund of {Money(record.amount_minor, record.currency)} did not go through: {result.message}"
                )
            else:
                # Not known yet whether Stripe made it: said, as a sale in that state is, never passed over.
                receipt_no = self.journal.basis(record.receipt_id).receipt_no
                messages.append(
                    f"The refund of {Money(record.amount_minor, record.currency)} for receipt {receipt_no:04d} "
                    f"could not be settled yet: {result.message}"
                )
        if self.returns is not None:
            messages += self.returns.recover()
        if self.exchanges is not None:
            messages += recover_exchanges(self.exchanges)
        return messages

    def unsettled(self) -> bool:
        """A refund is still open: cash owed at the drawer, or a card refund Stripe has not answered."""
        return bool(self.journal.unfinished_refunds()) or (self.returns is not None and self.returns.unsettled())


def given_to(refund: RefundReceipt) -> str:
    """Where a refund piece went, in the cashier's words."""
    if refund.store_credit_code:
        return f"as store credit (code {refund.store_credit_code})"
    return "in cash" if refund.in_cash else "to the card"
