"""Every state the payment machine writes or reads, as enums.

The values are what the journal's tables hold (and what Stripe sends, for the
provider's statuses), so a `StrEnum` member compares equal to the stored text
and old journals read unchanged.
"""

from __future__ import annotations

from enum import StrEnum


class SaleState(StrEnum):
    """A sale's recovery point: the last step committed before (or after) a Stripe call."""

    STARTED = "started"  # cart snapshot and create request recorded; no intent id yet
    INTENT_CREATED = "intent_created"  # the intent exists; no confirm is out
    CONFIRM_SENT = "confirm_sent"  # a confirm was (or is being) sent; its answer decides
    # The intent was (or is being) handed to a card reader; the reader's action and the intent decide.
    READER_SENT = "reader_sent"
    PAID = "paid"  # receipt written in the same transaction
    ABANDONED = "abandoned"  # closed without payment (cart changed, cancelled, resumed elsewhere)
    PARKED = "parked"  # closed without payment, the cart kept to resume
    # A sale paid in several tenders: its own intent (if any) cancelled, its parts in `tenders`,
    # each card part a sale row of its own (order_id) that runs the states above.
    SPLIT = "split"
    # A sale paid in parts that the cashier is voiding: journaled before any part is given back, so a
    # card part whose payment lands now (a lost answer, a tap that beat the cancel) records its tender
    # and is given back too, and never completes the sale with a receipt. Closed as abandoned at the end.
    VOIDING = "voiding"
    # A paid card part of a sale that was voided before it was complete: given back through Stripe.
    RETURN_SENT = "return_sent"  # the refund is journaled; Stripe's answer not yet written
    RETURNED = "returned"

    @property
    def unfinished(self) -> bool:
        return self in UNFINISHED


UNFINISHED = (
    SaleState.STARTED,
    SaleState.INTENT_CREATED,
    SaleState.CONFIRM_SENT,
    SaleState.READER_SENT,
    SaleState.RETURN_SENT,
)


class TenderState(StrEnum):
    """A paid part of a sale."""

    PAID = "paid"
    RETURNED = "returned"  # the sale was voided before it was complete: this part was given back


class AttemptState(StrEnum):
    """One confirm of a sale's intent with one payment method."""

    SENT = "sent"  # no answer recorded yet
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    REQUIRES_ACTION = "requires_action"  # 3D Secure: this till cannot do it, so the intent is cancelled
    FAILED = "failed"  # the provider did not process it, or the sale was closed


class ReaderActionStatus(StrEnum):
    """Stripe Terminal's reader action statuses."""

    IN_PROGRESS = "in_progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RefundState(StrEnum):
    SENT = "sent"  # recorded; Stripe's answer not yet written
    SUCCEEDED = "succeeded"  # numbered refund receipt written
    FAILED = "failed"  # Stripe refused, or has no record of it: nothing was refunded


class IntentStatus(StrEnum):
    """Stripe's PaymentIntent statuses (the API reference's `status` enum)."""

    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    REQUIRES_CAPTURE = "requires_capture"
    CANCELED = "canceled"
    SUCCEEDED = "succeeded"

    @property
    def awaits_payment(self) -> bool:
        """Nothing was charged and the intent can still be confirmed or cancelled."""
        return self in (
            IntentStatus.REQUIRES_PAYMENT_METHOD,
            IntentStatus.REQUIRES_CONFIRMATION,
            IntentStatus.REQUIRES_ACTION,
        )


class RefundStatus(StrEnum):
    """Stripe's Refund statuses."""

    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def refused(self) -> bool:
        return self in (RefundStatus.FAILED, RefundStatus.CANCELED)
