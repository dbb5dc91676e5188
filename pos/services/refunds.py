"""Refunds through Stripe's Refund API, exactly once, like payments.

A refund is journaled (amount, lines, the typed request, a key) before
Stripe is asked; it gets its gapless refund number in the transaction that
records Stripe's yes. An unanswered refund is asked again with the same key,
which Stripe answers once; recovery runs the same phases (refund_phases.py) after a crash.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pos.domain.money import Money
from pos.domain.refunds import RefundError, amount_tax, lines_amount, lines_tax

from .crashpoints import crash_point
from .gateway import PaymentGateway
from .phases import settle
from .refund_journal import RefundBasis, RefundJournal
from .refund_phases import NOT_REFUNDED, RefundFailed, Refunded, RefundPhases, RefundResult
from .requests import CreateRefund, RefundReason
from .sales import StorageError

__all__ = ["RefundFailed", "Refunded", "Refunds"]


class Refunds:
    def __init__(self, journal: RefundJournal, gateway: PaymentGateway):
        self.journal = journal
        self.gateway = gateway

    def refund(
        self,
        receipt_id: int,
        *,
        lines: dict[int, int] | None = None,
        amount: Money | None = None,
        reason: RefundReason = "requested_by_customer",
    ) -> RefundResult:
        """Refund some lines (units per line number) or an amount; never more than is left."""
        try:
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
            if minor > basis.remaining_minor:
                left = Money(basis.remaining_minor, basis.currency)
                raise RefundError(f"That is more than what is left to refund on this receipt ({left}).")
            request = CreateRefund(
                basis.payment_intent,
                Money(minor, basis.currency),
                reason,
                uuid.uuid4().hex,
                basis.receipt_no,
                basis.till_id,
            )
            # Refunds by lines and by amount mixed on one receipt never give back more tax than is left.
            tax_back = max(0, min(tax_back, basis.remaining_tax_minor))
            record = self.journal.begin_refund(basis, lines or {}, request, tax_back)
            crash_point("after_refund_recorded")
        except RefundError as exc:
            return RefundFailed(str(exc))
        except StorageError as exc:
            return RefundFailed(f"{exc} {NOT_REFUNDED}")
        return settle(RefundPhases(self.journal, self.gateway), record)

    def basis(self, receipt_id: int) -> RefundBasis:
        """What can still be refunded on a receipt, line by line (for the refund dialog)."""
        return self.journal.basis(receipt_id)

    def recover(self, now: datetime | None = None) -> list[str]:
        """Settle refunds left unanswered (crash, network); returns what happened, for the cashier."""
        messages = []
        for record in self.journal.unfinished_refunds():
            result = settle(RefundPhases(self.journal, self.gateway, now), record)
            if isinstance(result, Refunded):
                messages.append(
                    f"Recovered refund {result.refund.refund_no:04d} of {result.refund.amount} "
                    f"for receipt {result.refund.receipt_no:04d}."
                )
            elif not result.outcome_unknown:
                messages.append(
                    f"A refund of {Money(record.amount_minor, record.currency)} did not go through: {result.message}"
                )
        return messages
