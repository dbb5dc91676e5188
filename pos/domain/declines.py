"""What a card decline means, in the words a cashier can say to a customer."""

from __future__ import annotations

_BY_CODE = {
    "insufficient_funds": "Declined: not enough funds on the card. Ask for another card.",
    "generic_decline": "Declined by the card's bank (no reason given). Ask for another card.",
    "card_declined": "Declined by the card's bank. Ask for another card.",
    "lost_card": "Declined: the bank reports this card lost. Ask for another card; do not retry this one.",
    "stolen_card": "Declined: the bank reports this card stolen. Ask for another card; do not retry this one.",
    "fraudulent": "Declined by the bank as suspected fraud. Ask for another card.",
    "expired_card": "Declined: the card has expired. Ask for another card.",
    "incorrect_cvc": "Declined: the security code did not match. Try the card again or use another card.",
    "processing_error": "The card could not be processed just now. Try again, or use another card.",
    "do_not_honor": "Declined by the card's bank. Ask the customer to contact their bank, or use another card.",
    "card_velocity_exceeded": "Declined: the card's limit is reached. Ask for another card.",
    "authentication_required": "This card needs 3D Secure, which this till cannot do. Use another card.",
}


def cashier_message(decline_code: str | None, code: str | None = None) -> str:
    for key in (decline_code, code):
        if key and key in _BY_CODE:
            return _BY_CODE[key]
    return "Declined by the card's bank. Ask for another card."


# What a card reader's failures mean at the counter (Stripe Terminal's error and failure codes).
_READER = {
    "customer_canceled": "The customer cancelled on the card reader.",
    "canceled": "Stopped.",
    "terminal_reader_offline": "The card reader is offline: check that it is on and connected to the internet.",
    "terminal_reader_busy": "The card reader is busy with another payment: finish or cancel it on the reader first.",
    "terminal_reader_timeout": "The card reader did not answer in time: check its connection.",
    "terminal_reader_hardware_fault": "The card reader reported a fault: restart it.",
    "payment_intent_incompatible_payment_method": "The reader cannot take this kind of card. Ask for another card.",
    "not_waiting": "The card reader stopped waiting for this payment (it may have restarted).",
}


def reader_message(code: str | None, decline_code: str | None = None) -> str:
    """A reader's failure in the cashier's words: a card decline reads as any decline."""
    if code in _READER:
        return _READER[code]
    return cashier_message(decline_code, code)
