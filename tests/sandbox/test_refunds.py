"""Refunds against a succeeded PaymentIntent's charge."""

from __future__ import annotations

import pytest
import stripe

from tests.helpers.cards import CARD_ONLY


@pytest.fixture
def paid(client):
    return client.v1.payment_intents.create(
        {"amount": 2000, "currency": "sgd", "payment_method": "pm_card_visa", "confirm": True, **CARD_ONLY}
    )


def test_partial_then_full_refund(client, paid):
    first = client.v1.refunds.create(
        {"payment_intent": paid.id, "amount": 500, "reason": "requested_by_customer", "metadata": {"receipt": "0001"}}
    )
    assert first.object == "refund" and first.status == "succeeded" and first.amount == 500
    assert first.charge == paid.latest_charge and first.payment_intent == paid.id
    charge = client.v1.charges.retrieve(paid.latest_charge)
    assert charge.amount_refunded == 500 and not charge.refunded
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": paid.id, "amount": 1501})
    assert caught.value.code == "amount_too_large"
    rest = client.v1.refunds.create({"charge": paid.latest_charge})
    assert rest.amount == 1500
    charge = client.v1.charges.retrieve(paid.latest_charge)
    assert charge.amount_refunded == 2000 and charge.refunded
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": paid.id})
    assert caught.value.code == "charge_already_refunded"
    listed = client.v1.refunds.list({"payment_intent": paid.id})
    assert [r.id for r in listed.data] == [rest.id, first.id]
    assert client.v1.refunds.retrieve(first.id).metadata["receipt"] == "0001"


def test_refund_needs_a_successful_charge(client):
    pi = client.v1.payment_intents.create({"amount": 2000, "currency": "sgd"})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create({"payment_intent": pi.id})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({})
    assert caught.value.code == "parameter_missing"


def test_a_three_decimal_refund_must_end_in_zero_as_a_charge_must(client):
    """Stripe's currencies page: the three-decimal currencies (BHD, JOD, KWD, OMR, TND) are taken by
    Payment Intents, Refunds and Disputes with the last digit 0 (https://docs.stripe.com/currencies,
    "Three-decimal currencies"); the sandbox checked only charges, so a till refunding 0.005 KWD to
    a card passed here and would be refused by Stripe."""
    paid = client.v1.payment_intents.create(
        {"amount": 1230, "currency": "kwd", "payment_method": "pm_card_visa", "confirm": True, **CARD_ONLY}
    )
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": paid.id, "amount": 5})
    assert caught.value.code == "invalid_charge_amount" and caught.value.param == "amount"
    assert client.v1.charges.retrieve(paid.latest_charge).amount_refunded == 0
    assert client.v1.refunds.create({"payment_intent": paid.id, "amount": 230}).amount == 230
    assert client.v1.refunds.create({"payment_intent": paid.id}).amount == 1000  # the rest, whole tens
