"""Stock across the tills of one shop (issue 26), on a real PostgreSQL shop database: each till's
movements go up through the outbox exactly once, the others take them down, and after their sync
each till's levels equal the shop's sum."""

from __future__ import annotations

from pos.domain.stock import StockItem
from tests.helpers.shop import sell, shop_rows, till


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
