"""The till's colours as named roles, one palette per theme (light, dark, high contrast), and the
application's style built from them: resources/theme.qss is a template whose `$role`s a palette fills,
and Qt's own palette (what the style sheet does not paint: check boxes, scroll bars, message boxes)
takes the same roles.

Which palette: the owner's `theme` setting (domain/appearance.py), or with "system" the system's light
or dark mode, followed while the till runs (QStyleHints.colorSchemeChanged). Every pair of roles the
style paints together is listed in `TEXT_PAIRS` and `BOUNDARY_PAIRS`; tests/ui/test_theme.py measures
them (and pixels of rendered widgets) against WCAG's 4.5:1 and 3:1.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from string import Template
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from pos.domain.appearance import Theme
from pos.paths import resource_path

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QStyleHints


@dataclass(frozen=True)
class Palette:
    """A theme's colours by role (#rrggbb). `on_x` is the text drawn on `x`."""

    name: str
    window: str  # windows and dialogs, and the product grid behind the tiles
    text: str  # text on the window
    surface: str  # fields, lists, tables, the receipt
    surface_text: str
    muted_text: str  # a field's placeholder
    border: str  # the edge of fields, buttons, tabs and lists
    focus: str  # the focus ring
    tile: str  # a product tile without a catalog colour (a catalog colour picks its text by appearance.text_on)
    tile_text: str
    tile_border: str
    tile_pressed: str
    accent: str  # the one main action: Pay, Charge, Complete, New sale
    on_accent: str
    accent_disabled: str
    on_accent_disabled: str
    secondary: str  # the card reader's button
    on_secondary: str
    secondary_disabled: str
    on_secondary_disabled: str
    button: str  # any other button, a tab, a table header
    on_button: str
    button_disabled: str
    on_button_disabled: str
    selection: str  # a selected row, menu item, tab; a pressed or checked button
    on_selection: str
    status_text: str  # the reader's status
    amount_text: str  # amounts to pay, change due
    error_text: str
    warning_text: str
    demo_banner: str
    on_demo_banner: str
    info_banner: str  # read-only back office
    on_info_banner: str
    alert_banner: str  # no payments: the key cannot be read
    on_alert_banner: str


LIGHT = Palette(
    name="light",
    window="#f6f4f0",
    text="#1f1d1a",
    surface="#ffffff",
    surface_text="#1f1d1a",
    muted_text="#68635b",
    border="#857d70",
    focus="#0b57d0",
    tile="#ffffff",
    tile_text="#1f1d1a",
    tile_border="#857d70",
    tile_pressed="#dcebe2",
    accent="#2f6f4f",
    on_accent="#ffffff",
    accent_disabled="#e2ded6",
    on_accent_disabled="#57534b",
    secondary="#1f5f8b",
    on_secondary="#ffffff",
    secondary_disabled="#e2ded6",
    on_secondary_disabled="#57534b",
    button="#ffffff",
    on_button="#1f1d1a",
    button_disabled="#ebe8e2",
    on_button_disabled="#5c5850",
    selection="#d2e6da",
    on_selection="#123524",
    status_text="#1f5f8b",
    amount_text="#1d3b2c",
    error_text="#a4161a",
    warning_text="#7a4f00",
    demo_banner="#ffd54a",
    on_demo_banner="#3b2f00",
    info_banner="#cfe3f7",
    on_info_banner="#12324f",
    alert_banner="#f7d4d4",
    on_alert_banner="#6b1111",
)

DARK = Palette(
    name="dark",
    window="#1c1d20",
    text="#ececec",
    surface="#26282c",
    surface_text="#ececec",
    muted_text="#a9adb4",
    border="#8d929b",
    focus="#6cb4ff",
    tile="#2c2f34",
    tile_text="#f2f2f2",
    tile_border="#8d929b",
    tile_pressed="#23402f",
    accent="#2b7a53",
    on_accent="#ffffff",
    accent_disabled="#34373c",
    on_accent_disabled="#b9bdc4",
    secondary="#2a6496",
    on_secondary="#ffffff",
    secondary_disabled="#34373c",
    on_secondary_disabled="#b9bdc4",
    button="#2c2f34",
    on_button="#ececec",
    button_disabled="#25272b",
    on_button_disabled="#a3a7ae",
    selection="#2f5e46",
    on_selection="#ffffff",
    status_text="#8cc4ff",
    amount_text="#b9e6cc",
    error_text="#ff8f8f",
    warning_text="#f0c060",
    demo_banner="#ffd54a",
    on_demo_banner="#3b2f00",
    info_banner="#173a5c",
    on_info_banner="#d6e8fa",
    alert_banner="#5a1616",
    on_alert_banner="#ffdada",
)

