"""Stock across the tills of one shop (issue 26), on a real PostgreSQL shop database: each till's
movements go up through the outbox exactly once, the others take them down, and after their sync
each till's levels equal the shop's sum."""

from __future__ import annotations

import json

from pos.domain.stock import StockItem
from tests.helpers.shop import pos, sell, shop_rows, till, trust_shop_ca


def shop_levels(pg, shop_db) -> dict[str, int]:
    return dict(shop_rows(pg, shop_db, "SELECT sku, sum(quantity_milli) FROM shop_stock_movements GROUP BY sku"))


def test_two_tills_sell_and_receive_and_each_ones_levels_after_sync_equal_the_shops(
    pg, shop_db, tmp_path, sandbox, api_key
):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    t2 = till(tmp_path, "T2", sandbox, api_key, shop_db)
    try:
        for t in (t1, t2):
            sell(t, 0)  # puts SHOP-1 in each till's catalog
            t.stock.set_item("SHOP-1", StockItem(track_stock=True, low_stock_milli=5000))
        t1.stock.receive("SHOP-1", "20", "2.00")  # the delivery arrives at T1
        sell(t1, 2)  # 1 + 2 flat whites
        sell(t2, 3)  # 1 + 2 + 3 flat whites
        t2.stock.count({"SHOP-1": 15000}, approved_by="Mara", apply=False)  # only looked at
        for t in (t1, t2, t1, t2):  # each sends its own and takes the other's
            assert t.shop.round().problem is None
        before = shop_rows(pg, shop_db, "SELECT count(*) FROM shop_stock_movements")
        t1.shop.round()  # sends the event of what it took down (its own trail), never the movements again
        assert t1.shop.round().pushed.events == 0  # nothing new: nothing sent
        assert shop_rows(pg, shop_db, "SELECT count(*) FROM shop_stock_movements") == before == [(6,)]
        shop = shop_levels(pg, shop_db)
        assert shop == {"SHOP-1": 20000 - 3000 - 6000}
        for t in (t1, t2):
            assert t.stock.level("SHOP-1").on_hand_milli == shop["SHOP-1"]  # type: ignore[union-attr]
            assert t.audit.verify() is None
        # A count at T2 is seen by T1 after both sync.
        t2.stock.count({"SHOP-1": 10000}, approved_by="Mara", apply=True)
        for t in (t2, t1):
            assert t.shop.round().problem is None
        assert shop_levels(pg, shop_db) == {"SHOP-1": 10000}
        assert t1.stock.level("SHOP-1").on_hand_milli == 10000  # type: ignore[union-attr]
        by_kind = "SELECT till_id, kind, count(*) FROM shop_stock_movements GROUP BY 1, 2 ORDER BY 1, 2"
        kinds = shop_rows(pg, shop_db, by_kind)
        assert kinds == [("T1", "delivery", 1), ("T1", "sale", 2), ("T2", "count", 1), ("T2", "sale", 3)]
    finally:
        t1.close()
        t2.close()


def test_two_locations_each_tills_levels_are_their_locations_and_the_shop_reports_both(
    pg, shop_db, tmp_path, sandbox, api_key
):
    """T1 and T2 stand in "main" (the default), T3 in "north" (set by `pos settings set location`):
    a delivery at T1 reaches T2 after their sync and never T3; T3's count is north's alone; the shop's
    report gives each location's levels."""
    set_north = pos("settings", "set", "location", " north ", data_dir=tmp_path / "T3", shop_db="")
    assert set_north.returncode == 0, set_north.stderr
    tills = [till(tmp_path, name, sandbox, api_key, shop_db) for name in ("T1", "T2", "T3")]
    t1, t2, t3 = tills
    try:
        assert t3.settings.location == "north"  # type: ignore[attr-defined]
        for t in tills:
            sell(t, 0)  # puts SHOP-1 in each till's catalog
            t.stock.set_item("SHOP-1", StockItem(track_stock=True))
        t1.stock.receive("SHOP-1", "20", "2.00")
        sell(t2, 2)  # 1 + 2 flat whites at main
        t3.stock.receive("SHOP-1", "7")
        t3.stock.count({"SHOP-1": 5000}, approved_by="Mara", apply=True)  # north's shelf: 5
        for t in tills + tills:  # each sends its own and takes its location's
            assert t.shop.round().problem is None
        assert t1.stock.level("SHOP-1").on_hand_milli == 17000  # type: ignore[union-attr]
        assert t2.stock.level("SHOP-1").on_hand_milli == 17000  # type: ignore[union-attr]
        assert t3.stock.level("SHOP-1").on_hand_milli == 5000  # type: ignore[union-attr]
        by_place = "SELECT location, till_id, count(*) FROM shop_stock_movements GROUP BY 1, 2 ORDER BY 1, 2"
        assert shop_rows(pg, shop_db, by_place) == [("main", "T1", 1), ("main", "T2", 2), ("north", "T3", 2)]
        for t in tills:
            assert t.audit.verify() is None
    finally:
        for t in tills:
            t.close()
    report = pos("shop", "stock", "--format", "json", data_dir=tmp_path / "T1", shop_db=shop_db)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout) == [
        {"location": "main", "sku": "SHOP-1", "on_hand": "17"},
        {"location": "north", "sku": "SHOP-1", "on_hand": "5"},
    ]
    north = pos("shop", "stock", "--location", "north", data_dir=tmp_path / "T1", shop_db=shop_db)
    assert north.stdout.splitlines() == ["location,sku,on_hand", "north,SHOP-1,5"]


