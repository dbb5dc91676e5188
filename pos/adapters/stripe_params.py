"""The till's requests as Stripe parameters, on the API version the pinned SDK sends.

The only place the till's Stripe parameters are written (`pos doctor`'s clean-up
refunds in full on its own). Each builder is deterministic, so a request rebuilt
from the journal after a crash yields the same parameters for the same
idempotency key. Only parameters the SDK's `*Params` types declare are
sent: each builder returns the SDK's own TypedDict for its call, so mypy holds
them to the SDK, and tests/sandbox/test_conformance.py checks what goes over the wire.
"""

from __future__ import annotations

from stripe.params import (
    PaymentIntentCancelParams,
    PaymentIntentConfirmParams,
    PaymentIntentCreateParams,
    PaymentIntentListParams,
    PaymentIntentRetrieveParams,
    PaymentIntentSearchParams,
    PaymentIntentUpdateParams,
    RefundCreateParams,
    RefundListParams,
)

from stripe.params.terminal import (
    LocationCreateParams,
    LocationListParams,
    ReaderCreateParams,
    ReaderListParams,
    ReaderProcessPaymentIntentParams,
    ReaderSetReaderDisplayParams,
)
from stripe.params.test_helpers.terminal import ReaderPresentPaymentMethodParams

from pos.services.requests import ConfirmIntent, CreateIntent, CreateRefund, LabelIntent, ShowCart

# Every intent the till gives up on was abandoned: the cart changed, or the card needed 3D Secure.
CANCEL_PARAMS: PaymentIntentCancelParams = {"cancellation_reason": "abandoned"}
# The charge comes expanded so the receipt can show the card's brand and last four (`_intent` reads it).
EXPAND_CHARGE = ["latest_charge"]
RETRIEVE_PARAMS: PaymentIntentRetrieveParams = {"expand": EXPAND_CHARGE}
# The cheapest read there is: proves a key works without touching anything.
KEY_CHECK_PARAMS: PaymentIntentListParams = {"limit": 1}


def create_params(request: CreateIntent) -> PaymentIntentCreateParams:
    """Cards only, through `allowed_payment_method_types`: nothing can redirect, so confirm needs no
    return_url (docs/decisions/0003-card-only-payment-intents.md). A sale paid on a reader is
    `card_present` only (Stripe Terminal; changelog endive 2026-09-30)."""
    return {
        "amount": request.amount.minor,
        "currency": request.amount.currency.lower(),
        "allowed_payment_method_types": ["card_present"] if request.on_reader else ["card"],
        "metadata": {"sale_id": request.sale_key, "till_id": request.till_id},
    }


def confirm_params(request: ConfirmIntent) -> PaymentIntentConfirmParams:
    return {"payment_method": request.payment_method, "expand": EXPAND_CHARGE}


def label_params(request: LabelIntent) -> PaymentIntentUpdateParams:
    return {"metadata": {"receipt_no": request.receipt_no}}


def refund_params(request: CreateRefund) -> RefundCreateParams:
    metadata = {"refund_key": request.refund_key, "till_id": request.till_id}
    if request.receipt_no is not None:  # a part of a sale voided before it had a receipt has none
        metadata["receipt_no"] = str(request.receipt_no)
    params: RefundCreateParams = {
        "payment_intent": request.payment_intent,
        "amount": request.amount.minor,
        "metadata": metadata,
    }
    if request.reason is not None:  # no reason is no parameter: the SDK leaves out what is None anyway
        params["reason"] = request.reason
    return params


def refund_list_params(intent_id: str) -> RefundListParams:
    return {"payment_intent": intent_id, "limit": 100}


def search_query(sale_key: str) -> PaymentIntentSearchParams:
    return {"query": f"metadata['sale_id']:'{sale_key}'", "limit": 10}


# -- Stripe Terminal ---------------------------------------------------------------------------
def process_params(intent_id: str, tipping: bool) -> ReaderProcessPaymentIntentParams:
    # The customer may cancel on the reader: the till sees the failed action and keeps the cart.
    # Tips only when the store offers them: otherwise the reader skips the tip screen.
    return {
        "payment_intent": intent_id,
        "process_config": {"enable_customer_cancellation": True, "skip_tipping": not tipping},
    }


def display_params(cart: ShowCart) -> ReaderSetReaderDisplayParams:
    return {
        "type": "cart",
        "cart": {
            "currency": cart.total.currency.lower(),
            "line_items": [
                # A reader's line is at most 5000 characters; a product name is far shorter.
                {"amount": line.amount.minor, "description": line.description[:5000], "quantity": line.quantity}
                for line in cart.lines
            ],
            "tax": cart.tax.minor,
            "total": cart.total.minor,
        },
    }


def location_params(name: str, country: str) -> LocationCreateParams:
    return {"display_name": name, "address": {"country": country}}


LOCATION_LIST_PARAMS: LocationListParams = {"limit": 100}


def reader_params(registration_code: str, label: str, location_id: str) -> ReaderCreateParams:
    return {"registration_code": registration_code, "label": label, "location": location_id}


def reader_list_params(location_id: str | None) -> ReaderListParams:
    params: ReaderListParams = {"limit": 100}
    if location_id:
        params["location"] = location_id
    return params


def present_params(card_number: str, tip: int) -> ReaderPresentPaymentMethodParams:
    """Test mode only: the customer presents one of Stripe's test card-present numbers."""
    params: ReaderPresentPaymentMethodParams = {"type": "card_present", "card_present": {"number": card_number}}
    if tip:
        params["amount_tip"] = tip
    return params
