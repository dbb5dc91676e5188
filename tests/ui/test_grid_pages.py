"""The sale screen reads a category a page at a time (issue 27 item 5): the first page on the tab,
the next when the grid is scrolled to its end, never the whole category. The catalog is counted
where the panel reads it (a wrapper on the real catalog service: the reads are real)."""

from __future__ import annotations

from pos.adapters.db.catalog import PAGE

BIG = 2 * PAGE + 30  # three pages of Coffee


class Counting:
    """The real catalog service, with the products each read hands the panel counted."""

    def __init__(self, catalog):
        self._catalog = catalog
        self.handed: list[int] = []

    def in_category(self, category, after=None):
        products = self._catalog.in_category(category, after=after)
        self.handed.append(len(products))
        return products

    def __getattr__(self, name):
        return getattr(self._catalog, name)


def test_a_big_category_shows_page_by_page_as_the_grid_scrolls(qtbot, window, tmp_path):
    catalog = window.context.catalog
    csv = tmp_path / "many.csv"
    rows = [f"MANY-{n:04d},,Blend {n:04d},Coffee,4.50,9" for n in range(BIG)]
    csv.write_text("sku,barcode,name,category,price,tax_rate\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert type(catalog.import_file(csv)).__name__ == "Imported"
    panel = window.products
    counting = Counting(catalog)
    panel._catalog = counting  # the panel reads through the counter from now on
    panel.reload()
    panel.tabs.setCurrentIndex([panel.tabs.tabText(i) for i in range(panel.tabs.count())].index("Coffee"))
    coffee = [p.sku for p in catalog.all() if p.category == "Coffee"]  # the whole category, read here only
    assert counting.handed[-1] == PAGE and len(panel.buttons()) == PAGE  # one page, not the category
    names = [t.name for t in panel.buttons()]
    assert names == sorted(names, key=str)  # in name order
    bar = panel.grid_scroll.verticalScrollBar()
    while True:  # scrolled to the end, page after page: each read is at most a page
        shown = len(panel.buttons())
        qtbot.waitUntil(lambda: bar.maximum() > bar.value())  # the grid laid out, more below
        bar.setValue(bar.maximum())
        if len(panel.buttons()) == shown:
            break
    assert all(n <= PAGE for n in counting.handed)
    tiles = [t.product.sku for t in panel.buttons()]
    assert len(tiles) == len(set(tiles))  # no product twice across pages
    assert sorted(tiles) == sorted(coffee)  # every product of the category, once scrolled to the end
