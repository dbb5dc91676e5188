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
OPENING_WAIT_MS = 60_000  # the longest a closed window waits for the till it was opening (finish_opening)


def _why_not(exc: Exception) -> str:
    """What the cashier is told when the till's data cannot be opened."""
    from pos.services.sales import StorageError

    if isinstance(exc, StorageError):
        return str(exc)
    return f"Something unexpected stopped the till ({type(exc).__name__}); the details are in its log."


def open_context(data_dir: Path, stripe_base_url: str | None, profile: str | None, ask_read_only, show_error):
    """The till's context, or None after telling the cashier why there is none (on this thread).

    Another live till selling from the folder: `ask_read_only(holder)` decides between a read-only
    back office and quitting. A folder or database that cannot be used: `show_error(message)`.
    """
    from pos.app import FolderInUse, build_context

    try:
        return build_context(data_dir, stripe_base_url=stripe_base_url, profile=profile)
    except FolderInUse as exc:
        if not ask_read_only(exc.holder):
            return None
        try:
            return build_context(data_dir, stripe_base_url=stripe_base_url, read_only_because=exc.holder)
        except Exception as err:  # noqa: BLE001 - whatever it is, the window says so
            show_error(_why_not(err))
            return None
    except Exception as exc:  # noqa: BLE001
        show_error(_why_not(exc))
        return None


def start_context(
    window, data_dir: Path, stripe_base_url: str | None, profile: str | None, shop_db: str | None = None
) -> None:
    """open_context for the window, with the opening (storage checks can take seconds on a big
    database) on a worker thread; the questions and the result come back to the UI thread. A window
    closed while the till opened (its close button, SIGTERM) is not wired to what opened: that is
    closed, as the window's own close would have (its session ended, so the next start is quick)."""
    import logging

    from pos.app import FolderInUse, build_context
    from pos.ui.workers import run_in_background

    def opened(context) -> None:
        if window.closed:
            logging.getLogger(__name__).info("the window closed while the till opened: its file closed")
            context.close()
            return
        window.attach(context)

    def failed(exc: Exception) -> None:
        if window.closed:
            return  # nobody to ask or tell: the window is gone
        if isinstance(exc, FolderInUse):
            if window.ask_read_only(exc.holder):
                run_in_background(
                    lambda _p: build_context(data_dir, stripe_base_url=stripe_base_url, read_only_because=exc.holder),
                    on_success=opened,
                    on_failure=lambda err: window.show_startup_error(_why_not(err)),
                )
            return
        window.show_startup_error(_why_not(exc))

    window.loading.setText("Checking the till's data…")
    run_in_background(
        lambda _p: build_context(data_dir, stripe_base_url=stripe_base_url, profile=profile, shop_db=shop_db),
        on_success=opened,
        on_failure=failed,
    )


def finish_opening(app, window) -> None:
    """After the event loop ends: a till still opening when the window closed is waited for, and
    its answer delivered (start_context's `opened` closes it). Left alone, its session stayed in the
    file (the next start read the whole file, as after a kill) and its answer went to a deleted
    signal."""
    from PySide6.QtCore import QThreadPool

    from pos.ui import workers

    if window.context is None and workers.busy_count():
        # Bounded: an opening that hangs (a folder on a share gone away) does not hold the exit.
        QThreadPool.globalInstance().waitForDone(OPENING_WAIT_MS)
        app.processEvents()


def run_gui(
    data_dir: Path,
    *,
    stripe_base_url: str | None = None,
    profile: str | None = None,
    startup_probe: bool = False,
    shop_db: str | None = None,
) -> int:
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from pos.paths import resource_path
    from pos.ui import theme
    from pos.ui.main_window import MainWindow

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else theme.start_application(sys.argv)
    app.setApplicationName("pos-till")
    app.setWindowIcon(QIcon(str(resource_path("icons/pos.png"))))
    # The theme the last window showed (the till's setting, noted beside its file: theme.py) until
    # the settings are read; the window then shows the setting (view_menu.py).
    theme.install(app, theme.first_frame_theme(Path(data_dir)))
    window = MainWindow()

    def finish_startup() -> None:
        from pos.adapters.logs import configure_logging

        try:
            configure_logging(Path(data_dir))
        except OSError:
            pass  # the data folder's own check below says what is wrong, in the cashier's words
        start_context(window, Path(data_dir), stripe_base_url, profile, shop_db)

    class FirstPaint(QObject):
        done = False

        def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint and not self.done:
                self.done = True
                if startup_probe:
                    print(f"startup-probe first-paint {time.perf_counter() - STARTED:.3f}s", flush=True)
                    QTimer.singleShot(0, app.quit)
                else:
                    QTimer.singleShot(0, finish_startup)
            return False

    first_paint = FirstPaint()
    window.installEventFilter(first_paint)
    window.show_maximised()
    wake = _close_on_sigterm(window)  # kept: its timer lets Python run the handler while Qt waits
    code = app.exec()
    finish_opening(app, window)
    del wake
    if startup_probe:
        # Exit without Python's teardown: the probe measures start-up, not shutdown.
        sys.stdout.flush()
        os._exit(code)
    return code


def _close_on_sigterm(window):
    """SIGTERM (a logout, a shutdown, systemd) closes the window as its own quit does, so the till's
    file is closed cleanly and the next start need not read it all (Python's default ends the process
    on the spot, as a SIGKILL would). A payment being charged still holds the close (closeEvent). Off
    the main thread (a test's own app) nothing is installed. Returns the timer that wakes Python."""
    import signal
    import threading

    from PySide6.QtCore import QTimer

    if threading.current_thread() is not threading.main_thread():
        return None
    signal.signal(signal.SIGTERM, lambda _signum, _frame: QTimer.singleShot(0, window.close))
    wake = QTimer()
    wake.timeout.connect(lambda: None)  # Python runs signal handlers only when it gets control
    wake.start(250)
    return wake
