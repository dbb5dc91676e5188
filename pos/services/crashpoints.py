"""Fault-injection seams for the crash tests: die with SIGKILL at a named recovery point.

Set POS_CRASH_AT to a point's name and the process kills itself there, with no
chance to clean up, exactly like a power cut or `kill -9`. Unset, it costs one
dictionary lookup. The tests also kill the till at random moments without it.
"""

from __future__ import annotations

import os
import signal

POINTS = (
    "after_sale_recorded",  # sale journaled, no Stripe call yet
    "after_create_sent",  # Stripe created the intent; its id not journaled yet
    "after_intent_recorded",  # intent id held (on disk only with the answer, issue 27), no confirm yet
    "after_confirm_recorded",  # confirm attempt held, not sent (on disk: the sale `started`)
    "after_confirm_sent",  # Stripe answered the confirm; nothing of it on disk yet (the sale `started`)
    "after_receipt_saved",  # receipt written
)
TENDER_POINTS = (
    "after_cash_recorded",  # cash tender (and receipt, if it settled the sale) written
    "after_part_recorded",  # a card part journaled, no Stripe call yet (then the points above, for the part)
    "after_return_sent",  # Stripe gave a voided sale's card part back; not journaled yet
)
READER_POINTS = (
    "after_reader_recorded",  # the hand-off to the card reader held, not sent (written as the Pay returns)
    "after_reader_sent",  # the reader took the intent; the till has not seen the customer yet
    "after_reader_cancelled",  # the cashier's stop reached the reader; its outcome not looked at yet
)
GIFT_CARD_POINTS = (
    "after_redemption_recorded",  # a gift card part journaled, the card's ledger not asked yet
    "after_gift_card_debited",  # the ledger debited the card; the till has not journaled it
    "after_gift_card_recorded",  # the gift card's tender (and receipt, if it settled the sale) written
)
GIFT_CARD_REFUND_POINTS = (
    "after_gift_card_credited",  # a refund piece put back on its gift card; not numbered yet
)
REFUND_POINTS = (
    "after_refund_recorded",  # refund journaled as sent, Stripe not asked yet
    "after_refund_sent",  # Stripe made the refund; its answer not journaled yet
)
RETURN_POINTS = (
    "after_return_recorded",  # a return without a receipt journaled as sent; no credit issued, no drawer opened
)
STORE_CREDIT_POINTS = (
    "after_store_credit_issued",  # the credit issued (its code written) for a refund piece; the piece not numbered yet
)
EXCHANGE_POINTS = (
    "after_exchange_refunded",  # an exchange's returned lines refunded (the credit on its code); not redeemed yet
)
REFUND_DRAWER_POINTS = (
    "after_refund_drawer_opened",  # the drawer opened (and its opening recorded) for a cash piece; not done yet
)

SYNC_POINTS = (
    "after_shop_commit",  # a batch committed at the shop database; the till has not noted it yet
    "before_shop_commit",  # a batch's rows sent (COPY or statements) in the shop's transaction, not committed
)


def crash_point(name: str) -> None:
    if os.environ.get("POS_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
