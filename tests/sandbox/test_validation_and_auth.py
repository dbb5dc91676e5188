"""Parameter validation and authentication, as Stripe answers them."""

from __future__ import annotations

import pytest
import requests
import stripe

from tests.helpers.cards import CARD_ONLY


def _create(client, **params):
    return client.v1.payment_intents.create({**CARD_ONLY, **params})


@pytest.mark.parametrize(
    "params,code,param",
    [
        ({"currency": "usd"}, "parameter_missing", "amount"),
        ({"amount": 1000}, "parameter_missing", "currency"),
        ({"amount": 1000, "currency": "usd", "colour": "red"}, "parameter_unknown", "colour"),
        ({"amount": 49, "currency": "usd"}, "amount_too_small", "amount"),
        ({"amount": 49, "currency": "sgd"}, "amount_too_small", "amount"),
        ({"amount": 29, "currency": "gbp"}, "amount_too_small", "amount"),
        ({"amount": 49, "currency": "jpy"}, "amount_too_small", "amount"),
        ({"amount": 100_000_000, "currency": "usd"}, "amount_too_large", "amount"),
        ({"amount": 1005, "currency": "kwd"}, "invalid_charge_amount", "amount"),
        ({"amount": "12.50", "currency": "usd"}, "parameter_invalid_integer", "amount"),
    ],
)
def test_bad_parameters(client, params, code, param):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.create(params)
    assert caught.value.http_status == 400
    assert caught.value.code == code
    assert caught.value.param == param


@pytest.mark.parametrize(
    "amount,currency",
    [(50, "usd"), (30, "gbp"), (50, "jpy"), (99_999_999, "usd"), (1010, "kwd"), (5000, "bhd"), (50_000, "krw")],
)
def test_good_amounts(client, amount, currency):
    pi = _create(client, amount=amount, currency=currency.upper())
    assert (pi.amount, pi.currency) == (amount, currency)


def test_missing_key_is_401(sandbox):
    r = requests.post(sandbox.url + "/v1/payment_intents", data={"amount": 1000, "currency": "usd"})
    assert r.status_code == 401
    assert r.headers["Request-Id"].startswith("req_")
    assert r.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("key", ["sk_test_", "nonsense", "sk_demo_abc", "Bearer"])
def test_malformed_key_is_401(sandbox, key):
    client = stripe.StripeClient(key, base_addresses={"api": sandbox.url})
    with pytest.raises(stripe.AuthenticationError) as caught:
        client.v1.payment_intents.list()
    assert caught.value.http_status == 401


@pytest.mark.parametrize("key", ["sk_live_abc123", "rk_live_abc123"])
def test_live_keys_refused(sandbox, key):
    client = stripe.StripeClient(key, base_addresses={"api": sandbox.url})
    with pytest.raises(stripe.AuthenticationError) as caught:
        client.v1.payment_intents.list()
    assert "test keys only" in caught.value.user_message
    assert key not in str(caught.value)


def test_restricted_test_key_works_on_same_account(sandbox):
    secret = stripe.StripeClient("sk_test_sharedacct1", base_addresses={"api": sandbox.url})
    restricted = stripe.StripeClient("rk_test_sharedacct1", base_addresses={"api": sandbox.url})
    pi = secret.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    assert restricted.v1.payment_intents.retrieve(pi.id).id == pi.id


def test_accounts_are_isolated(sandbox, client):
    pi = _create(client, amount=1000, currency="usd")
    other = stripe.StripeClient("sk_test_someoneelse", base_addresses={"api": sandbox.url})
    with pytest.raises(stripe.InvalidRequestError):
        other.v1.payment_intents.retrieve(pi.id)
    assert pi.id not in [p.id for p in other.v1.payment_intents.list({"limit": 100}).data]


def test_publishable_key_confirms_only_with_client_secret(sandbox, api_key, client):
    pi = _create(client, amount=1000, currency="usd")
    public = stripe.StripeClient("pk_test_" + api_key[len("sk_test_") :], base_addresses={"api": sandbox.url})
    with pytest.raises(stripe.AuthenticationError):
        public.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    with pytest.raises(stripe.AuthenticationError):
        public.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"})
    done = public.v1.payment_intents.confirm(
        pi.id, {"payment_method": "pm_card_visa", "client_secret": pi.client_secret}
    )
    assert done.status == "succeeded"


def test_unknown_url_is_404(client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.raw_request("get", "/v1/customers")
    assert caught.value.http_status == 404
