"""PaymentIntent behaviour, driven only through the official `stripe` client over HTTP."""

from __future__ import annotations

import pytest
import stripe

from tests.helpers.cards import CARD_ONLY

PI = "payment_intent"


def create(client, amount=1000, currency="usd", **extra):
    return client.v1.payment_intents.create({"amount": amount, "currency": currency, **CARD_ONLY, **extra})


def test_create_card_only(client):
    # What the till sends on the pinned version (docs/decisions/0003-card-only-payment-intents.md).
    pi = client.v1.payment_intents.create({"amount": 3456, "currency": "SGD", **CARD_ONLY})
    assert pi.allowed_payment_method_types == ["card"] and pi.automatic_payment_methods is None
    assert pi.object == PI
    assert pi.id.startswith("pi_")
    assert pi.amount == 3456 and pi.currency == "sgd"
    assert pi.status == "requires_payment_method"
    assert pi.client_secret.startswith(pi.id + "_secret_")
    assert pi.payment_method_types == ["card"]
    assert pi.livemode is False and pi.amount_received == 0 and pi.latest_charge is None


def test_two_step_flow_succeeds_and_leaves_a_charge(client):
    pi = create(client, metadata={"sale_id": "sale-1", "till_id": "t1"})
    pi = client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"})
    assert pi.status == "succeeded"
    assert pi.amount_received == 1000
    assert pi.payment_method.startswith("pm_")
    assert pi.metadata["sale_id"] == "sale-1"
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.status == "succeeded" and charge.paid and charge.captured
    assert charge.payment_intent == pi.id
    assert charge.payment_method_details.card.brand == "visa"
    assert charge.payment_method_details.card.last4 == "4242"
    listed = client.v1.charges.list({"payment_intent": pi.id})
    assert [c.id for c in listed.data] == [charge.id]


def test_expand_latest_charge(client):
    pi = create(client, payment_method="pm_card_mastercard", confirm=True)
    pi = client.v1.payment_intents.retrieve(pi.id, {"expand": ["latest_charge"]})
    assert pi.latest_charge.object == "charge"
    assert pi.latest_charge.payment_method_details.card.last4 == "4444"


def test_create_with_payment_method_requires_confirmation(client):
    pi = create(client, payment_method="pm_card_visa")
    assert pi.status == "requires_confirmation"
    assert client.v1.payment_intents.confirm(pi.id).status == "succeeded"


@pytest.mark.parametrize(
    "pm,brand,last4,funding",
    [
        ("pm_card_visa", "visa", "4242", "credit"),
        ("pm_card_visa_debit", "visa", "5556", "debit"),
        ("pm_card_mastercard", "mastercard", "4444", "credit"),
        ("pm_card_amex", "amex", "8431", "credit"),
    ],
)
def test_succeeding_cards(client, pm, brand, last4, funding):
    pi = create(client, payment_method=pm, confirm=True)
    assert pi.status == "succeeded"
    card = client.v1.payment_methods.retrieve(pi.payment_method).card
    assert (card.brand, card.last4, card.funding) == (brand, last4, funding)
    assert isinstance(card.exp_month, int) and isinstance(card.exp_year, int)


