"""The sale screen fits the screens shops use (issue 28 item 2): at 1024x768, 1280x800 and
1920x1080 (and the compact 800x600), in English and in a pseudo-locale with ~40 % longer strings,
no visible button, label or tab clips its text, every target is at least 44x44 px (or a row of a
list), and every control has an accessible name; the grid's columns come from its width, a name
wraps or is elided (the whole name in the tooltip), "&" shows as itself, and the window opens
maximised on its screen. Measured with tests/helpers/ui_audit.py, with the app's theme applied as
the launcher applies it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication

from pos.domain.appearance import Theme
from pos.ui.main_window import MainWindow
from pos.ui.product_panel import SPACING, TILE_MAX, TILE_MIN, fit_lines, grid_shape
from tests.helpers import ui_audit

from .conftest import wait_idle

SCREENS = ui_audit.SIZES + (ui_audit.COMPACT,)


def ring_up(qtbot, window, *codes: str) -> None:
    search = window.products.search
    for code in codes:
        qtbot.keyClicks(search, code)
        qtbot.keyClick(search, Qt.Key_Return)
    window.cart_panel.table.selectRow(0)  # the line's tools enabled, as when a cashier picks a line


def show_tab(window, category: str) -> None:
    tabs = window.products.tabs
    tabs.setCurrentIndex(next(i for i in range(tabs.count()) if window.products.category(i) == category))


def audit_every_tab(qtbot, window, size) -> list[str]:
    problems = []
    ui_audit.show_at(window, size)
    qtbot.wait(20)
    for i in range(window.products.tabs.count()):
        window.products.tabs.setCurrentIndex(i)
        QApplication.processEvents()
        problems += [f"{size} tab {i}: {f.describe()}" for f in ui_audit.audit(window)]
    return problems


@pytest.mark.parametrize("size", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_sale_screen_fits_in_english(qtbot, window, themed, size):
    ring_up(qtbot, window, "8881230000013", "8881230000259")  # Espresso, Ham & Cheese Toastie
    problems = audit_every_tab(qtbot, window, size)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("size", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_sale_screen_fits_in_a_pseudo_locale(qtbot, window, themed, size):
    with ui_audit.pseudo_locale():
        ring_up(qtbot, window, "8881230000013", "8881230000259")
        ui_audit.lengthen(window)  # the texts shown before the hook: tabs, buttons, captions, tiles
        problems = audit_every_tab(qtbot, window, size)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("size", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_grid_scrolls_down_never_sideways(qtbot, window, themed, size):
    ui_audit.show_at(window, size)
    panel = window.products
    viewport = panel.grid_scroll.viewport()
    for i in range(panel.tabs.count()):
        panel.tabs.setCurrentIndex(i)
        QApplication.processEvents()
        tiles = panel.buttons()
        assert tiles
        right = max(t.geometry().right() for t in tiles)
        assert right < viewport.width(), (size, i, right, viewport.width())
        assert all(t.width() >= TILE_MIN.width() and t.height() >= TILE_MIN.height() for t in tiles)
    assert not panel.grid_scroll.horizontalScrollBar().isVisible()


def test_a_wide_screen_is_not_two_thirds_empty(qtbot, window, themed):
    ui_audit.show_at(window, (1920, 1080))
    show_tab(window, "Bakery")  # 8 products
    QApplication.processEvents()
    panel = window.products
    viewport = panel.grid_scroll.viewport()
    covered = sum(t.width() * t.height() for t in panel.buttons())
    assert covered >= 0.4 * viewport.width() * viewport.height()
    assert panel.shape.columns >= 4 and panel.buttons()[0].height() > TILE_MIN.height()


def test_an_ampersand_shows_as_itself_and_a_long_name_wraps_with_the_whole_name_in_the_tooltip(qtbot, window, themed):
    ui_audit.show_at(window, (1024, 768))
    show_tab(window, "Sandwiches")
    QApplication.processEvents()
    tile = window.products.tile_for("Ham & Cheese Toastie")
    assert "Ham & Cheese" in ui_audit.shown_text(tile.text()).replace("\n", " ")
    assert ui_audit.accessible_name(tile) == "Ham & Cheese Toastie, $8.90"
    assert tile.toolTip().startswith("Ham & Cheese Toastie — $8.90")
    long_name = "Toasted Ham & Cheese Sourdough with Caramelised Onion and Mustard"
    tile.setText(f"{long_name}\n$8.90")
    shown = ui_audit.shown_text(tile.text()).split("\n")
    assert len(shown) == 3 and shown[1].endswith("…") and shown[2] == "$8.90"
    assert long_name in tile.toolTip() and ui_audit.accessible_name(tile) == f"{long_name}, $8.90"
    assert ui_audit.clipped(window) == []
    tile.resize(TILE_MIN)  # as small as a tile gets: still two lines and the price, elided, not cut
    assert ui_audit.clipped(tile) == []


def test_the_window_opens_maximised_on_its_screen(qtbot, data_dir, sandbox, api_key):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show_maximised()
    qtbot.waitUntil(window.isMaximized)
    available = window.screen().availableGeometry()
    assert available.contains(window.frameGeometry().center())
    assert window.width() >= available.width() * 0.9
    wait_idle(qtbot)


# -- the layout rules, plain ---------------------------------------------------------------


@given(
    count=st.integers(1, 120),
    width=st.integers(TILE_MIN.width(), 2400),
    height=st.integers(TILE_MIN.height(), 1400),
)
def test_the_grid_shape_fits_the_width_and_keeps_tiles_touchable(count, width, height):
    shape = grid_shape(count, width, height)
    used = shape.columns * shape.tile.width() + SPACING * (shape.columns - 1)
    assert used <= width
    assert TILE_MIN.width() <= shape.tile.width() <= TILE_MAX.width()
    assert TILE_MIN.height() <= shape.tile.height() <= TILE_MAX.height()


def test_all_tiles_show_without_scrolling_when_they_can():
    shape = grid_shape(8, 1130, 760)
    rows = -(-8 // shape.columns)
    assert rows * shape.tile.height() + SPACING * (rows - 1) <= 760
    assert shape.columns == 4  # of equally large tiles, the shape that spreads across the width


def test_a_name_wraps_to_two_lines_and_the_rest_is_elided(qapp):
    metrics = QFontMetrics(QFont("DejaVu Sans", 11))
    width = metrics.horizontalAdvance("Ham & Cheese To")
    assert fit_lines("Ham & Cheese Toastie", metrics, width) == ["Ham & Cheese", "Toastie"]
    lines = fit_lines("Ham & Cheese Toastie with Pickles and Mustard", metrics, width)
    assert len(lines) == 2 and lines[1].endswith("…")
    assert all(metrics.horizontalAdvance(line) <= width for line in lines)
    one_word = fit_lines("Supercalifragilisticexpialidocious", metrics, width)
    assert len(one_word) == 1 and one_word[0].endswith("…")


@pytest.mark.parametrize("choice", [Theme.DARK, Theme.HIGH_CONTRAST], ids=lambda t: t.value)
def test_the_sale_screen_fits_in_the_other_themes(qtbot, window, themed, choice):
    themed.choose(choice)  # borders and padding are the theme's: measured again in each
    ring_up(qtbot, window, "8881230000013", "8881230000259")
    problems = audit_every_tab(qtbot, window, (1024, 768))
    assert problems == [], "\n".join(problems)
