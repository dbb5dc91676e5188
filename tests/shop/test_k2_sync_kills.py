"""Hostile tester k2 (issue 27, tenth session): the shop sync killed between its COPYs and the shop's
commit, then two tills at once, with values at the edges of the columns sent. Real `pos` processes
(SIGKILL at the crash point), real PostgreSQL (tests/helpers/pg.py), real SQLite files; nothing
mocked."""

from __future__ import annotations

from pos.adapters.shop.sync import COPY_FROM
from pos.domain.catalog import Product
from pos.domain.money import Money
from tests.helpers.shop import pos, sell, shop_rows, sync_at_once, till

# Names at the edges of what a product may be called: other scripts, a character beyond the BMP,
# a combining mark, a backslash and a quote (COPY's text escapes), a tab-free long name.
EDGE_NAMES = ("Café ☕ 東京", "𝔘nicode 🧁", "e\u0301clair", "back\\slash 'n' \"quote\"", "W" * 200)


def _sales(context, count: int) -> None:
    """`count` cash sales of the edge-named products and a flat white (at the price's edges too)."""
    edge = [
        context.catalog.save(
            Product(sku=f"EDGE-{n}", name=name, category="Edge", price=Money(price, "SGD"), tax_rate_bp=900)
        )
        for n, (name, price) in enumerate(zip(EDGE_NAMES, (1, 99_999_999, 5, 12_345, 250), strict=True))
    ]
    for n in range(count):
        context.till.new_sale()
        context.till.cart.add(edge[n % len(edge)], 1 + n % 2)
        result = context.till.pay_cash(context.till.amount_due())
        assert type(result).__name__ == "Paid", result
    sell(context, 2, cash_only=True)


def test_a_sync_killed_between_its_copies_and_the_commit_then_two_tills_at_once_sends_each_receipt_once(
    pg, shop_db, tmp_path, sandbox, api_key
):
    per_till = COPY_FROM * 3
    for name in ("T1", "T2"):
        context = till(tmp_path, name, sandbox, api_key, shop_db)
        try:
            _sales(context, per_till - 2)
        finally:
            context.close()
    t1, t2 = tmp_path / "T1", tmp_path / "T2"
    # Batches of about a third of a till's sales (each by COPY): killed after the shop committed the
    # first (its acknowledgement not noted here), then in the next round between the second's COPYs
    # and its commit.
    batch = ["--batch", str(COPY_FROM * 3)]
    killed = pos("sync", *batch, data_dir=t1, shop_db=shop_db, POS_CRASH_AT="after_shop_commit")
    assert killed.returncode == -9, killed.stderr
    first = shop_rows(pg, shop_db, "SELECT count(*) FROM shop_receipts")[0][0]
    assert COPY_FROM <= first < per_till
    killed = pos("sync", *batch, data_dir=t1, shop_db=shop_db, POS_CRASH_AT="before_shop_commit")
    assert killed.returncode == -9, killed.stderr
    assert shop_rows(pg, shop_db, "SELECT count(*) FROM shop_receipts")[0][0] == first  # nothing of it kept

    sync_at_once(shop_db, t1, t2)
    receipts = "SELECT till_id, count(*), count(DISTINCT receipt_no) FROM shop_receipts GROUP BY 1 ORDER BY 1"
    assert shop_rows(pg, shop_db, receipts) == [("T1", per_till, per_till), ("T2", per_till, per_till)]
    names = {r[0] for r in shop_rows(pg, shop_db, "SELECT DISTINCT name FROM shop_receipt_lines")}
    assert set(EDGE_NAMES) <= names, names - set(EDGE_NAMES)
    for folder in (t1, t2):
        verified = pos("shop", "verify", data_dir=folder, shop_db=shop_db)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        status = pos("sync", data_dir=folder, shop_db=shop_db)
        assert status.returncode == 0, status.stderr