@pytest.mark.parametrize(
    "pm,code,decline_code,last4",
    [
        ("pm_card_chargeDeclined", "card_declined", "generic_decline", "0002"),
        ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds", "9995"),
        ("pm_card_chargeDeclinedLostCard", "card_declined", "lost_card", "9987"),
        ("pm_card_chargeDeclinedStolenCard", "card_declined", "stolen_card", "9979"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card", "0069"),
        ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc", "0127"),
        ("pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error", "0119"),
        ("pm_card_visa_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds", "9995"),
        ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline", "0002"),
    ],
)
def test_declines(client, pm, code, decline_code, last4):
    pi = create(client)
    with pytest.raises(stripe.CardError) as caught:
        client.v1.payment_intents.confirm(pi.id, {"payment_method": pm})
    err = caught.value
    assert err.http_status == 402
    assert err.code == code
    assert err.error.decline_code == decline_code
    assert err.error.type == "card_error"
    assert err.error.payment_intent.id == pi.id
    pi = client.v1.payment_intents.retrieve(pi.id)
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == code
    assert pi.last_payment_error.decline_code == decline_code
    assert pi.last_payment_error.payment_method.card.last4 == last4
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.status == "failed" and charge.failure_code == code and not charge.paid
    # The same intent can be confirmed again with another card.
    pi = client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"})
    assert pi.status == "succeeded" and pi.last_payment_error is None
    assert len(client.v1.charges.list({"payment_intent": pi.id}).data) == 2


def test_authentication_required(client):
    pi = create(client)
    pi = client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_authenticationRequired"})
    assert pi.status == "requires_action"
    assert pi.next_action.type == "use_stripe_sdk"
    assert client.v1.payment_intents.cancel(pi.id).status == "canceled"


def test_unknown_payment_method(client):
    pi = create(client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_nonsense"})
    assert caught.value.http_status == 400 and caught.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_methods.retrieve("pm_nope")
    assert caught.value.http_status == 404


def test_raw_card_numbers_refused(client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.create(
            {
                "amount": 1000,
                "currency": "usd",
                "payment_method_data": {"type": "card", "card": {"number": "4242424242424242"}},
            }
        )
    assert "unsafe" in caught.value.user_message
    assert "4242424242424242" not in str(caught.value)


def test_unexpected_states(client):
    pi = create(client, payment_method="pm_card_visa", confirm=True)
    for action in (
        client.v1.payment_intents.confirm,
        client.v1.payment_intents.cancel,
        client.v1.payment_intents.capture,
    ):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            action(pi.id)
        assert caught.value.code == "payment_intent_unexpected_state"
    canceled = client.v1.payment_intents.cancel(create(client).id, {"cancellation_reason": "abandoned"})
    assert canceled.status == "canceled" and canceled.cancellation_reason == "abandoned"
    assert isinstance(canceled.canceled_at, int)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.confirm(canceled.id, {"payment_method": "pm_card_visa"})
    assert caught.value.code == "payment_intent_unexpected_state"


def test_manual_capture(client):
    pi = create(client, amount=5000, capture_method="manual", payment_method="pm_card_visa", confirm=True)
    assert pi.status == "requires_capture" and pi.amount_capturable == 5000
    pi = client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 3000})
    assert pi.status == "succeeded" and pi.amount_received == 3000
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.amount_captured == 3000


def test_update(client):
    pi = create(client, metadata={"a": "1", "b": "2"})
    pi = client.v1.payment_intents.update(pi.id, {"amount": 2000, "metadata": {"a": "", "c": "3"}})
    assert pi.amount == 2000 and pi.metadata.to_dict() == {"b": "2", "c": "3"}
    pi = client.v1.payment_intents.update(pi.id, {"payment_method": "pm_card_visa"})
    assert pi.status == "requires_confirmation"
    client.v1.payment_intents.confirm(pi.id)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.update(pi.id, {"amount": 3000})
    assert caught.value.code == "payment_intent_unexpected_state"
    # Descriptive fields stay editable after the payment, as on Stripe.
    labelled = client.v1.payment_intents.update(pi.id, {"metadata": {"receipt_no": "0042"}, "description": "x"})
    assert labelled.metadata["receipt_no"] == "0042" and labelled.status == "succeeded"


def test_retrieve_missing(client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.retrieve("pi_missing")
    assert caught.value.http_status == 404 and caught.value.code == "resource_missing"


def test_list_pagination_and_created_filters(client, sandbox):
    ids = [create(client, amount=1000 + i).id for i in range(7)]
    newest_first = list(reversed(ids))
    page = client.v1.payment_intents.list({"limit": 3})
    assert [p.id for p in page.data] == newest_first[:3] and page.has_more
    page2 = client.v1.payment_intents.list({"limit": 3, "starting_after": page.data[-1].id})
    assert [p.id for p in page2.data] == newest_first[3:6] and page2.has_more
    page3 = client.v1.payment_intents.list({"limit": 3, "starting_after": page2.data[-1].id})
    assert [p.id for p in page3.data] == newest_first[6:] and not page3.has_more
    before = client.v1.payment_intents.list({"limit": 2, "ending_before": page2.data[0].id})
    assert [p.id for p in before.data] == newest_first[1:3]
    sandbox.clock.advance(1000)
    later = create(client)
    recent = client.v1.payment_intents.list({"created": {"gte": later.created}})
    assert [p.id for p in recent.data] == [later.id]
    older = client.v1.payment_intents.list({"created": {"lt": later.created}, "limit": 100})
    assert len(older.data) == 7


def test_search_by_metadata_and_status(client):
    a = create(client, metadata={"sale_id": "S-1"})
    b = create(client, metadata={"sale_id": "S-2"}, payment_method="pm_card_visa", confirm=True)
    found = client.v1.payment_intents.search({"query": "metadata['sale_id']:'S-1'"})
    assert [p.id for p in found.data] == [a.id]
    found = client.v1.payment_intents.search({"query": "status:'succeeded'"})
    assert [p.id for p in found.data] == [b.id]
    found = client.v1.payment_intents.search({"query": "metadata['sale_id']:'S-2' AND status:'succeeded'"})
    assert [p.id for p in found.data] == [b.id]
    assert client.v1.payment_intents.search({"query": "metadata['sale_id']:'nope'"}).data == []


def test_search_pages(client):
    for _ in range(5):
        create(client, metadata={"batch": "x"})
    first = client.v1.payment_intents.search({"query": "metadata['batch']:'x'", "limit": 3})
    assert len(first.data) == 3 and first.has_more and first.next_page
    second = client.v1.payment_intents.search({"query": "metadata['batch']:'x'", "limit": 3, "page": first.next_page})
    assert len(second.data) == 2 and not second.has_more
    assert not {p.id for p in first.data} & {p.id for p in second.data}


def test_search_result_carries_its_url_so_the_sdk_can_page_it(client):
    # Stripe's search_result has `url`; stripe-python's auto_paging_iter pages by it and raised
    # "Cannot call .list on a list object without a string "url" property" without it.
    made = {create(client, metadata={"batch": "url"}).id for _ in range(5)}
    first = client.v1.payment_intents.search({"query": "metadata['batch']:'url'", "limit": 2})
    assert first.url == "/v1/payment_intents/search"
    assert {p.id for p in first.auto_paging_iter()} == made
