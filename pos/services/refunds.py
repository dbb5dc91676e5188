"""Refunds through Stripe's Refund API, exactly once, like payments.

A refund is journaled (amount, lines, the exact parameters, a key) before
Stripe is asked; it gets its gapless refund number in the transaction that
records Stripe's yes. An unanswered refund is asked again with the same key,
which Stripe answers once; recovery does the same after a crash.
"""

from __future__ import annotations

from typing import Any

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from pos.domain.money import Money
from pos.domain.refunds import RefundError, RefundReceipt, lines_amount

from .crashpoints import crash_point
from .gateway import GatewayError, OutcomeUnknown, PaymentGateway, ProviderUnavailable, RequestRejected
from .refund_journal import RefundBasis, RefundJournal, RefundRecord
from .sales import KEY_WINDOW, StorageError

NOT_REFUNDED = "Nothing was refunded."


@dataclass(frozen=True)
class Refunded:
    refund: RefundReceipt


@dataclass(frozen=True)
class RefundFailed:
    message: str
    outcome_unknown: bool = False


def refund_key_for(refund_key: str) -> str:
    return f"pos-refund-{refund_key}"


def _rejection(exc: RequestRejected) -> str:
    if exc.code == "amount_too_large":
        return f"Stripe says the refund is more than what is left on this payment. {NOT_REFUNDED}"
    if exc.code == "charge_already_refunded":
        return f"This payment was already refunded in full. {NOT_REFUNDED}"
    return f"Stripe refused the refund: {exc} {NOT_REFUNDED}"


def refund_params(
    payment_intent: str, amount_minor: int, reason: str | None, refund_key: str, receipt_no: int, till_id: str
) -> dict[str, Any]:
    """What the till sends to Stripe's Refund API (stored in the refund journal before it is sent)."""
    return {
        "payment_intent": payment_intent,
        "amount": amount_minor,
        "reason": reason,
        "metadata": {"refund_key": refund_key, "receipt_no": str(receipt_no), "till_id": till_id},
    }


class Refunds:
    def __init__(self, journal: RefundJournal, gateway: PaymentGateway, till_id: str):
        self.journal = journal
        self.gateway = gateway
        self.till_id = till_id

    def refund(
        self,
        receipt_id: int,
        *,
        lines: dict[int, int] | None = None,
        amount: Money | None = None,
        reason: str = "requested_by_customer",
    ) -> Refunded | RefundFailed:
        """Refund some lines (units per line number) or an amount; never more than is left."""
        try:
            basis = self.journal.basis(receipt_id)
            if (lines is None) == (amount is None):
                raise RefundError("Choose the items to refund, or type an amount — one of the two.")
            if lines is not None:
                lines = {n: q for n, q in lines.items() if q > 0}
                minor = lines_amount(list(basis.lines), lines, basis.currency)
                if minor <= 0:
                    raise RefundError("Those items come to nothing to refund.")
            else:
                assert amount is not None  # exactly one of lines and amount, checked above
                if amount.currency != basis.currency:
                    raise RefundError(f"The receipt is in {basis.currency}.")
                minor = amount.minor
                if minor <= 0:
                    raise RefundError("The amount to refund must be more than zero.")
            if minor > basis.remaining_minor:
                left = Money(basis.remaining_minor, basis.currency)
                raise RefundError(f"That is more than what is left to refund on this receipt ({left}).")
            key = uuid.uuid4().hex
            params = refund_params(basis.payment_intent, minor, reason, key, basis.receipt_no, basis.till_id)
            record = self.journal.begin_refund(basis, minor, lines or {}, reason, params, key)
            crash_point("after_refund_recorded")
        except RefundError as exc:
            return RefundFailed(str(exc))
        except StorageError as exc:
            return RefundFailed(f"{exc} {NOT_REFUNDED}")
        return self._ask_stripe(record, retry_unknown=True)

    def _ask_stripe(self, record: RefundRecord, retry_unknown: bool) -> Refunded | RefundFailed:
        try:
            info = self.gateway.create_refund(record.params, refund_key_for(record.refund_key))
            crash_point("after_refund_sent")
        except OutcomeUnknown:
            if retry_unknown:
                # The same key: Stripe answers the first request's result, or makes the refund now.
                return self._ask_stripe(record, retry_unknown=False)
            return RefundFailed(
                "Could not reach Stripe to learn whether the refund went through. Do NOT "
                "refund again: the till checks by itself and will show it.",
                outcome_unknown=True,
            )
        except RequestRejected as exc:
            return self._fail(record, _rejection(exc))
        except (ProviderUnavailable, GatewayError) as exc:
            return self._fail(record, f"Stripe could not take the refund just now ({exc}). {NOT_REFUNDED} Try again.")
        if info.status in ("failed", "canceled"):
            return self._fail(record, f"The card's bank refused the refund. {NOT_REFUNDED}")
        try:
            return Refunded(self.journal.finish_refund(record.id, info.id))
        except StorageError as exc:
            return RefundFailed(
                f"The refund went through, but the till could not save it: {exc} Do NOT refund "
                "again; the till saves it as soon as it can write.",
                outcome_unknown=True,
            )

    def _fail(self, record: RefundRecord, message: str) -> RefundFailed:
        try:
            self.journal.fail_refund(record.id, message)
        except StorageError:
            pass  # still 'sent': recovery asks Stripe again with the same key and learns the same answer
        return RefundFailed(message)

    def basis(self, receipt_id: int) -> RefundBasis:
        """What can still be refunded on a receipt, line by line (for the refund dialog)."""
        return self.journal.basis(receipt_id)

    def receipts_of_refunds(self, receipt_id: int) -> list[RefundReceipt]:
        """The refund receipts printed against a receipt, oldest first (for reprints)."""
        return [
            self.journal.refund_receipt(record.id)
            for record in self.journal.refunds_for_receipt(receipt_id)
            if record.state == "succeeded"
        ]

    def recover(self, now: datetime | None = None) -> list[str]:
        """Settle refunds left unanswered (crash, network); returns what happened, for the cashier."""
        now = now or datetime.now(timezone.utc)
        messages = []
        for record in self.journal.unfinished_refunds():
            result: Refunded | RefundFailed | None
            if now - datetime.fromisoformat(record.created_at) < KEY_WINDOW:
                result = self._ask_stripe(record, retry_unknown=False)
            else:
                result = self._find(record)
            if isinstance(result, Refunded):
                messages.append(
                    f"Recovered refund {result.refund.refund_no:04d} of {result.refund.amount} "
                    f"for receipt {result.refund.receipt_no:04d}."
                )
            elif result is not None and not result.outcome_unknown:
                messages.append(
                    f"A refund of {Money(record.amount_minor, record.currency)} did not go through: {result.message}"
                )
        return messages

    def _find(self, record: RefundRecord) -> Refunded | RefundFailed | None:
        try:
            found = [
                r
                for r in self.gateway.list_refunds(record.params["payment_intent"])
                if (r.metadata or {}).get("refund_key") == record.refund_key
            ]
        except GatewayError:
            return None
        if found and found[0].status not in ("failed", "canceled"):
            return Refunded(self.journal.finish_refund(record.id, found[0].id))
        return self._fail(record, f"Stripe has no record of this refund. {NOT_REFUNDED}")
