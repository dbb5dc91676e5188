"""The till's themes (issue 28 item 6): every colour pair measured against WCAG (text 4.5:1, the edges
that show a control 3:1), the same ratios sampled from pixels of the real window rendered offscreen,
the owner's choice kept as a setting from the View menu, and the system's light or dark mode followed."""

from __future__ import annotations

from dataclasses import asdict, fields
from collections import Counter

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QMenu, QWidget

from pos.app import create_main_window
from pos.domain.appearance import BOUNDARY_CONTRAST, TEXT_CONTRAST, Theme, contrast_ratio
from pos.ui import theme
from pos.paths import resource_path
from pos.ui.feedback import show_message
from tests.ui.conftest import wait_idle

THEMES = [Theme.LIGHT, Theme.DARK, Theme.HIGH_CONTRAST]


@pytest.mark.parametrize("palette", theme.PALETTES.values(), ids=lambda p: p.name)
def test_every_pair_a_theme_paints_meets_wcag(palette):
    colours = asdict(palette)
    low_text = {
        (fg, bg): round(contrast_ratio(colours[fg], colours[bg]), 2)
        for fg, bg in theme.TEXT_PAIRS
        if contrast_ratio(colours[fg], colours[bg]) < TEXT_CONTRAST
    }
    low_edges = {
        (edge, beside): round(contrast_ratio(colours[edge], colours[beside]), 2)
        for edge, beside in theme.BOUNDARY_PAIRS
        if contrast_ratio(colours[edge], colours[beside]) < BOUNDARY_CONTRAST
    }
    assert low_text == {} and low_edges == {}


def test_every_role_is_measured_and_used():
    """A role added to the palette without a pair would be painted unmeasured; one the style sheet
    does not use is a colour nobody sees."""
    roles = {f.name for f in fields(theme.Palette)} - {"name"}
    measured = {role for pair in theme.TEXT_PAIRS + theme.BOUNDARY_PAIRS for role in pair}
    assert roles - measured == set()
    template = resource_path("theme.qss").read_text(encoding="utf-8")
    # A field's placeholder is drawn from Qt's palette (style sheets cannot reach it); the rest from the sheet.
    assert {role for role in roles if f"${role}" not in template} == {"muted_text"}
    for palette in theme.PALETTES.values():
        assert "$" not in theme.stylesheet(palette)
        placeholder = theme.qt_palette(palette).color(QPalette.ColorRole.PlaceholderText)
        assert placeholder.name() == palette.muted_text


def _image(window: QWidget) -> QImage:
    return window.grab().toImage()


def _at(image: QImage, window: QWidget, widget: QWidget, x: int, y: int) -> tuple[int, int, int]:
    point = widget.mapTo(window, QPoint(x, y))
    colour = image.pixelColor(point)
    return colour.red(), colour.green(), colour.blue()


def _text_contrast(image: QImage, window: QWidget, widget: QWidget, inset: int = 5) -> float:
    """What a reader sees of a widget's text: its background (the commonest colour inside its edge)
    against the glyph pixel that stands out most from it."""
    rect = widget.rect().adjusted(inset, inset, -inset, -inset)
    pixels = [
        _at(image, window, widget, x, y)
        for x in range(rect.left(), rect.right())
        for y in range(rect.top(), rect.bottom())
    ]
    background = Counter(pixels).most_common(1)[0][0]
    return max(contrast_ratio(p, background) for p in pixels)


def _edge_contrast(image: QImage, window: QWidget, widget: QWidget) -> float:
    """A control's left edge (midway down, clear of rounded corners) against what is just outside it."""
    middle = widget.height() // 2
    edge = _at(image, window, widget, 0, middle)
    outside = _at(image, window, widget, -3, middle)
    return contrast_ratio(edge, outside)


