"""Work off the UI thread: run a function on Qt's thread pool and hear back by signal.

Like Anki's aqt.operations: the caller gives success and failure callbacks,
which run on the UI thread; the function itself may report progress.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

_running: set["_Signals"] = set()


class _Signals(QObject):
    succeeded = Signal(object)
    failed = Signal(object)
    progress = Signal(str)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[Callable[[str], None]], Any], signals: _Signals):
        super().__init__()
        self._fn = fn
        self._signals = signals

    def run(self) -> None:
        try:
            result = self._fn(self._signals.progress.emit)
        except Exception as exc:  # reported to the UI thread, which decides what the cashier sees
            log.exception("background work failed")
            self._signals.failed.emit(exc)
        else:
            self._signals.succeeded.emit(result)


def run_in_background(
    fn: Callable[[Callable[[str], None]], Any],
    *,
    on_success: Callable[[Any], None],
    on_failure: Callable[[Exception], None],
    on_progress: Callable[[str], None] | None = None,
    pool: QThreadPool | None = None,
) -> None:
    """Run fn(progress) on a worker thread; the callbacks run on the UI thread."""
    signals = _Signals()  # created here, so its slots are delivered on this (the UI) thread
    _running.add(signals)

    def finish(callback, value):
        _running.discard(signals)
        callback(value)

    signals.succeeded.connect(lambda value: finish(on_success, value))
    signals.failed.connect(lambda exc: finish(on_failure, exc))
    if on_progress is not None:
        signals.progress.connect(on_progress)
    (pool or QThreadPool.globalInstance()).start(_Job(fn, signals))


def busy_count() -> int:
    """How many background jobs have not reported back yet (tests wait on this)."""
    return len(_running)
