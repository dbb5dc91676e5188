"""A tile's colour and Favourites place (issue 28 item 2) travel with the catalog through the real
PostgreSQL shop database, and a shop row whose colour is not #rrggbb is set aside like any other
row the till's rules refuse (services/from_shop.py)."""

from __future__ import annotations

from pos.domain.catalog import Product
from pos.domain.money import Money
from tests.helpers.shop import put_shop_product, shop_rows, till


def test_a_tiles_look_set_at_one_till_reaches_the_others(pg, shop_db, tmp_path, sandbox, api_key):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    t2 = till(tmp_path, "T2", sandbox, api_key, shop_db)
    try:
        cake = Product(
            sku="CAKE",
            name="Carrot cake",
            category="Cake",
            price=Money(600, "SGD"),
            tax_rate_bp=900,
            colour="#f4a261",
            favourite=2,
        )
        t1.catalog.save(cake)
        assert t1.shop.round().complete
        assert t2.shop.round().complete
        taken = t2.catalog.find_code("CAKE")
        assert (taken.colour, taken.favourite) == ("#f4a261", 2)
        assert [p.sku for p in t2.catalog.favourites()] == ["CAKE"]
    finally:
        t1.close()
        t2.close()
    assert shop_rows(pg, shop_db, "SELECT colour, favourite FROM shop_products WHERE sku = 'CAKE'") == [("#f4a261", 2)]


def test_a_shop_row_with_a_colour_that_is_not_rrggbb_is_set_aside(pg, shop_db, tmp_path, sandbox, api_key):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        assert t1.shop.round().complete  # joined: the shop has its counters
        put_shop_product(pg, shop_db, "TEA", "Teh", colour="red; background-image: url(x)")
        put_shop_product(pg, shop_db, "KOPI", "Kopi", colour="#6f4e37")
        pulled = t1.shop.round().pulled
        assert t1.catalog.find_code("KOPI").colour == "#6f4e37"
        assert t1.catalog.find_code("TEA") is None
        assert any(n.startswith("product TEA:") and "must be written #rrggbb" in n for n in pulled.set_aside)
    finally:
        t1.close()
