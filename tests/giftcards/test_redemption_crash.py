"""SIGKILL at each recovery point of a gift card redemption (services/crashpoints.GIFT_CARD_POINTS):
started again, the till debits the card once or not at all, reopens the sale owing what is left,
and takes it by card. Real processes, real SQLite, the sandbox for the card part."""

from __future__ import annotations

import signal
import sqlite3

import pytest

from pos.services.crashpoints import GIFT_CARD_POINTS
from tests.invariants import check_invariants
from tests.services.conftest import sandbox_client
from tests.services.test_crash_recovery import run_helper

# point: (taken from the card, paid by card after the restart)
EXPECTED = {
    "after_redemption_recorded": (0, 4000),  # the ledger never heard of it: its key is given up
    "after_gift_card_debited": (2000, 2000),  # debited, not journaled: recovery records it once
    "after_gift_card_recorded": (2000, 2000),
}


@pytest.mark.parametrize("point", GIFT_CARD_POINTS)
def test_killed_at_each_recovery_point_of_a_redemption(tmp_path, sandbox, api_key, point):
    data_dir = tmp_path / "till"

    def run(mode, **extra):
        return run_helper("tests.helpers.giftcard", data_dir, sandbox, api_key, mode, **extra)

    issued = run("issue")
    assert issued.returncode == 0, issued.stdout + issued.stderr
    killed = run("pay", POS_CRASH_AT=point)
    assert killed.returncode == -signal.SIGKILL, (killed.stdout, killed.stderr)
    resumed = run("resume")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    taken, by_card = EXPECTED[point]
    assert f"due {by_card}" in resumed.stdout and "paid 1" in resumed.stdout, resumed.stdout
    again = run("resume")  # nothing is left, and nothing moves twice
    assert "nothing open" in again.stdout, again.stdout
    check_invariants(data_dir / "pos.sqlite3", sandbox_client(sandbox, api_key))
    conn = sqlite3.connect(data_dir / "pos.sqlite3")
    try:
        entries = conn.execute("SELECT kind, amount_minor FROM gift_card_entries ORDER BY id").fetchall()
        tenders = conn.execute("SELECT kind, amount_minor, state FROM tenders ORDER BY part_no").fetchall()
        receipts = conn.execute("SELECT receipt_no, total_minor FROM receipts").fetchall()
        open_redemptions = conn.execute(
            "SELECT count(*) FROM gift_card_redemptions WHERE state IN ('started', 'debited')"
        ).fetchone()[0]
    finally:
        conn.close()
    redeemed = sum(amount for kind, amount in entries if kind == "redeem")
    assert redeemed == taken  # debited once or not at all
    assert sum(a for k, a, _s in tenders if k == "gift_card") == taken  # and recorded exactly as taken
    expected_tenders = [("cash", 500, "paid")] + ([("gift_card", taken, "paid")] if taken else [])
    assert tenders == expected_tenders + [("card", by_card, "paid")]
    assert receipts == [(1, 4500)] and open_redemptions == 0


def test_a_card_sold_for_cash_is_issued_once_even_if_the_till_dies_after_the_receipt(tmp_path, sandbox, api_key):
    """The receipt owes the card (gift_card_sales, in its transaction); killed before the card was
    written to its ledger, the till issues it at the next start, and only once."""
    data_dir = tmp_path / "till"
    killed = run_helper(
        "tests.helpers.giftcard", data_dir, sandbox, api_key, "sell", POS_CRASH_AT="after_cash_recorded"
    )
    assert killed.returncode == -signal.SIGKILL, (killed.stdout, killed.stderr)
    code = killed.stdout.split("sold ")[1].split()[0]
    for _ in range(2):
        again = run_helper("tests.helpers.giftcard", data_dir, sandbox, api_key, "balance")
        assert again.returncode == 0, again.stdout + again.stderr
        assert f"card {code} 3000" in again.stdout, again.stdout
    conn = sqlite3.connect(data_dir / "pos.sqlite3")
    try:
        issued = conn.execute("SELECT kind, amount_minor FROM gift_card_entries").fetchall()
        owed = conn.execute("SELECT state FROM gift_card_sales").fetchall()
        receipt = conn.execute("SELECT total_minor, tax_minor FROM receipts").fetchall()
    finally:
        conn.close()
    assert issued == [("issue", 3000)] and owed == [("issued",)]
    assert receipt == [(3000, 0)]  # no tax on a gift card