# Black and white, yellow for the main action, cyan for focus and green for what is disabled (the
# colour Windows' High Contrast Black gives disabled text: grey on black reads as enabled).
HIGH_CONTRAST = Palette(
    name="high-contrast",
    window="#000000",
    text="#ffffff",
    surface="#000000",
    surface_text="#ffffff",
    muted_text="#d0d0d0",
    border="#ffffff",
    focus="#1aebff",
    tile="#000000",
    tile_text="#ffffff",
    tile_border="#ffffff",
    tile_pressed="#00375a",
    accent="#ffff00",
    on_accent="#000000",
    accent_disabled="#000000",
    on_accent_disabled="#3ff23f",
    secondary="#1aebff",
    on_secondary="#000000",
    secondary_disabled="#000000",
    on_secondary_disabled="#3ff23f",
    button="#000000",
    on_button="#ffffff",
    button_disabled="#000000",
    on_button_disabled="#3ff23f",
    selection="#ffff00",
    on_selection="#000000",
    status_text="#1aebff",
    amount_text="#ffffff",
    error_text="#ff8080",
    warning_text="#ffff00",
    demo_banner="#ffff00",
    on_demo_banner="#000000",
    info_banner="#1aebff",
    on_info_banner="#000000",
    alert_banner="#ff8080",
    on_alert_banner="#000000",
)

PALETTES = {Theme.LIGHT: LIGHT, Theme.DARK: DARK, Theme.HIGH_CONTRAST: HIGH_CONTRAST}

# (foreground, background) roles the style draws text with: 4.5:1 each.
TEXT_PAIRS = (
    ("text", "window"),
    ("surface_text", "surface"),
    ("muted_text", "surface"),
    ("tile_text", "tile"),
    ("tile_text", "tile_pressed"),
    ("on_accent", "accent"),
    ("on_accent_disabled", "accent_disabled"),
    ("on_secondary", "secondary"),
    ("on_secondary_disabled", "secondary_disabled"),
    ("on_button", "button"),
    ("on_button_disabled", "button_disabled"),
    ("on_selection", "selection"),
    ("status_text", "window"),
    ("amount_text", "window"),
    ("error_text", "window"),
    ("error_text", "surface"),
    ("warning_text", "window"),
    ("warning_text", "surface"),
    ("on_demo_banner", "demo_banner"),
    ("on_info_banner", "info_banner"),
    ("on_alert_banner", "alert_banner"),
)

# (edge, what is next to it) for what shows where a control is: 3:1 each.
BOUNDARY_PAIRS = (
    ("tile_border", "window"),  # a tile's edge against the grid
    ("tile_border", "tile"),
    ("border", "window"),  # fields, buttons, tabs, lists
    ("border", "surface"),
    ("border", "button"),
    ("focus", "window"),  # the focus ring
    ("focus", "surface"),
    ("focus", "tile"),
    ("focus", "button"),
)


def palette_for(choice: Theme, system_dark: bool) -> Palette:
    """The palette a choice shows: with SYSTEM, dark when the system says dark, else light."""
    if choice is Theme.SYSTEM:
        return DARK if system_dark else LIGHT
    return PALETTES[choice]


_DARK = 2  # Qt::ColorScheme::Dark (Unknown 0, Light 1), as QStyleHints::colorScheme() returns it


def system_is_dark() -> bool:
    """Whether the system is in dark mode: QStyleHints.colorScheme() is Dark.

    Asked at launch, before the window's first paint. PySide6 answers with a Qt.ColorScheme, and its
    first Qt-namespace value builds all ~93 enums of that namespace at once (~12 ms of CPU, over a
    tenth of a bare PySide6 window's whole start; issue 27 item 3), none of which the frame needs.
    Where the number can be read directly (color_scheme_number) it is; else PySide6's call.
    """
    hints = QGuiApplication.styleHints()
    number = color_scheme_number(hints)
    if number is not None:
        return number == _DARK
    from PySide6.QtCore import Qt

    return hints.colorScheme() == Qt.ColorScheme.Dark


def color_scheme_number(hints: QStyleHints) -> int | None:
    """QStyleHints::colorScheme() as its number, called through ctypes on the Qt library PySide6 has
    loaded (Linux: its Itanium-mangled name); None anywhere else, or if that library or function
    cannot be found. RTLD_NOLOAD: a library not loaded already is never loaded (a second Qt)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes
        import os

        from shiboken6 import Shiboken

        qt_gui = ctypes.CDLL("libQt6Gui.so.6", mode=os.RTLD_NOLOAD)
        color_scheme = qt_gui._ZNK11QStyleHints11colorSchemeEv  # Qt::ColorScheme QStyleHints::colorScheme() const
    except (ImportError, OSError, AttributeError):
        return None
    color_scheme.restype = ctypes.c_int
    color_scheme.argtypes = [ctypes.c_void_p]
    return int(color_scheme(Shiboken.getCppPointer(hints)[0]))


def stylesheet(palette: Palette) -> str:
    """resources/theme.qss with the palette's colours in its `$role`s."""
    template = Template(resource_path("theme.qss").read_text(encoding="utf-8"))
    return template.substitute(asdict(palette))


