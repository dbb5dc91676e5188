"""What the till sends to take cards only (see docs/decisions/0003-card-only-payment-intents.md)."""

CARD_ONLY = {"allowed_payment_method_types": ["card"]}
