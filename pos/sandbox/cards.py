"""Stripe's test payment methods and the outcome each one produces when confirmed.

Names, last4 digits and decline codes follow Stripe's testing documentation.
Stripe accepts both `pm_card_chargeDeclined...` and `pm_card_visa_chargeDeclined...`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Decline:
    code: str  # the error's `code`
    decline_code: str  # the error's `decline_code`
    message: str


@dataclass(frozen=True)
class TestCard:
    brand: str
    last4: str
    funding: str = "credit"
    country: str = "US"
    decline: Decline | None = None
    requires_action: bool = False


GENERIC_DECLINE = Decline("card_declined", "generic_decline", "Your card was declined.")

# What confirming each test PaymentMethod does (the till keeps its own list of what it offers:
# pos/domain/demo_cards.py; the sandbox stands alone).
CARD_BEHAVIOUR: dict[str, TestCard] = {
    "pm_card_visa": TestCard("visa", "4242"),
    "pm_card_visa_debit": TestCard("visa", "5556", funding="debit"),
    "pm_card_mastercard": TestCard("mastercard", "4444"),
    "pm_card_mastercard_debit": TestCard("mastercard", "8210", funding="debit"),
    "pm_card_amex": TestCard("amex", "8431"),
    "pm_card_discover": TestCard("discover", "1117"),
    "pm_card_jcb": TestCard("jcb", "0505", country="JP"),
    "pm_card_chargeDeclined": TestCard("visa", "0002", decline=GENERIC_DECLINE),
    "pm_card_chargeDeclinedInsufficientFunds": TestCard(
        "visa",
        "9995",
        decline=Decline("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    ),
    "pm_card_chargeDeclinedLostCard": TestCard(
        "visa",
        "9987",
        decline=Decline("card_declined", "lost_card", "Your card was declined."),
    ),
    "pm_card_chargeDeclinedStolenCard": TestCard(
        "visa",
        "9979",
        decline=Decline("card_declined", "stolen_card", "Your card was declined."),
    ),
    "pm_card_chargeDeclinedFraudulent": TestCard(
        "visa",
        "0019",
        decline=Decline("card_declined", "fraudulent", "Your card was declined."),
    ),
    "pm_card_chargeDeclinedExpiredCard": TestCard(
        "visa",
        "0069",
        decline=Decline("expired_card", "expired_card", "Your card has expired."),
    ),
    "pm_card_chargeDeclinedIncorrectCvc": TestCard(
        "visa",
        "0127",
        decline=Decline("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
    ),
    "pm_card_chargeDeclinedProcessingError": TestCard(
        "visa",
        "0119",
        decline=Decline(
            "processing_error",
            "processing_error",
            "An error occurred while processing your card. Try again in a little bit.",
        ),
    ),
    "pm_card_authenticationRequired": TestCard("visa", "3184", requires_action=True),
}

# Stripe's alternative spellings of the decline cards.
for _name in [n for n in CARD_BEHAVIOUR if n.startswith("pm_card_chargeDeclined")]:
    CARD_BEHAVIOUR["pm_card_visa_" + _name[len("pm_card_") :]] = CARD_BEHAVIOUR[_name]
del _name
