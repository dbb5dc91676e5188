"""The one bridge from the counter's events to Qt: an event from a payment's worker is delivered on
the Qt thread; one from the Qt thread at once (Qt's auto connection decides)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from pos.services.counter import Counter
from pos.services.counter_events import CounterEvent


class CounterBridge(QObject):
    heard = Signal(object)  # a counter_events dataclass

    def __init__(self, counter: Counter, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe = counter.subscribe(self._heard)

    def _heard(self, event: CounterEvent) -> None:
        self.heard.emit(event)  # any thread: a Qt signal crosses to the receiver's thread

    def close(self) -> None:
        """No more events (the window closes; a worker finishing later redraws nothing)."""
        self._unsubscribe()
