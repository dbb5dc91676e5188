"""An exchange killed between its refund and the new sale (issue 24 item 4): SIGKILL at each recovery
point of the refund's store-credit piece, of the exchange and of the credit's redemption; `pos recover`
leaves the credit existing exactly once, either applied to the new sale or kept on its code, and says
which. Real processes, real SQLite, the sandbox over HTTP for the sale."""

from __future__ import annotations

import pytest

from tests.invariants import check_invariants
from tests.services.conftest import sandbox_client
from tests.services.test_crash_recovery import recover_cli, refund_killed_at
from tests.services.test_refund_drawer import rows
from tests.services.test_store_credit import CREDITS

APPLIED = ("after_gift_card_debited", "after_gift_card_recorded")


@pytest.mark.parametrize(
    "point",
    [
        "after_refund_recorded",  # the refund journaled, no code issued
        "after_store_credit_issued",  # the code issued, the refund piece not numbered
        "after_exchange_refunded",  # the refund done, the credit not redeemed
        "after_redemption_recorded",  # the redemption journaled, the code not debited
        *APPLIED,  # the code debited (the tender not written / written)
    ],
)
def test_an_exchange_killed_at_each_point_keeps_or_applies_its_credit_once(tmp_path, sandbox, api_key, point):
    data_dir = tmp_path / "till"
    refund_killed_at(point, data_dir, sandbox, api_key, "exchange")
    db = data_dir / "pos.sqlite3"
    assert rows(db, "SELECT state FROM exchanges") == [("started",)]
    done = recover_cli(data_dir, sandbox, api_key)
    assert done.returncode == 0, done.stdout + done.stderr
    ((code, purpose, _sum, _entries),) = rows(db, CREDITS)  # one code, however far it got
    moves = [m for m in rows(db, "SELECT kind, amount_minor FROM gift_card_entries ORDER BY id") if m[0] != "cancelled"]
    ((printed,),) = rows(db, "SELECT store_credit_code FROM refunds WHERE store_credit_code IS NOT NULL")
    assert purpose == "store_credit" and printed.replace("-", "") == code
    if point in APPLIED:
        assert moves == [("issue", 450), ("redeem", 450)]  # issued once, spent once
        assert rows(db, "SELECT state FROM exchanges") == [("applied",)]
        assert rows(db, "SELECT amount_minor FROM tenders WHERE kind = 'store_credit'") == [(450,)]
        assert f"its store credit {printed} was applied to the new sale" in done.stdout
    else:
        assert moves == [("issue", 450)]  # issued once, kept on the code
        assert rows(db, "SELECT state FROM exchanges") == [("kept",)]
        assert rows(db, "SELECT count(*) FROM tenders WHERE kind = 'store_credit' AND state = 'paid'") == [(0,)]
        assert f"store credit {printed} keeps SGD 4.50 for the customer" in done.stdout
    again = recover_cli(data_dir, sandbox, api_key)
    assert again.returncode == 0 and "exchange" not in again.stdout
    assert len(rows(db, CREDITS)) == 1
    check_invariants(db, sandbox_client(sandbox, api_key))
