"""Stripe's idempotency layer: replay, parameter mismatch, in-flight 409, the 24-hour window."""

from __future__ import annotations

import threading

import pytest
import stripe

from tests.helpers.cards import CARD_ONLY


def create(client, key, amount=1000, **extra):
    return client.v1.payment_intents.create(
        {"amount": amount, "currency": "usd", **CARD_ONLY, **extra}, {"idempotency_key": key}
    )


def count(client):
    return len(client.v1.payment_intents.list({"limit": 100}).data)


def test_replay_returns_the_first_response(client):
    first = create(client, "sale-1-create")
    again = create(client, "sale-1-create")
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert first.last_response.headers.get("Idempotent-Replayed") is None
    assert count(client) == 1


def test_other_parameters_are_an_idempotency_error(client):
    create(client, "k")
    with pytest.raises(stripe.IdempotencyError) as caught:
        create(client, "k", amount=2000)
    assert caught.value.http_status == 400
    assert caught.value.error.type == "idempotency_error"
    with pytest.raises(stripe.IdempotencyError):
        client.v1.refunds.create({"charge": "ch_x"}, {"idempotency_key": "k"})


def test_a_decline_is_replayed_not_charged_again(client):
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd", **CARD_ONLY})
    opts = {"idempotency_key": "confirm-1"}
    params = {"payment_method": "pm_card_chargeDeclined"}
    with pytest.raises(stripe.CardError) as first:
        client.v1.payment_intents.confirm(pi.id, params, opts)
    with pytest.raises(stripe.CardError) as again:
        client.v1.payment_intents.confirm(pi.id, params, opts)
    assert again.value.headers.get("Idempotent-Replayed") == "true"
    assert first.value.error.charge == again.value.error.charge
    assert len(client.v1.charges.list({"payment_intent": pi.id}).data) == 1


def test_validation_failures_are_not_saved(client):
    with pytest.raises(stripe.InvalidRequestError):
        create(client, "k2", amount=1)
    assert create(client, "k2", amount=1000).amount == 1000


def test_key_in_use_is_409_and_saves_nothing(client, sandbox):
    held = sandbox.faults.arm("/v1/payment_intents", method="POST", hold=True)
    results = {}
    slow = threading.Thread(target=lambda: results.setdefault("first", create(client, "busy")))
    slow.start()
    held.wait_arrived()  # the first request is inside the sandbox, its key reserved
    try:
        with pytest.raises(stripe.APIError) as caught:
            create(client, "busy")
    finally:
        held.release()
    slow.join()
    assert caught.value.http_status == 409
    assert caught.value.error.code == "idempotency_key_in_use"
    assert create(client, "busy").id == results["first"].id
    assert count(client) == 1


def test_keys_expire_after_24_hours(client, sandbox):
    first = create(client, "old")
    sandbox.clock.advance(24 * 3600 - 60)
    assert create(client, "old").id == first.id
    sandbox.clock.advance(120)
    fresh = create(client, "old", amount=2000)
    assert fresh.id != first.id and fresh.amount == 2000


def test_twenty_threads_racing_one_key_create_one_intent(sandbox, api_key):
    # Retries are on, as a till would have them: 409s are retried by the client until the
    # first request's answer is stored, then replayed.
    sandbox.faults.arm("/v1/payment_intents", method="POST", delay_ms=100)
    client = stripe.StripeClient(api_key, base_addresses={"api": sandbox.url}, max_network_retries=8)
    barrier = threading.Barrier(20)
    ids, failures = [], []

    def race():
        barrier.wait()
        try:
            ids.append(create(client, "race").id)
        except stripe.StripeError as exc:  # a 409 that outlived its retries
            failures.append(exc.http_status)

    threads = [threading.Thread(target=race) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 1
    assert set(failures) <= {409}
    assert count(client) == 1
