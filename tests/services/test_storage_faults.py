"""The database fails to write at each phase of a sale: nothing new is charged, nothing charged is lost.

The conditions are real where this machine allows: a full disk is a small
tmpfs filled to the last byte (needs root to mount, as CI has), a locked
database is another connection holding an exclusive lock. A read-only
database is a till started on a read-only filesystem; and, mid-sale, SQLite's
own read-only switch (PRAGMA query_only) on the till's connections, because a
filesystem cannot be made read-only under files open for writing (the kernel
refuses the remount). After each failure the condition is lifted, recovery
runs, and the exactly-once invariants are checked.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess

import pytest
from sqlalchemy import event

from pos.services.checkout import CheckoutError, Failed, Paid
from pos.services.recovery import recover
from tests.invariants import check_invariants

from .conftest import Shop

# Each journal call of a card sale. Since issue 27 item 1 the intent's id and the attempt are held
# (hold_intent, hold_attempt write nothing): a storage failure armed there first bites at the answer's
# transaction, after the confirm went out, so the cashier must hear the payment may have gone through.
PHASES = ["begin_sale", "hold_intent", "hold_attempt", "finish_paid"]
AFTER_THE_CONFIRM = ("hold_intent", "hold_attempt", "finish_paid")


@pytest.fixture
def tmpfs(tmp_path):
    mount_point = tmp_path / "fs"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


class DiskFull:
    def __init__(self, where):
        self.filler = where / "filler.bin"

    def start(self, shop):
        # Checkpoint first so the next commit must grow the WAL file, then take every free byte.
        with shop.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            for size in (65536, 1):
                try:
                    while True:
                        os.write(fd, b"\0" * size)
                except OSError:
                    pass
        finally:
            os.close(fd)

    def stop(self, shop):
        self.filler.unlink(missing_ok=True)


class Locked:
    def __init__(self, db_path):
        self.db_path = db_path
        self.conn = None

    def start(self, shop):
        self.conn = sqlite3.connect(self.db_path, isolation_level=None, timeout=0.1)
        self.conn.execute("BEGIN EXCLUSIVE")

    def stop(self, shop):
        if self.conn is not None:
            self.conn.execute("ROLLBACK")
            self.conn.close()


class QueryOnly:
    """SQLite's read-only switch on every connection of the till (see the module docstring)."""

    def start(self, shop):
        shop.engine.dispose()
        self._listener = lambda dbapi, _rec: dbapi.execute("PRAGMA query_only=ON")
        event.listen(shop.engine, "connect", self._listener)

    def stop(self, shop):
        event.remove(shop.engine, "connect", self._listener)
        shop.engine.dispose()


def fail_at(shop, phase, condition):
    """Lift nothing: just arm `condition` right before the journal's `phase` write."""
    original = getattr(shop.journal, phase)

    def armed(*args, **kwargs):
        condition.start(shop)
        return original(*args, **kwargs)

    setattr(shop.journal, phase, armed)
    return lambda: setattr(shop.journal, phase, original)


def run_case(shop, phase, condition, words):
    disarm = fail_at(shop, phase, condition)
    shop.cart_of((shop.latte, 1))
    try:
        result = shop.till.pay("pm_card_visa")
    except CheckoutError as exc:
        result = Failed(str(exc))
    finally:
        disarm()
    assert isinstance(result, Failed), result
    assert words in result.message
    if phase in AFTER_THE_CONFIRM:
        # Charged but not saved: the cashier is told not to charge again, and a retry charges nothing.
        assert result.money_may_have_moved and "Do NOT charge again" in result.message
        again = shop.checkout.charge(shop.till.sale_id, "pm_card_visa")
        assert isinstance(again, Failed) and again.money_may_have_moved
    else:
        assert "Nothing was charged" in result.message and not result.money_may_have_moved
    condition.stop(shop)
    shop.engine.dispose()
    recovered = recover(shop.journal, shop.gateway)
    assert all(not r.needs_person for r in recovered), recovered
    if phase in AFTER_THE_CONFIRM:
        assert [r.outcome for r in recovered] == ["receipt_saved"]
    assert shop.journal.unfinished_sales() == []
    counts = check_invariants(shop.data_dir / "pos.sqlite3", shop.stripe)
    assert counts["receipts"] == (1 if phase in AFTER_THE_CONFIRM else 0)
    # Once the disk can be written again, the till sells normally.
    shop.till.new_sale()
    shop.cart_of((shop.bun, 1))
    assert isinstance(shop.till.pay("pm_card_visa"), Paid)
    check_invariants(shop.data_dir / "pos.sqlite3", shop.stripe)


@pytest.mark.parametrize("phase", PHASES)
def test_disk_full(tmpfs, sandbox, api_key, phase):
    shop = Shop(tmpfs / "data", sandbox, api_key)
    try:
        run_case(shop, phase, DiskFull(tmpfs), "disk is full")
    finally:
        shop.engine.dispose()


@pytest.mark.parametrize("phase", PHASES)
def test_locked(tmp_path, sandbox, api_key, phase):
    shop = Shop(tmp_path / "data", sandbox, api_key, busy_timeout_ms=200)
    try:
        run_case(shop, phase, Locked(tmp_path / "data" / "pos.sqlite3"), "busy")
    finally:
        shop.engine.dispose()


@pytest.mark.parametrize("phase", PHASES)
def test_read_only_mid_sale(tmp_path, sandbox, api_key, phase):
    shop = Shop(tmp_path / "data", sandbox, api_key)
    try:
        run_case(shop, phase, QueryOnly(), "read-only")
    finally:
        shop.engine.dispose()


def test_started_on_a_read_only_filesystem(tmpfs, sandbox, api_key):
    shop = Shop(tmpfs / "data", sandbox, api_key)
    shop.engine.dispose()
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    try:
        shop.cart_of((shop.latte, 1))
        with pytest.raises(CheckoutError) as caught:
            shop.till.pay("pm_card_visa")
        assert "read-only" in str(caught.value) and "Nothing was charged" in str(caught.value)
        assert shop.stripe.v1.payment_intents.list().data == []
    finally:
        shop.engine.dispose()
        subprocess.run(["mount", "-o", "remount,rw", str(tmpfs)], check=True)
