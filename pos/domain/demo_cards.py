"""Stripe's test cards a till offers in test and demo mode, with what each one does.

The one list of them in the till: the payment dialog offers the ones with a test PaymentMethod
(`pm_card_visa`: paid without a reader) and, on a card reader, "Simulate card" plays the customer
presenting the ones with a card-present test number. The till never sees a card number in live
mode: these exist only at Stripe's test endpoints (and the sandbox, which keeps its own table of
what each one does, `pos/sandbox/cards.py` and `terminal.py`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoCard:
    brand: str
    last4: str
    outcome: str
    payment_method: str | None = None  # Stripe's test PaymentMethod; None: only presented on a reader
    number: str | None = None  # Stripe's card-present test number; None: not offered on a reader

    @property
    def label(self) -> str:
        return f"{self.brand} •••• {self.last4} — {self.outcome}"


DEMO_CARDS = (
    DemoCard("Visa", "4242", "succeeds", "pm_card_visa", "4242424242424242"),
    DemoCard("Mastercard", "4444", "succeeds", "pm_card_mastercard", "5555555555554444"),
    DemoCard("American Express", "8431", "succeeds", "pm_card_amex", "371449635398431"),
    DemoCard("Visa debit", "5556", "succeeds", "pm_card_visa_debit", "4000056655665556"),
    DemoCard("Visa", "0002", "succeeds with a PIN", number="4001007020000002"),
    DemoCard(
        "Visa", "9995", "declined: insufficient funds", "pm_card_chargeDeclinedInsufficientFunds", "4000000000009995"
    ),
    DemoCard("Visa", "0002", "declined: generic", "pm_card_chargeDeclined", "4000000000000002"),
    DemoCard("Visa", "0069", "declined: expired card", "pm_card_chargeDeclinedExpiredCard", "4000000000000069"),
    DemoCard("Visa", "0127", "declined: incorrect CVC", "pm_card_chargeDeclinedIncorrectCvc"),
    DemoCard("Visa", "9987", "declined: lost card", "pm_card_chargeDeclinedLostCard", "4000000000009987"),
    DemoCard("Visa", "0119", "declined: processing error", "pm_card_chargeDeclinedProcessingError", "4000000000000119"),
    DemoCard("Visa", "3184", "needs authentication (3D Secure)", "pm_card_authenticationRequired"),
)

# What the payment dialog offers without a reader, and what "Simulate card" presents on one.
PAYMENT_METHODS = tuple(c for c in DEMO_CARDS if c.payment_method is not None)
ON_READER = tuple(c for c in DEMO_CARDS if c.number is not None)
