"""Fault injection, from the Python API and the admin HTTP endpoints."""

from __future__ import annotations


import pytest
import requests
import stripe

from tests.helpers.cards import CARD_ONLY


def client_for(sandbox, api_key, retries=0, timeout=None):
    http = stripe.RequestsClient(timeout=timeout) if timeout else None
    return stripe.StripeClient(
        api_key, base_addresses={"api": sandbox.url}, max_network_retries=retries, http_client=http
    )


def test_500_then_success_with_retries(sandbox, api_key):
    sandbox.faults.arm("/v1/payment_intents", method="POST", status=500)
    client = client_for(sandbox, api_key, retries=2)
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    assert pi.status == "requires_payment_method"
    assert len(client.v1.payment_intents.list().data) == 1


def test_500_without_retries_is_an_api_error(sandbox, api_key):
    sandbox.faults.arm("/v1/payment_intents", status=500)
    with pytest.raises(stripe.APIError) as caught:
        client_for(sandbox, api_key).v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    assert caught.value.http_status == 500


def test_503_should_retry_false_is_not_retried(sandbox, api_key):
    sandbox.faults.arm("/v1/payment_intents", status=503, should_retry=False)
    with pytest.raises(stripe.APIError) as caught:
        client_for(sandbox, api_key, retries=3).v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    assert caught.value.http_status == 503
    assert caught.value.headers["Stripe-Should-Retry"] == "false"


def test_429_is_a_rate_limit_error(sandbox, api_key):
    sandbox.faults.arm("/v1/payment_intents", status=429, count=2)
    client = client_for(sandbox, api_key)
    for _ in range(2):
        with pytest.raises(stripe.RateLimitError):
            client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    assert client.v1.payment_intents.create({"amount": 1000, "currency": "usd"}).id


def test_dropped_response_after_commit(sandbox, api_key):
    sandbox.faults.arm("/v1/payment_intents/*/confirm", drop=True)
    client = client_for(sandbox, api_key)
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd", **CARD_ONLY})
    opts = {"idempotency_key": "confirm-once"}
    with pytest.raises(stripe.APIConnectionError):
        client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"}, opts)
    # The charge went through although the answer was lost; a repeat replays it.
    assert client.v1.payment_intents.retrieve(pi.id).status == "succeeded"
    again = client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"}, opts)
    assert again.status == "succeeded"
    assert len(client.v1.charges.list({"payment_intent": pi.id}).data) == 1


def test_delay_beyond_client_timeout_still_processes(sandbox, api_key):
    held = sandbox.faults.arm("/v1/payment_intents", method="POST", hold=True)
    client = client_for(sandbox, api_key, timeout=0.5)
    with pytest.raises(stripe.APIConnectionError):
        client.v1.payment_intents.create({"amount": 1000, "currency": "usd", **CARD_ONLY})
    assert client.v1.payment_intents.list().data == []  # still held: not processed yet
    held.release()
    held.wait_done()  # processed after the client gave up
    assert len(client.v1.payment_intents.list().data) == 1


def test_admin_http_api(sandbox, api_key):
    r = requests.post(
        sandbox.url + "/_sandbox/faults",
        json={"method": "GET", "path": "/v1/payment_intents", "status": 503, "count": 1},
    )
    assert r.status_code == 200 and r.json()["id"]
    assert len(requests.get(sandbox.url + "/_sandbox/faults").json()["faults"]) == 1
    client = client_for(sandbox, api_key)
    with pytest.raises(stripe.APIError):
        client.v1.payment_intents.list()
    assert requests.get(sandbox.url + "/_sandbox/faults").json()["faults"] == []
    requests.post(sandbox.url + "/_sandbox/faults", json={"path": "/v1/*", "status": 500, "count": 5})
    assert requests.delete(sandbox.url + "/_sandbox/faults").json() == {"faults": []}
    bad = requests.post(sandbox.url + "/_sandbox/faults", json={"path": "/v1/*"})
    assert bad.status_code == 400


def test_reset_empties_the_store(api_key):
    from pos.sandbox import running_sandbox

    with running_sandbox() as sb:
        client = client_for(sb, api_key)
        client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
        assert requests.post(sb.url + "/_sandbox/reset").json() == {"reset": True}
        assert client.v1.payment_intents.list().data == []


def test_a_replayed_answer_can_be_dropped_too(sandbox, api_key):
    client = client_for(sandbox, api_key)
    opts = {"idempotency_key": "replay-drop"}
    first = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"}, opts)
    sandbox.faults.arm("/v1/payment_intents", method="POST", drop=True)
    with pytest.raises(stripe.APIConnectionError):
        client.v1.payment_intents.create({"amount": 1000, "currency": "usd"}, opts)
    assert client.v1.payment_intents.create({"amount": 1000, "currency": "usd"}, opts).id == first.id
