"""The View menu: the till's theme (follow the system, light, dark, high contrast), kept as this till's
`theme` setting through the settings service and shown at once (pos/ui/theme.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QApplication, QMenu

from pos.domain.appearance import AppearanceError, Theme, parse_theme
from pos.domain.errors import PosError

from . import theme
from .widgets import named

if TYPE_CHECKING:
    from .window_parts import WindowParts

THEME_TITLES = {
    Theme.SYSTEM: "Follow the &system (light or dark)",
    Theme.LIGHT: "&Light",
    Theme.DARK: "&Dark",
    Theme.HIGH_CONTRAST: "&High contrast",
}


def build_view_menu(window: WindowParts) -> QMenu:
    """The View menu on the window's menu bar, its theme checked as the till's setting says."""
    menu = named(window.menuBar().addMenu("&View"), "viewMenu")
    group = QActionGroup(menu)
    group.setExclusive(True)
    saved = saved_theme(window)
    for choice, title in THEME_TITLES.items():
        action = named(QAction(title, menu), f"theme-{choice.value}")
        action.setCheckable(True)
        action.setChecked(choice is saved)
        action.setData(choice.value)
        action.triggered.connect(lambda _c=False, c=choice: choose_theme(window, c))
        group.addAction(action)
        menu.addAction(action)
    follower = theme.installed()
    if follower is not None:  # the launcher themed the application before the settings could be read
        follower.choose(saved)
        note_for_next_start(window, saved)
    return menu


def note_for_next_start(window: WindowParts, choice: Theme) -> None:
    """The next start's first frame paints in `choice` (theme.py's note beside the till's file), on a
    worker (the UI thread never waits on a write); a read-only window writes nothing."""
    if window.session.read_only is not None:
        return
    from .workers import run_in_background

    data_dir = window.session.data_dir
    run_in_background(
        lambda _progress: theme.note_first_frame_theme(data_dir, choice),
        on_success=lambda _r: None,
        on_failure=lambda _exc: None,  # only the next start's first frame would differ
    )


def saved_theme(window: WindowParts) -> Theme:
    """The till's theme setting; one edited behind the till's back into nonsense is the system's (the
    till still starts: a colour is no reason to refuse the cashier)."""
    try:
        return parse_theme(window.session.settings.theme)
    except AppearanceError:
        return Theme.SYSTEM


def choose_theme(window: WindowParts, choice: Theme) -> None:
    """The owner picked a theme: kept as the setting (its rule is the settings service's), shown now.
    Shown anyway when it cannot be kept: someone who cannot read the light theme can still switch it."""
    title = THEME_TITLES[choice].replace("&", "")
    if window.session.read_only is not None:
        # The folder is another process's: this window writes nothing, not even a setting.
        window.say(f"Theme: {title}, in this read-only window only.")
    else:
        try:
            window.session.store_settings.change("theme", choice.value)
        except PosError as exc:
            window.say(f"Theme: {title}, shown but not kept: {exc}", error=True)
        else:
            window.say(f"Theme: {title}.")
            note_for_next_start(window, choice)
    app = QApplication.instance()
    if isinstance(app, QApplication):
        theme.install(app, choice)
