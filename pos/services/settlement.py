"""Settling what is unfinished: payments and refunds left by a crash, a timeout or a restart.

One function for the window (at start, every minute, from the Sale menu) and `pos recover`,
so both settle the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import recovery
from .refunds import Refunds
from .till import Till


@dataclass(frozen=True)
class Settled:
    messages: list[str]
    needs_person: bool  # a payment is still pending or could not be settled: someone must look


def settle_unfinished(till: Till, refunds: Refunds) -> Settled:
    """Every unfinished sale not the till's own (the one being paid, or between two cards), then
    every unanswered refund. Runs only in the process that holds the data folder."""
    checkout = till.checkout
    # Gift card parts first: a sale whose card was debited then owes only the rest when it is reopened.
    gift = checkout.gift_cards
    gift_messages = gift.recover(exclude=till.owns) if gift is not None else []
    results = recovery.recover(
        checkout.journal, checkout.gateway, exclude=till.keeps_from_recovery, lock_for=checkout.payment_lock
    )
    if gift is not None and results:
        # A receipt recovery just wrote may sell gift cards: issue them now, not at the next receipt
        # or restart (found by the model-based test, issue 24).
        gift_messages += gift.activate_sold()
    messages = gift_messages + [r.message for r in results] + refunds.recover()
    # Cash still owed to a customer needs the cashier at the drawer, and a refund Stripe has not answered
    # a look, as a pending payment does.
    unsettled_gift = gift is not None and gift.unsettled()
    return Settled(messages, any(r.needs_person for r in results) or refunds.unsettled() or unsettled_gift)