@pytest.mark.parametrize("choice", THEMES, ids=lambda t: t.value)
def test_the_rendered_sale_screen_holds_the_ratios(qtbot, themed, window, choice):
    """Pixels, not the table: a tile's edge on the grid, the search field's focus ring, the disabled Pay's
    text, the demo banner, an error message. The old theme measured here 1.51:1 for a tile's edge and
    2.12:1 for the disabled Pay (the issue's 1.15:1 and 2.12:1)."""
    themed.choose(choice)
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: window.products.buttons() != [])
    assert not window.pay_button.isEnabled()  # an empty cart: Pay is disabled
    window.products.search.setFocus()
    qtbot.waitUntil(lambda: window.products.search.hasFocus())
    show_message(window.status_message, "No product with barcode or SKU “123”.", "error")
    image = _image(window)
    tile = window.products.buttons()[0]
    measured = {
        "tile edge": _edge_contrast(image, window, tile),
        "focused field edge": _edge_contrast(image, window, window.products.search),
    }
    texts = {
        "tile": _text_contrast(image, window, tile),
        "disabled Pay": _text_contrast(image, window, window.pay_button),
        "demo banner": _text_contrast(image, window, window.demo_banner, inset=2),
        "error message": _text_contrast(image, window, window.status_message, inset=0),
    }
    low = {k: round(v, 2) for k, v in measured.items() if v < BOUNDARY_CONTRAST}
    low.update({k: round(v, 2) for k, v in texts.items() if v < TEXT_CONTRAST})
    assert low == {}
    # The pixels are the palette's: the grid shows the theme's window colour behind the tiles.
    middle = tile.height() // 2
    assert _at(image, window, tile, -3, middle) == tuple(
        int(theme.PALETTES[choice].window[i : i + 2], 16) for i in (1, 3, 5)
    )


def test_the_view_menu_keeps_the_owners_theme(qtbot, themed, window, data_dir, sandbox, api_key):
    view = window.findChild(QMenu, "viewMenu")
    actions = {a.objectName(): a for a in view.actions() if a.objectName().startswith("theme-")}
    assert list(actions) == ["theme-system", "theme-light", "theme-dark", "theme-high-contrast"]
    assert view.actions()[-1].objectName() == "customerDisplayAction"  # after a separator: not a theme
    assert actions["theme-system"].isChecked()
    actions["theme-high-contrast"].trigger()
    assert window.session.settings.theme == "high-contrast"  # kept through the settings service
    assert themed.palette is theme.HIGH_CONTRAST
    assert QApplication.palette().color(QApplication.palette().ColorRole.Window).name() == "#000000"
    assert actions["theme-high-contrast"].isChecked() and not actions["theme-system"].isChecked()
    # The next start shows it: the launcher's system theme gives way to the setting once the till is read.
    themed.choose(Theme.SYSTEM)
    window.close()
    again = create_main_window(data_dir, stripe_base_url=sandbox.url, api_key=api_key)
    try:
        assert themed.palette is theme.HIGH_CONTRAST
        assert again.findChild(QMenu, "viewMenu").actions()[3].isChecked()
    finally:
        wait_idle(qtbot)
        again.close()
        again.deleteLater()


def test_follow_system_tracks_the_systems_light_and_dark_mode(themed):
    hints = QGuiApplication.styleHints()
    # The offscreen platform has no dark mode to switch, so the test sends the signal the system's
    # switch sends (QStyleHints.colorSchemeChanged); everything after it is the till's own code.
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert themed.palette is theme.DARK
    assert QApplication.instance().styleSheet() == theme.stylesheet(theme.DARK)
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert themed.palette is theme.LIGHT
    # An owner's pick stands whatever the system does.
    themed.choose(Theme.HIGH_CONTRAST)
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert themed.palette is theme.HIGH_CONTRAST
    themed.choose(Theme.SYSTEM)
    assert themed.palette is theme.DARK  # back to what the system says now


