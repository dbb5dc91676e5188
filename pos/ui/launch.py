"""Start the GUI: a QApplication, the theme, the main window, the event loop."""

from __future__ import annotations

import sys
from pathlib import Path


def run_gui(data_dir: Path, *, stripe_base_url: str | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    from pos.app import create_main_window
    from pos.resources import resource_path

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("pos-till")
    theme = resource_path("theme.qss")
    if theme.exists():
        app.setStyleSheet(theme.read_text(encoding="utf-8"))
    window = create_main_window(data_dir, stripe_base_url=stripe_base_url)
    window.show()
    return app.exec()
