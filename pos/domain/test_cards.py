"""Stripe's test payment methods a till offers in test and demo mode, with what each one does.

The till never sees a card number: in test mode the cashier picks one of
these ids, which Stripe (or the sandbox) maps to a test card.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TestPaymentMethod:
    id: str
    brand: str
    last4: str
    outcome: str


TEST_PAYMENT_METHODS = (
    TestPaymentMethod("pm_card_visa", "Visa", "4242", "succeeds"),
    TestPaymentMethod("pm_card_mastercard", "Mastercard", "4444", "succeeds"),
    TestPaymentMethod("pm_card_amex", "American Express", "8431", "succeeds"),
    TestPaymentMethod("pm_card_visa_debit", "Visa debit", "5556", "succeeds"),
    TestPaymentMethod("pm_card_chargeDeclinedInsufficientFunds", "Visa", "9995", "declined: insufficient funds"),
    TestPaymentMethod("pm_card_chargeDeclined", "Visa", "0002", "declined: generic"),
    TestPaymentMethod("pm_card_chargeDeclinedExpiredCard", "Visa", "0069", "declined: expired card"),
    TestPaymentMethod("pm_card_chargeDeclinedIncorrectCvc", "Visa", "0127", "declined: incorrect CVC"),
    TestPaymentMethod("pm_card_chargeDeclinedLostCard", "Visa", "9987", "declined: lost card"),
    TestPaymentMethod("pm_card_chargeDeclinedProcessingError", "Visa", "0119", "declined: processing error"),
    TestPaymentMethod("pm_card_authenticationRequired", "Visa", "3184", "needs authentication (3D Secure)"),
)
