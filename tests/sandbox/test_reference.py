"""The sandbox's PaymentIntents carry every field of Stripe's real samples, with the same JSON types."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).parent / "reference"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "reference"


def load(name):
    return json.loads((HERE / name).read_text())


def test_vendored_samples_match_shared():
    if not SHARED.is_dir():
        pytest.skip(f"no shared reference folder at {SHARED}")
    for path in SHARED.glob("*.json"):
        assert json.loads(path.read_text()) == load(path.name), path.name


def json_type(value):
    return {
        type(None): "null",
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
    }[type(value)]


def assert_same_shape(reference, actual, where="$"):
    for key, ref in reference.items():
        assert key in actual, f"{where}.{key} missing"
        got = actual[key]
        assert json_type(got) == json_type(ref), f"{where}.{key}: {json_type(got)} != {json_type(ref)}"
        if isinstance(ref, dict):
            assert_same_shape(ref, got, f"{where}.{key}")


SEED_VERSION = "2020-08-27"  # the API version the 2020 samples were taken on


def post(sandbox, key, path, form):
    r = requests.post(
        sandbox.url + path, data=form, headers={"Authorization": f"Bearer {key}", "Stripe-Version": SEED_VERSION}
    )
    assert r.status_code == 200, r.text
    assert r.headers["Stripe-Version"] == SEED_VERSION
    return r.json()


def test_create_matches_reference(sandbox, api_key):
    body = load("payment_intent.create.request.json")
    form = {
        "amount": body["amount"],
        "currency": body["currency"],
        "payment_method_types[0]": body["payment_method_types"]["0"],
    }
    created = post(sandbox, api_key, "/v1/payment_intents", form)
    reference = load("payment_intent.create.response.json")
    assert_same_shape(reference, created)
    assert created["amount"] == 3456 and created["currency"] == "sgd"
    # The seed's version had no fields the till cannot read back the same way.
    for name in ("capture_method", "confirmation_method", "payment_method_types", "status"):
        assert created[name] == reference[name], name
    assert created["charges"]["total_count"] == 0 and created["invoice"] is None


def test_confirm_matches_reference(sandbox, api_key):
    created = post(sandbox, api_key, "/v1/payment_intents", {"amount": "544", "currency": "sgd"})
    # Before 2023-08-16 an intent without payment method types took cards and no return_url.
    assert created["automatic_payment_methods"] is None
    done = post(sandbox, api_key, f"/v1/payment_intents/{created['id']}/confirm", {"payment_method": "pm_card_visa"})
    assert_same_shape(load("payment_intent.confirm.response.json"), done)
    assert done["status"] == "succeeded"
    for field in ("amount_received", "latest_charge", "last_payment_error", "payment_method", "next_action"):
        assert field in done
    assert isinstance(done["latest_charge"], str) and isinstance(done["amount_received"], int)
    assert [c["id"] for c in done["charges"]["data"]] == [done["latest_charge"]]
