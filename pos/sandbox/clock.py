"""The sandbox's notion of now, which tests can move forward (to expire idempotency keys)."""

from __future__ import annotations

import datetime as dt
import threading
import time


class Clock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def today(self) -> dt.date:
        """The sandbox's date in UTC, as Stripe dates API versions (a newer version is not served yet)."""
        return dt.datetime.fromtimestamp(self.now(), dt.UTC).date()
