"""One owner per data folder (issue 11, finding 1): a second process never touches a live payment.

Each test reproduced the finding before the folder lock: `pos recover` during a slow confirm
cancelled the sale the till was paying for, and recovery after a decline parked a cart the
cashier was about to pay with another card.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pos.app import FolderInUse, build_context
from pos.services.checkout import Declined, Paid
from pos.services.recovery import recover
from tests.invariants import check_invariants

from .conftest import sandbox_client

ROOT = Path(__file__).resolve().parents[2]


def holder(data_dir, sandbox, api_key):
    env = dict(os.environ, PYTHONPATH=str(ROOT), POS_STRIPE_API_KEY=api_key)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.hold", str(data_dir), sandbox.url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    line = proc.stdout.readline().split()
    assert line[:1] == ["ready"], proc.stderr.read()
    return proc, int(line[1])


def pos(*args, api_key):
    env = dict(os.environ, PYTHONPATH=str(ROOT), POS_STRIPE_API_KEY=api_key)
    return subprocess.run(
        [sys.executable, "-m", "pos", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_pos_recover_during_a_slow_confirm_leaves_the_payment_alone(tmp_path, sandbox, api_key):
    data = tmp_path / "data"
    proc, pid = holder(data, sandbox, api_key)
    try:
        # The confirm is held by the sandbox until this test has run `pos recover`.
        rule = sandbox.faults.arm("/v1/payment_intents/*/confirm", method="POST", delay_ms=4000)
        proc.stdin.write("pay pm_card_visa\n")
        proc.stdin.flush()
        wait_for(lambda: all(r["id"] != rule.id for r in sandbox.faults.rules()))  # the confirm is in flight
        done = pos("--data-dir", str(data), "--stripe-base-url", sandbox.url, "recover", api_key=api_key)
        assert done.returncode == 1
        assert f"process {pid}" in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
        assert proc.stdout.readline().startswith("Paid")
    finally:
        proc.stdin.write("quit\n")
        proc.stdin.close()
        proc.wait(30)
    intents = sandbox_client(sandbox, api_key).v1.payment_intents.list().data
    assert [i.status for i in intents] == ["succeeded"]
    check_invariants(data / "pos.sqlite3", sandbox_client(sandbox, api_key))
    # Once the till has gone, the folder is free again.
    assert pos("--data-dir", str(data), "--stripe-base-url", sandbox.url, "recover", api_key=api_key).returncode == 0


def test_a_second_context_on_a_held_folder_is_refused_and_names_the_holder(tmp_path, sandbox, api_key):
    first = build_context(tmp_path / "data", stripe_base_url=sandbox.url, api_key=api_key)
    try:
        with pytest.raises(FolderInUse) as caught:
            build_context(tmp_path / "data", stripe_base_url=sandbox.url, api_key=api_key)
        assert f"process {os.getpid()}" in caught.value.holder
        looking = build_context(tmp_path / "data", stripe_base_url=sandbox.url, read_only_because=caught.value.holder)
        try:
            assert looking.read_only and looking.endpoint == "not connected (read-only)"
            assert looking.receipts is not None and looking.catalog.count() == first.catalog.count()
        finally:
            looking.close()
    finally:
        first.close()
    build_context(tmp_path / "data", stripe_base_url=sandbox.url, api_key=api_key).close()


def test_recovery_never_cancels_a_sale_between_two_cards(shop):
    shop.cart_of((shop.latte, 1))
    assert isinstance(shop.till.pay("pm_card_chargeDeclined"), Declined)
    # The every-minute recovery of the till that owns the folder, as the window runs it.
    assert recover(shop.journal, shop.gateway, exclude=shop.till.owns, lock_for=shop.checkout.sale_lock) == []
    assert isinstance(shop.till.pay("pm_card_visa"), Paid)
    assert shop.journal.parked_sales() == []
    assert [i.status for i in shop.stripe.v1.payment_intents.list().data] == ["succeeded"]
    check_invariants(shop.data_dir / "pos.sqlite3", shop.stripe)


def test_a_killed_till_frees_its_folder(tmp_path, sandbox, api_key):
    proc, _pid = holder(tmp_path / "data", sandbox, api_key)
    proc.kill()
    proc.wait(10)
    build_context(tmp_path / "data", stripe_base_url=sandbox.url, api_key=api_key).close()


def test_pos_recover_between_two_cards_of_another_process_touches_nothing(tmp_path, sandbox, api_key):
    data = tmp_path / "data"
    proc, pid = holder(data, sandbox, api_key)
    try:
        proc.stdin.write("pay pm_card_chargeDeclined\n")
        proc.stdin.flush()
        assert proc.stdout.readline().startswith("Declined")
        done = pos("--data-dir", str(data), "--stripe-base-url", sandbox.url, "recover", api_key=api_key)
        assert done.returncode == 1 and f"process {pid}" in done.stderr
        proc.stdin.write("pay pm_card_visa\n")  # the cashier's next card pays the same sale
        proc.stdin.flush()
        assert proc.stdout.readline().startswith("Paid")
    finally:
        proc.stdin.write("quit\n")
        proc.stdin.close()
        proc.wait(30)
    client = sandbox_client(sandbox, api_key)
    assert [i.status for i in client.v1.payment_intents.list().data] == ["succeeded"]
    check_invariants(data / "pos.sqlite3", client)
