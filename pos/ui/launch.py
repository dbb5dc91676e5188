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


def open_context(data_dir: Path, stripe_base_url: str | None, profile: str | None, ask_read_only, show_error):
    """The till's context for the window, or None after telling the cashier why there is none.

    Another live till selling from the folder: `ask_read_only(holder)` decides between a read-only
    back office and quitting. A folder or database that cannot be used: `show_error(message)`.
    """
    from pos.app import FolderInUse, build_context
    from pos.services.sales import StorageError

    try:
        return build_context(data_dir, stripe_base_url=stripe_base_url, profile=profile)
    except FolderInUse as exc:
        if not ask_read_only(exc.holder):
            return None
        try:
            return build_context(data_dir, stripe_base_url=stripe_base_url, read_only_because=exc.holder)
        except StorageError as err:
            show_error(str(err))
            return None
    except StorageError as exc:
        show_error(str(exc))
        return None


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

        try:
            configure_logging(Path(data_dir))
        except OSError:
            pass  # the data folder's own check below says what is wrong, in the cashier's words
        context = open_context(Path(data_dir), stripe_base_url, profile, window.ask_read_only, window.show_startup_error)
        if context is None:
            return
        window.attach(context)

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
