"""Behaviours where the sandbox once differed from Stripe; each test names the Stripe document it follows."""

from __future__ import annotations

import pytest
import requests
import stripe

from pos.sandbox import running_sandbox
from tests.helpers.cards import CARD_ONLY


def held(client, amount=5000):
    return client.v1.payment_intents.create(
        {
            "amount": amount,
            "currency": "usd",
            **CARD_ONLY,
            "capture_method": "manual",
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )


def test_refund_after_a_partial_capture_gives_back_what_was_captured(client):
    # https://docs.stripe.com/payments/place-a-hold-on-a-payment-method#capture-funds: "the remaining
    # amount is released"; a refund returns at most the captured amount.
    pi = held(client)
    client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 3000})
    refund = client.v1.refunds.create({"payment_intent": pi.id})
    assert refund.amount == 3000
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.amount_captured == 3000 and charge.amount_refunded == 5000 and charge.refunded
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": pi.id, "amount": 100})
    assert caught.value.code == "charge_already_refunded"


def test_cancelling_an_authorisation_releases_it(client):
    # https://docs.stripe.com/payments/place-a-hold-on-a-payment-method#cancel-authorization
    pi = held(client)
    cancelled = client.v1.payment_intents.cancel(pi.id, {"cancellation_reason": "abandoned"})
    assert cancelled.status == "canceled" and cancelled.amount_capturable == 0
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert not charge.captured and charge.refunded and charge.amount_refunded == 5000
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create({"charge": charge.id})


def test_idempotency_keys_are_at_most_255_characters(client):
    # https://docs.stripe.com/api/idempotent_requests: "Keys can be up to 255 characters long."
    params = {"amount": 1000, "currency": "usd", **CARD_ONLY}
    assert client.v1.payment_intents.create(params, {"idempotency_key": "k" * 255}).id
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.create(params, {"idempotency_key": "k" * 256})
    assert caught.value.http_status == 400 and "255" in caught.value.user_message


@pytest.mark.parametrize("path", ["amount", "metadata", "latest_charge.amount", "bogus"])
def test_expanding_what_cannot_be_expanded_is_refused(client, path):
    # https://docs.stripe.com/api/expanding_objects: only fields marked expandable can be expanded.
    pi = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "usd", **CARD_ONLY, "payment_method": "pm_card_visa", "confirm": True}
    )
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.retrieve(pi.id, {"expand": [path]})
    assert caught.value.user_message == f"This property cannot be expanded ({path})."


def test_lists_expand_inside_data_only(client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.list({"expand": ["latest_charge"]})
    assert "cannot be expanded (latest_charge)" in caught.value.user_message
    assert client.v1.payment_intents.list({"expand": ["data.latest_charge"]}).object == "list"


def test_an_update_clears_the_last_payment_error(client):
    # https://docs.stripe.com/api/payment_intents/object#payment_intent_object-last_payment_error:
    # "The payment error encountered in the previous PaymentIntent confirmation. It will be cleared
    # if the PaymentIntent is later updated for any reason."
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd", **CARD_ONLY})
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_chargeDeclined"})
    assert client.v1.payment_intents.retrieve(pi.id).last_payment_error.decline_code == "generic_decline"
    updated = client.v1.payment_intents.update(pi.id, {"description": "table 4"})
    assert updated.last_payment_error is None


@pytest.mark.parametrize(
    "params,message,code",
    [
        (
            {"amount": 0, "currency": "usd"},
            "This value must be greater than or equal to 1.",
            "parameter_invalid_integer",
        ),
        ({"amount": 10, "currency": "usd"}, "Amount must be at least $0.50 usd", "amount_too_small"),
        ({"amount": 10, "currency": "eur"}, "Amount must be at least €0.50 eur", "amount_too_small"),
    ],
)
def test_amount_errors_in_stripes_words(client, params, message, code):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.create({**params, **CARD_ONLY})
    assert caught.value.user_message == message and caught.value.code == code
    assert caught.value.param == "amount"


def test_unknown_currency_lists_what_stripe_supports(client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.create({"amount": 1000, "currency": "xyz", **CARD_ONLY})
    assert caught.value.user_message.startswith(
        "Invalid currency: xyz. Stripe currently supports these currencies: usd, aed, afn, all, amd,"
    )
    assert caught.value.param == "currency"


def test_refund_over_what_is_left_in_stripes_words(client):
    pi = client.v1.payment_intents.create(
        {"amount": 2000, "currency": "usd", **CARD_ONLY, "payment_method": "pm_card_visa", "confirm": True}
    )
    client.v1.refunds.create({"payment_intent": pi.id, "amount": 500})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": pi.id, "amount": 1501})
    assert caught.value.user_message == "Refund amount ($15.01) is greater than unrefunded amount on charge ($15.00)"
    assert caught.value.code == "amount_too_large" and caught.value.param == "amount"


def test_an_invalid_key_is_masked_as_stripe_masks_it(sandbox):
    # As in Stripe's own 2020 samples: prefix and two characters, an asterisk each, the last four.
    r = requests.get(sandbox.url + "/v1/payment_intents", headers={"Authorization": "Bearer sk_test_Zz!bad_wxyz"})
    message = r.json()["error"]["message"]
    assert r.status_code == 401
    assert message == "Invalid API Key provided: sk_test_Zz*****wxyz"


def test_search_lags_behind_writes(api_key):
    # https://docs.stripe.com/search#data-freshness: not read-after-write; usually under a minute.
    with running_sandbox(search_lag=60) as sb:
        client = stripe.StripeClient(api_key, base_addresses={"api": sb.url})
        query = {"query": "metadata['sale_id']:'lag-1'"}
        pi = client.v1.payment_intents.create(
            {"amount": 1000, "currency": "usd", **CARD_ONLY, "metadata": {"sale_id": "lag-1"}}
        )
        assert client.v1.payment_intents.search(query).data == []
        sb.clock.advance(61)
        assert [p.status for p in client.v1.payment_intents.search(query).data] == ["requires_payment_method"]
        client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"})
        # Search still shows the old state; retrieve by id is current.
        assert client.v1.payment_intents.search(query).data[0].status == "requires_payment_method"
        assert client.v1.payment_intents.retrieve(pi.id).status == "succeeded"
        sb.clock.advance(61)
        assert client.v1.payment_intents.search(query).data[0].status == "succeeded"


def test_an_expansion_the_sandbox_cannot_make_is_refused_before_the_call_runs(client):
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd", **CARD_ONLY})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.confirm(
            pi.id, {"payment_method": "pm_card_visa", "expand": ["latest_charge.balance_transaction"]}
        )
    assert "does not implement" in caught.value.user_message
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"  # nothing was charged
