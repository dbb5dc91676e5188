"""Hostile tester k2 (issue 27, tenth session): the tile the keyboard is on is in view. The grid keeps
tiles for the rows near the view, a viewport above and below (h6); a tile the focus reaches from
outside the grid (Tab from the category tabs, Shift+Tab from the cart) was focused where it lay,
off the screen, and Enter added a product the cashier could not see. Real widgets (pytest-qt,
offscreen), the real catalog on a real SQLite file."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTableView

from pos.ui.product_panel import ProductTile
from .conftest import wait_idle
from .test_grid_pages import big_coffee_laid_out
from .test_keyboard import focused, press


def _in_view(panel, tile) -> bool:
    viewport = panel.grid_scroll.viewport()
    corners = (tile.rect().topLeft(), tile.rect().bottomRight())
    return all(viewport.rect().contains(tile.mapTo(viewport, corner)) for corner in corners)


def _focus_then(qtbot, start, key, modifier=Qt.NoModifier) -> ProductTile:
    start.setFocus()
    qtbot.waitUntil(start.hasFocus)
    press(qtbot, key, modifier)
    wait_idle(qtbot)
    QApplication.processEvents()
    tile = focused()
    assert isinstance(tile, ProductTile), tile
    return tile


def test_finding_a_tile_the_keyboard_reaches_from_outside_the_grid_is_scrolled_into_view(qtbot, window, tmp_path):
    panel, bar = big_coffee_laid_out(qtbot, window, tmp_path)
    cart = window.findChild(QTableView, "cartTable")

    # At the top of the grid: Shift+Tab from the cart lands on the last tile built, below the fold.
    tile = _focus_then(qtbot, cart, Qt.Key_Backtab, Qt.ShiftModifier)
    assert _in_view(panel, tile), (tile.name, bar.value())
    press(qtbot, Qt.Key_Return)
    assert window.counter.cart.lines[-1].product.sku == tile.product.sku  # the product seen is the one added

    # Scrolled deep: Tab from the category tabs, Shift+Tab from the cart.
    for _ in range(4):
        bar.setValue(bar.maximum())
        QApplication.processEvents()
    bar.setValue(bar.maximum() // 2)
    QApplication.processEvents()
    tile = _focus_then(qtbot, panel.tabs, Qt.Key_Tab)
    assert _in_view(panel, tile), (tile.name, bar.value())
    bar.setValue(bar.maximum() // 2)
    QApplication.processEvents()
    tile = _focus_then(qtbot, cart, Qt.Key_Backtab, Qt.ShiftModifier)
    assert _in_view(panel, tile), (tile.name, bar.value())
