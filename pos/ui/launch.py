"""Start the GUI: logging, a QApplication, the theme, the main window, the event loop."""

from __future__ import annotations

import sys
from pathlib import Path


def run_gui(data_dir: Path, *, stripe_base_url: str | None = None, profile: str | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    from pos.adapters.logs import configure_logging
    from pos.app import build_context
    from pos.resources import resource_path
    from pos.ui.main_window import MainWindow

    configure_logging(Path(data_dir))
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("pos-till")
    theme = resource_path("theme.qss")
    if theme.exists():
        app.setStyleSheet(theme.read_text(encoding="utf-8"))
    window = MainWindow(build_context(Path(data_dir), stripe_base_url=stripe_base_url, profile=profile))
    window.show()
    return app.exec()
