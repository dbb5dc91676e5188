"""Hostile tests of the sale screen's grid built a viewport at a time (issue 27 item 5, g2): what a
cashier does between pages (scroll, change tab, scan) with the real panel on the real catalog."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication

from pos.ui.product_panel import ProductTile

from tests.helpers import ui_audit

from .test_grid_pages import big_coffee, capacity, show


def add_tea(window, tmp_path, count: int = 200) -> None:
    csv = tmp_path / "tea.csv"
    rows = [f"TEA-{n:04d},,Leaf {n:04d},Tea,3.50,9" for n in range(count)]
    csv.write_text("sku,barcode,name,category,price,tax_rate\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert type(window.context.catalog.import_file(csv)).__name__ == "Imported"


def settle() -> None:
    for _ in range(5):  # the layout, the scroll area's resize and the bar's range, each a turn of the loop
        QApplication.processEvents()


def test_finding_a_tab_changed_after_a_scroll_builds_one_viewport_from_its_top(qtbot, window, tmp_path):
    """Coffee scrolled to its end, then Tea: Tea is read once and built for one viewport, shown from
    its first row. The bar's value, left at Coffee's end, was clamped to Tea's smaller range as the
    old tiles left: that clamp is a scroll to the end, and a second viewport of Tea was read and
    built before the cashier saw the first (36 tiles and two reads at 1024x768, not 18 and one)."""
    ui_audit.show_at(window, (1024, 768))
    add_tea(window, tmp_path)
    counting = big_coffee(window, tmp_path)
    panel = window.products
    show(panel, "Coffee")
    bar = panel.grid_scroll.verticalScrollBar()
    for _ in range(3):
        qtbot.waitUntil(lambda: bar.maximum() > bar.value())
        bar.setValue(bar.maximum())
    settle()
    assert bar.value() > 0
    reads = len(counting.handed)
    show(panel, "Tea")
    settle()
    assert len(panel.buttons()) == capacity(panel)  # one viewport and a row, as a first look at Tea builds
    assert counting.handed[reads:] == [capacity(panel) + 1]  # one read: the viewport and one more
    assert bar.value() == 0  # from its first row
    assert panel.buttons()[0].name == "Chai Latte"


def test_finding_a_scan_after_a_tab_tap_from_a_focused_tile_reaches_the_search(qtbot, window):
    """A tile focused from the keyboard, then a category tab tapped: the tiles leaving the grid are
    hidden, and the focus went down the Tab order past each of them to the cart's table, so the next
    scan typed into the table and was lost. The focus goes to the search field, the scanner's home."""
    from .test_keyboard import focused

    ui_audit.show_at(window, (1024, 768))
    panel = window.products
    show(panel, "Coffee")
    window.activateWindow()
    tile = panel.buttons()[2]
    tile.setFocus()
    qtbot.waitUntil(tile.hasFocus)
    tabs = panel.tabs
    tea = next(i for i in range(tabs.count()) if panel.category(i) == "Tea")
    qtbot.mouseClick(tabs, Qt.LeftButton, pos=tabs.tabRect(tea).center())  # a tap: the tab bar takes no focus
    assert panel.category() == "Tea"
    settle()
    assert focused() is panel.search
    qtbot.keyClicks(focused(), "8881230000013")  # Espresso's barcode, as the scanner types it
    qtbot.keyClick(focused(), Qt.Key_Return)
    assert [line.product.name for line in window.counter.cart.lines] == ["Espresso"]


class TileMoves(QObject):
    """The tiles Qt moved (their Move events), heard through an application event filter."""

    def __init__(self) -> None:
        super().__init__()
        self.moved: list[ProductTile] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Move and isinstance(watched, ProductTile):
            self.moved.append(watched)
        return False


def test_finding_a_scroll_to_the_end_lays_out_its_page_not_every_tile_again(qtbot, window, tmp_path):
    """Each scroll to the end laid every tile built so far out again (removed, sized, added, chained
    in the Tab order): a page cost as much as all the pages before it, 0.8 s of the UI thread's CPU a
    page at 5,000 tiles of a million-product catalog. And the layout, run at the grid's old height
    before the scroll area grew it, moved every earlier tile six times a page. Counted here: the
    tiles a scroll builds are that scroll's page or so, however many pages came before, no tile
    that was there moves, and the Tab order still runs through the tiles there are, then the cart."""
    ui_audit.show_at(window, (1024, 768))
    big_coffee(window, tmp_path)
    panel = window.products
    show(panel, "Coffee")
    moves = TileMoves()
    bar = panel.grid_scroll.verticalScrollBar()
    for _ in range(6):
        qtbot.waitUntil(lambda: bar.maximum() > bar.value())  # laid out, more below
        settle()
        before, built = panel.tiles_built, panel.buttons()
        QApplication.instance().installEventFilter(moves)
        bar.setValue(bar.maximum())
        settle()  # the page laid out
        QApplication.instance().removeEventFilter(moves)
        new = [tile for tile in panel.buttons() if tile not in built]
        assert new and panel.tiles_built - before == len(new) <= 2 * capacity(panel)  # a page or so, once each
        assert not [tile for tile in moves.moved if tile in built]  # and none of those there moved
        moves.moved.clear()
    tiles = panel.buttons()
    chain, widget = [], tiles[0]
    for _ in tiles:
        chain.append(widget)
        widget = widget.nextInFocusChain()
        while not (widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.isVisible()):  # as Tab skips
            widget = widget.nextInFocusChain()
    assert chain == tiles and widget.objectName() == "cartTable"  # the Tab order: every tile, then the cart
