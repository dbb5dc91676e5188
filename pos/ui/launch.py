"""Start the GUI: the window's frame first, then (after its first paint) the till's data and services.

The heavy imports (SQLAlchemy, pydantic, stripe) happen after the first paint, so
the window appears about as fast as a bare Qt window (bench/startup.py).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()


def run_gui(data_dir: Path, *, stripe_base_url: str | None = None, profile: str | None = None,
            startup_probe: bool = False) -> int:
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from pos.resources import resource_path
    from pos.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("pos-till")
    app.setWindowIcon(QIcon(str(resource_path("icons/pos.png"))))
    theme = resource_path("theme.qss")
    if theme.exists():
        app.setStyleSheet(theme.read_text(encoding="utf-8"))
    window = MainWindow()

    def finish_startup() -> None:
        from pos.adapters.logs import configure_logging
        from pos.app import build_context

        configure_logging(Path(data_dir))
        window.attach(build_context(Path(data_dir), stripe_base_url=stripe_base_url, profile=profile))

    class FirstPaint(QObject):
        done = False

        def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
            if event.type() == QEvent.Paint and not self.done:
                self.done = True
                if startup_probe:
                    print(f"startup-probe first-paint {time.perf_counter() - STARTED:.3f}s", flush=True)
                    QTimer.singleShot(0, app.quit)
                else:
                    QTimer.singleShot(0, finish_startup)
            return False

    first_paint = FirstPaint()
    window.installEventFilter(first_paint)
    window.show()
    code = app.exec()
    if startup_probe:
        # Exit without Python's teardown: the probe measures start-up, not shutdown.
        sys.stdout.flush()
        os._exit(code)
    return code