def qt_palette(palette: Palette) -> QPalette:
    """Qt's palette from the same roles, for what the style sheet does not paint."""
    qp = QPalette()
    roles = QPalette.ColorRole
    for role, colour in (
        (roles.Window, palette.window),
        (roles.WindowText, palette.text),
        (roles.Base, palette.surface),
        (roles.AlternateBase, palette.button_disabled),
        (roles.Text, palette.surface_text),
        (roles.PlaceholderText, palette.muted_text),
        (roles.Button, palette.button),
        (roles.ButtonText, palette.on_button),
        (roles.BrightText, palette.error_text),
        (roles.Highlight, palette.selection),
        (roles.HighlightedText, palette.on_selection),
        (roles.ToolTipBase, palette.surface),
        (roles.ToolTipText, palette.surface_text),
        (roles.Link, palette.status_text),
        (roles.Light, palette.border),
        (roles.Mid, palette.border),
        (roles.Dark, palette.border),
        (roles.Shadow, palette.border),
    ):
        qp.setColor(role, QColor(colour))
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        qp.setColor(disabled, role, QColor(palette.on_button_disabled))
    qp.setColor(disabled, roles.Button, QColor(palette.button_disabled))
    return qp


class ThemeFollower(QObject):
    """Keeps the application in the chosen theme; with SYSTEM, follows the system's light or dark mode."""

    def __init__(self, app: QApplication, choice: Theme = Theme.SYSTEM) -> None:
        super().__init__(app)
        self._app = app
        self.choice = choice
        self._system_dark = system_is_dark()
        self.palette: Palette | None = None
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._system_changed)
        self.apply()

    def choose(self, choice: Theme) -> None:
        self.choice = choice
        self.apply()

    def _system_changed(self, scheme: Qt.ColorScheme) -> None:
        from PySide6.QtCore import Qt  # a change comes long after the first paint (see system_is_dark)

        self._system_dark = scheme == Qt.ColorScheme.Dark
        if self.choice is Theme.SYSTEM:
            self.apply()

    def apply(self) -> None:
        palette = palette_for(self.choice, self._system_dark)
        if palette == self.palette:
            return
        self.palette = palette
        # Fusion draws from the palette on every platform (the native styles ignore parts of it), so
        # the till looks and measures the same on Windows, macOS and Linux.
        if self._app is not _started_in_fusion:
            fusion = QStyleFactory.create("Fusion")
            if fusion is not None and self._app.style().name().lower() != "fusion":
                self._app.setStyle(fusion)
        self._app.setPalette(qt_palette(palette))
        self._app.setStyleSheet(stylesheet(palette))


_follower: ThemeFollower | None = None
_started_in_fusion: QApplication | None = None


def start_application(argv: list[str]) -> QApplication:
    """The launcher's QApplication, in the Fusion style from its start (`-style Fusion`, last, so it
    stands). Setting the style from Python instead hands back a QStyle, and PySide6 builds that type
    with its ~580 enum members (~5 ms of CPU) before the window's first paint (issue 27 item 3)."""
    global _started_in_fusion
    app = QApplication([*argv, "-style", "Fusion"])
    _started_in_fusion = app
    return app


def install(app: QApplication, choice: Theme = Theme.SYSTEM) -> ThemeFollower:
    """Theme the application (at launch, before the till's settings are read: the system's mode)."""
    global _follower
    if _follower is None:
        _follower = ThemeFollower(app, choice)
    else:
        _follower.choose(choice)
    return _follower


# The owner's theme is a setting in the till's database, read after the first paint; the frame before
# it would paint in the system's mode and then switch (a flash at every start of a dark or
# high-contrast till). The window notes the theme it shows in this file beside the database, and the
# next start paints its first frame in it. The setting stays the truth: the window applies the
# setting when the till attaches and notes it again if it differs (a change made with `pos settings
# set` shows from the next start's attach, and its first frame from the one after).
FIRST_FRAME_FILE = "first-frame-theme"


def first_frame_theme(data_dir: Path) -> Theme:
    """The theme the last window noted for this data folder; the system's when none, or nonsense."""
    try:
        text = (data_dir / FIRST_FRAME_FILE).read_text(encoding="ascii")[:32]
        return Theme(text.strip())
    except (OSError, UnicodeError, ValueError):
        return Theme.SYSTEM


def note_first_frame_theme(data_dir: Path, choice: Theme) -> None:
    """Keep `choice` for the next start's first frame (whole or not at all: written beside, then
    renamed). A folder that cannot take it costs only the next start's first frame."""
    if first_frame_theme(data_dir) is choice:
        return
    target = data_dir / FIRST_FRAME_FILE
    partial = target.with_name(FIRST_FRAME_FILE + ".new")
    try:
        partial.write_text(choice.value + "\n", encoding="ascii")
        partial.replace(target)
    except OSError:
        pass


def installed() -> ThemeFollower | None:
    """The application's theme, when one was installed (the launcher and screenshots; most tests not)."""
    return _follower


def uninstall(app: QApplication) -> None:
    """Back to Qt's own look (a test that themed the application leaves it as the others expect)."""
    global _follower
    if _follower is not None:
        QGuiApplication.styleHints().colorSchemeChanged.disconnect(_follower._system_changed)
        _follower.deleteLater()
        _follower = None
    app.setStyleSheet("")
    app.setPalette(QPalette())
