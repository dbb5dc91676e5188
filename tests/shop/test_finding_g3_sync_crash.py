"""Hostile tester g3 (issue 27 item 4): a till killed between the shop's commit and its own note of
the acknowledgement (noted once a round since 9cae937). Real `pos` processes (SIGKILL at the crash
point), real PostgreSQL (tests/helpers/pg.py), real SQLite files; nothing mocked."""

from __future__ import annotations

import sqlite3

from tests.helpers.shop import pos, shop_rows


def _import(folder, shop_db: str, price: str, **env: str):
    csv_file = folder.parent / f"{folder.name}-{price}.csv"
    csv_file.write_text(f"sku,barcode,name,category,price,tax_rate\nMUG,,Mug,Gifts,{price},9\n")
    return pos("catalog", "import", str(csv_file), data_dir=folder, shop_db=shop_db, **env)


def _price_at(folder) -> int:
    with sqlite3.connect(folder / "pos.sqlite3") as conn:
        return conn.execute("SELECT price_minor FROM products WHERE sku = 'MUG'").fetchone()[0]


def test_finding_a_till_killed_after_the_shops_commit_still_takes_another_tills_later_edit(pg, shop_db, tmp_path):
    """T1 edits a product and is killed right after the shop committed the edit, before it noted the
    acknowledgement. T2 then edits the same product. T1's next rounds have nothing to send, so they
    never noted the shop's acknowledgement: T1 held its sent edit as still waiting to go up (it "wins
    then"), skipped the shop's newer version of that product in the pull and moved past it for good:
    T1 sold the mug at its own old price while the shop and T2 had the new one."""
    t1, t2 = tmp_path / "T1", tmp_path / "T2"
    for folder, name in ((t1, "T1"), (t2, "T2")):
        named = pos("settings", "set", "till_id", name, data_dir=folder, shop_db=shop_db)
        assert named.returncode == 0, named.stderr
    assert _import(t1, shop_db, "5.50").returncode == 0
    assert pos("sync", data_dir=t2, shop_db=shop_db).returncode == 0
    assert _price_at(t2) == 550

    killed = _import(t1, shop_db, "6.00", POS_CRASH_AT="after_shop_commit")
    assert killed.returncode == -9, killed.stderr
    assert shop_rows(pg, shop_db, "SELECT price_minor FROM shop_products WHERE sku = 'MUG'") == [(600,)]

    assert _import(t2, shop_db, "7.00").returncode == 0
    assert shop_rows(pg, shop_db, "SELECT price_minor FROM shop_products WHERE sku = 'MUG'") == [(700,)]
    for _round in range(2):
        synced = pos("sync", data_dir=t1, shop_db=shop_db)
        assert synced.returncode == 0, synced.stderr
    assert _price_at(t1) == 700
    assert shop_rows(pg, shop_db, "SELECT price_minor FROM shop_products WHERE sku = 'MUG'") == [(700,)]


def test_finding_a_till_killed_after_the_shops_commit_then_two_tills_at_once_agree_with_the_shop(
    pg, shop_db, tmp_path, sandbox, api_key
):
    """T1's sync of 22 receipts (one batch by COPY) is killed right after the shop committed it; then
    T1 and T2 (22 receipts of its own) sync at once, as two processes. Before: T1's `pos sync` kept
    exiting 1 ("46 events are still waiting") while the shop had them all. After each step the kept
    figures agree with the rows (`pos shop verify`) and every receipt is at the shop once."""
    from pos.adapters.shop.sync import COPY_FROM
    from tests.helpers.shop import sell, sync_at_once, till

    for name in ("T1", "T2"):
        context = till(tmp_path, name, sandbox, api_key, shop_db)
        try:
            sell(context, COPY_FROM + 2, cash_only=True)
        finally:
            context.close()
    t1, t2 = tmp_path / "T1", tmp_path / "T2"
    killed = pos("sync", data_dir=t1, shop_db=shop_db, POS_CRASH_AT="after_shop_commit")
    assert killed.returncode == -9, killed.stderr
    assert shop_rows(pg, shop_db, "SELECT count(*) FROM shop_receipts") == [(COPY_FROM + 2,)]
    assert pos("shop", "verify", data_dir=t1, shop_db=shop_db).returncode == 0

    sync_at_once(shop_db, t1, t2)
    assert shop_rows(pg, shop_db, "SELECT till_id, count(*) FROM shop_receipts GROUP BY 1 ORDER BY 1") == [
        ("T1", COPY_FROM + 2),
        ("T2", COPY_FROM + 2),
    ]
    verified = pos("shop", "verify", data_dir=t2, shop_db=shop_db)
    assert verified.returncode == 0, verified.stdout + verified.stderr