def test_a_transfer_leaves_one_location_and_arrives_at_the_other_once(pg, shop_db, tmp_path, sandbox, api_key):
    """T1 (main) sends 4 to north: T1's shelf loses them now; after the syncs T3 (north) has them once,
    however often T1 sends its batch again, and T2 (main) never takes the arrival."""
    assert pos("settings", "set", "location", "north", data_dir=tmp_path / "T3", shop_db="").returncode == 0
    tills = [till(tmp_path, name, sandbox, api_key, shop_db) for name in ("T1", "T2", "T3")]
    t1, t2, t3 = tills
    try:
        for t in tills:
            sell(t, 0)
            t.stock.set_item("SHOP-1", StockItem(track_stock=True))
        t1.stock.receive("SHOP-1", "10")
        t1.stock.transfer("SHOP-1", "4", "north", t1.settings.location)  # type: ignore[attr-defined]
        for t in tills + tills:
            assert t.shop.round().problem is None
        # T1's batch sent again after a lost acknowledgement (tests/shop/test_sync.py): stored once.
        shop_rows(pg, shop_db, "UPDATE shop_tills SET acked_seq = 0, acked_hash = '' WHERE till_id = 'T1' RETURNING 1")
        for t in (t1, t3):
            assert t.shop.round().problem is None
        assert t1.stock.level("SHOP-1").on_hand_milli == 6000  # type: ignore[union-attr]
        assert t2.stock.level("SHOP-1").on_hand_milli == 6000  # type: ignore[union-attr]
        assert t3.stock.level("SHOP-1").on_hand_milli == 4000  # type: ignore[union-attr]
        legs = "SELECT location, till_id, kind, quantity_milli, why FROM shop_stock_movements ORDER BY id"
        assert shop_rows(pg, shop_db, legs) == [
            ("main", "T1", "delivery", 10000, "delivery"),
            ("main", "T1", "transfer_out", -4000, "north"),
            ("north", "T1", "transfer_in", 4000, "from main"),
        ]
        arrived = t3.stock.movements()[-1]
        assert (arrived.kind.value, arrived.quantity_milli, arrived.who) == ("transfer_in", 4000, "")
        for t in tills:
            assert t.audit.verify() is None
    finally:
        for t in tills:
            t.close()
    report = pos("shop", "stock", data_dir=tmp_path / "T2", shop_db=shop_db)
    assert report.stdout.splitlines() == ["location,sku,on_hand", "main,SHOP-1,6", "north,SHOP-1,4"]


def test_movements_sent_before_locations_are_the_shops_one_location_after_the_upgrade(pg, shop_db, tmp_path):
    """Shop revision 0008 on a shop database at 0007 with a movement in it: the movement is "main"'s,
    the `location` setting's default, so the tills at main keep taking it down."""
    from alembic import command
    from alembic.config import Config

    from pos.adapters.shop.connect import MIGRATIONS, open_shop_engine

    trust_shop_ca(tmp_path)
    engine = open_shop_engine(shop_db, data_dir=tmp_path)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0007")
            conn.exec_driver_sql(
                "INSERT INTO shop_stock_movements (till_id, movement_id, sku, kind, quantity_milli, at, who,"
                " approved_by, why) VALUES ('T1', 1, 'SHOP-1', 'delivery', 5000, '2026-12-06T05:00:00Z', '', '', '')"
            )
            command.upgrade(config, "head")
    finally:
        engine.dispose()
    assert shop_rows(pg, shop_db, "SELECT location, movement_id FROM shop_stock_movements") == [("main", 1)]