def test_an_error_label_takes_the_themes_error_colour(qtbot, themed):
    label = QLabel("Declined")
    qtbot.addWidget(label)
    themed.choose(Theme.DARK)
    show_message(label, "Declined: insufficient funds.", "error")
    label.show()
    qtbot.waitExposed(label)
    image = label.grab().toImage()
    colours = {image.pixelColor(x, y).name() for x in range(image.width()) for y in range(image.height())}
    assert theme.DARK.error_text in colours


def test_a_read_only_window_shows_a_theme_without_writing(qtbot, themed, window, data_dir, sandbox):
    """Another till sells from the folder (the fixture's window holds it): the theme changes on this
    screen and nothing is written (the read-only database would refuse, as an error in the Qt slot)."""
    from pos.app import build_context
    from pos.ui.main_window import MainWindow

    context = build_context(data_dir, stripe_base_url=sandbox.url, read_only_because="process 1")
    second = MainWindow(context)
    qtbot.addWidget(second)
    view = second.findChild(QMenu, "viewMenu")
    next(a for a in view.actions() if a.objectName() == "theme-dark").trigger()
    assert themed.palette is theme.DARK
    assert "read-only window only" in second.status_message.text()
    assert window.session.settings.theme == "system"


def test_a_theme_setting_edited_into_nonsense_still_starts_the_till(qtbot, themed, data_dir, sandbox, api_key):
    from pos.adapters.db.schema import settings
    from pos.adapters.db.storage import open_engine

    engine = open_engine(data_dir)
    with engine.begin() as conn:  # behind the till's back, as a hand-edited file would be
        conn.execute(settings.insert().values(key="theme", value="purple"))
    engine.dispose()
    win = create_main_window(data_dir, stripe_base_url=sandbox.url, api_key=api_key)
    try:
        view = win.findChild(QMenu, "viewMenu")
        assert next(a for a in view.actions() if a.objectName() == "theme-system").isChecked()
        assert themed.palette is theme.LIGHT
    finally:
        wait_idle(qtbot)
        win.close()
        win.deleteLater()


@pytest.mark.parametrize("choice", THEMES, ids=lambda t: t.value)
def test_the_payment_dialogs_test_marks_hold_the_boundary_ratio(qtbot, themed, window, choice):
    """Finding (h1): the Test tools panel's dashed edge and the DEMO badge, drawn in #8a5a00 whatever the
    theme, measured 2.84:1 against the dark theme's window (3:1 is asked of what marks a part of the UI)."""
    from .test_till import open_payment, ring_up_three

    themed.choose(choice)
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    dialog.show_page(dialog.card_page)
    QApplication.processEvents()
    image = _image(dialog)
    panel = dialog.test_tools
    dashes = max(  # the dashed edge: its dashes, wherever they fall along the left side
        contrast_ratio(_at(image, dialog, panel, 0, y), _at(image, dialog, panel, -3, y))
        for y in range(8, panel.height() - 8)
    )
    measured = {"test tools edge": dashes, "badge": _edge_contrast(image, dialog, dialog.mode_badge)}
    assert {k: round(v, 2) for k, v in measured.items() if v < BOUNDARY_CONTRAST} == {}
    dialog.reject()
    wait_idle(qtbot)


def test_the_colour_scheme_read_before_the_first_paint_is_qts_own(qapp):
    """The launcher reads the system's colour scheme as a number (theme.color_scheme_number, through
    ctypes: PySide6's Qt.ColorScheme would build the whole Qt namespace before the first paint); it
    is the number PySide6's own call answers."""
    hints = QGuiApplication.styleHints()
    number = theme.color_scheme_number(hints)
    assert number is not None  # found on Linux, where the till is built and tested
    assert number == hints.colorScheme().value
    assert theme.system_is_dark() is (hints.colorScheme() == Qt.ColorScheme.Dark)
    # Asked for each scheme (the platform may keep its own): both reads still agree.
    try:
        for scheme in (Qt.ColorScheme.Dark, Qt.ColorScheme.Light):
            hints.setColorScheme(scheme)
            assert theme.color_scheme_number(hints) == hints.colorScheme().value
    finally:
        hints.unsetColorScheme()
