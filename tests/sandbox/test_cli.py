"""`python -m pos.sandbox` as a process: first line, signals, loopback only, --db across restarts."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
import stripe

from tests.helpers.cards import CARD_ONLY


def start(*args, **popen):
    proc = subprocess.Popen(
        [sys.executable, "-m", "pos.sandbox", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )
    line = proc.stdout.readline().strip()
    return proc, line


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serves_until_signalled(sig, api_key):
    proc, line = start("--port", "0")
    try:
        assert line.startswith("listening on http://127.0.0.1:")
        url = line.split()[-1]
        client = stripe.StripeClient(api_key, base_addresses={"api": url})
        assert client.v1.payment_intents.create({"amount": 1000, "currency": "usd"}).id
    finally:
        proc.send_signal(sig)
        assert proc.wait(10) == 0


def test_refuses_other_hosts():
    proc = subprocess.run(
        [sys.executable, "-m", "pos.sandbox", "--host", "0.0.0.0"], capture_output=True, text=True, timeout=30
    )
    assert proc.returncode != 0
    assert "loopback" in proc.stderr


def test_db_survives_restart(tmp_path, api_key):
    db = str(tmp_path / "sandbox.db")
    proc, line = start("--db", db)
    client = stripe.StripeClient(api_key, base_addresses={"api": line.split()[-1]})
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd", **CARD_ONLY}, {"idempotency_key": "k"})
    client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"})
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0

    proc, line = start("--db", db)
    try:
        client = stripe.StripeClient(api_key, base_addresses={"api": line.split()[-1]})
        again = client.v1.payment_intents.retrieve(pi.id)
        assert again.status == "succeeded"
        replay = client.v1.payment_intents.create(
            {"amount": 1000, "currency": "usd", **CARD_ONLY}, {"idempotency_key": "k"}
        )
        assert replay.id == pi.id
        assert len(client.v1.charges.list({"payment_intent": pi.id}).data) == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)


def test_started_as_a_background_job_it_still_stops_on_sigint():
    """A script's `cmd &` starts its job with SIGINT ignored, and Python keeps an ignored SIGINT ignored:
    the sandbox then ran on after Ctrl-C or `kill -INT` (found when the README's test command ran as a
    background job: test_serves_until_signalled[SIGINT] waited 10 s). It takes SIGINT itself now."""
    ignored = lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)  # noqa: E731  # as bash does for `&`
    proc, line = start("--port", "0", preexec_fn=ignored)
    try:
        assert line.startswith("listening on http://127.0.0.1:")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            assert proc.wait(10) == 0
        finally:
            proc.kill()
            proc.wait()
