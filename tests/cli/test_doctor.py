"""`pos doctor --live`: the till's flows against "live" and against the embedded sandbox, compared.

Real Stripe cannot be reached here, so "live" is a second sandbox: started with another
account default version, it must be reported as different; started like the embedded
one, it must agree. Mocked: nothing.
"""

from __future__ import annotations

import secrets

import stripe

from pos.sandbox import running_sandbox
from pos.services.doctor import Observation, compare, render_table

from .test_cli import pos


def doctor(url, key, tmp_path, *extra):
    return pos(
        "--data-dir",
        str(tmp_path / "data"),
        "--stripe-base-url",
        url,
        "--profile",
        f"doctor-{secrets.token_hex(4)}",
        "doctor",
        "--live",
        *extra,
        env={"POS_STRIPE_API_KEY": key},
    )


def test_a_server_that_answers_differently_is_reported(tmp_path, api_key):
    with running_sandbox(api_version="2020-08-27") as live:
        done = doctor(live.url, api_key, tmp_path)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    differing = [line for line in lines if line.endswith("DIFFERS")]
    assert any(line.startswith("account default version") and "2020-08-27" in line for line in differing)
    assert any("+charges" in line and "+invoice" in line for line in differing)
    assert "2 of" in done.stdout and "checks differ" in done.stdout
    # The till's own flows agree: the same statuses, errors, versions and fields.
    for step in ("create", "confirm", "decline", "refund", "cancel", "idempotent replay", "idempotency mismatch"):
        rows = [line for line in lines if line.startswith(step + " ")]
        assert rows and all(line.endswith("ok") for line in rows), step
    assert api_key not in done.stdout + done.stderr


def test_a_server_that_answers_the_same_agrees(tmp_path, api_key):
    with running_sandbox() as live:
        done = doctor(live.url, api_key, tmp_path)
        made = (
            stripe.StripeClient(api_key, base_addresses={"api": live.url})
            .v1.payment_intents.list({"limit": 100, "expand": ["data.latest_charge"]})
            .data
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "agree on all" in done.stdout
    for step in ("decline", "error code", "card_declined", "idempotency_error", "Idempotent-Replayed"):
        assert step in done.stdout
    # It cleans up after itself: everything it made is cancelled or refunded in full.
    assert len(made) == 4  # paid, declined, cancelled, and the one the replay step made once
    for intent in made:
        if intent.status == "succeeded":
            assert intent.latest_charge.refunded, intent.id
        else:
            assert intent.status == "canceled", (intent.id, intent.status)


def test_live_keys_are_refused(tmp_path):
    key = "sk_live_" + secrets.token_hex(12)
    done = doctor("http://127.0.0.1:9", key, tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: That is a live key")
    assert "Traceback" not in done.stderr and key not in done.stdout + done.stderr


def test_no_key_is_one_line(tmp_path):
    done = pos(
        "--data-dir",
        str(tmp_path / "data"),
        "--profile",
        f"doctor-{secrets.token_hex(4)}",
        "doctor",
        "--live",
        env={"POS_STRIPE_API_KEY": ""},
    )
    assert done.returncode == 2 and "needs a Stripe test key" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unreachable_live_side_is_a_difference_not_a_crash(tmp_path, api_key):
    done = doctor("http://127.0.0.1:9", api_key, tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "no answer" in done.stdout


def test_compare_lists_each_fact_and_the_field_differences():
    live = Observation(
        http_status=400,
        error_type="invalid_request_error",
        error_code="parameter_unknown",
        error_param="payment_method_types",
        version="2026-10-28.endive",
    )
    ours = Observation(
        http_status=200,
        object_status="requires_payment_method",
        version="2026-10-28.endive",
        fields=frozenset({"id", "amount"}),
    )
    rows = compare("create", live, ours)
    facts = {r.fact: r for r in rows}
    assert not facts["status"].agrees and facts["version"].agrees
    assert facts["error code"].live == "parameter_unknown" and facts["error code"].sandbox == "—"
    assert facts["fields"].sandbox == "+amount, +id"
    table = render_table(rows, "stripe")
    assert "checks differ" in table and "DIFFERS" in table
