"""The sale screen after a sync round brings another till's catalog edit (hostile pass g2): the
tiles are the catalog's as the shop has it now. Real widgets offscreen, a real PostgreSQL, the
sandbox over HTTP."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from pos.app import create_main_window
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.ui import workers
from tests.helpers.shop import till


def test_finding_the_products_pulled_from_the_shop_are_the_tiles(
    qtbot, shop_db, tmp_path, sandbox, api_key, monkeypatch
):
    """A round took another till's products and the sale screen kept what it had read: a new
    category had no tab until the till restarted, and a tile kept the old price, so a tap added the
    product at it (a scan, at the new) until the cashier changed tab. Since the grid keeps what it
    shows (a scan's cleared field reads nothing, issue 27 item 5) the stale tile stayed for the rest
    of the session on that tab. A round that took products reads the tabs and the grid again."""
    cake = Product(sku="CAKE", name="Carrot cake", category="Cake", price=Money(600, "SGD"), tax_rate_bp=900)
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        t1.catalog.save(cake)
        assert t1.shop.round().complete
    finally:
        t1.close()
    monkeypatch.setenv("POS_SHOP_DB", shop_db)
    office = till(tmp_path, "T2", sandbox, api_key, shop_db)
    office.close()
    win = create_main_window(tmp_path / "T2", stripe_base_url=sandbox.url, api_key=api_key)
    win.shop_interval_ms = 3_600_000  # the test starts each round itself
    win.show()
    try:
        qtbot.waitUntil(lambda: win.shop_label.text().startswith("Shop: synced"), timeout=30000)
        panel = win.products
        assert win.context.shop.last.pulled.products >= 1  # the first round took T1's cake: its tab shows
        cake_tab = next(i for i in range(panel.tabs.count()) if panel.category(i) == "Cake")
        panel.tabs.setCurrentIndex(cake_tab)
        assert panel.tile_for("Carrot cake").product.price == Money(600, "SGD")
        t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
        try:
            t1.catalog.save(replace(cake, price=Money(650, "SGD")))
            assert t1.shop.round().complete
        finally:
            t1.close()
        qtbot.waitUntil(lambda: not win._syncing, timeout=30000)
        win.sync_shop()
        qtbot.waitUntil(lambda: not win._syncing, timeout=30000)
        assert win.context.shop.last.pulled.products == 1
        QApplication.processEvents()
        tile = panel.tile_for("Carrot cake")
        assert "6.50" in tile.full_text
        qtbot.mouseClick(tile, Qt.LeftButton)
        assert [(line.product.sku, line.amount) for line in win.counter.cart.lines] == [("CAKE", Money(650, "SGD"))]
    finally:
        qtbot.waitUntil(lambda: workers.busy_count() == 0, timeout=30000)
        win.close()
        win.deleteLater()
