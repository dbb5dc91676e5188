"""The whole of the till's file checked in the background (issue 27 item 2).

A start after a clean close no longer reads the whole file (adapters/db/storage.check_storage), so
damage that appears while the till is off or selling (a disk going bad) is found here: SQLite's full
check on its own connection, soon after the start and then once a day, on a worker the window runs
it on (never the UI thread; a read, so it holds no write lock and a sale saves meanwhile). What it
found is logged by the check and said to the cashier in the words below; `pos doctor` runs the same
check and prints the same words.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable

FIRST_AFTER_S = 15 * 60.0  # after the start: the start itself checked the layout and a write
EVERY_S = 24 * 3600.0
# A check that could not run (the file busy or locked by another program, the folder gone for a
# moment) found nothing either way: it is tried again soon, not the next day.
RETRY_S = 5 * 60.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StorageVerdict:
    sound: bool
    text: str  # in the cashier's words


def verdict(problem: str | None) -> StorageVerdict:
    """What the full check's result means to the person at the till."""
    if problem is None:
        return StorageVerdict(True, "The till's database was checked in full: it is sound.")
    detail = " ".join(problem.split())
    detail = detail if len(detail) <= 120 else detail[:119] + "…"
    return StorageVerdict(
        False,
        f"The till's database is damaged (SQLite's check found: {detail}). Finish the sale in progress, "
        "then stop taking payments on this till: restore the last backup of the whole data folder, or call support.",
    )


def cannot_sell_there(found: StorageVerdict, folder: object) -> StorageVerdict:
    """`pos doctor` on a data folder the till cannot write (a read-only drive or folder): the file's
    health as found, and that the till cannot sell from there, in one line (not sound: exit 1)."""
    return StorageVerdict(
        False,
        f"{found.text} But the till cannot sell from {folder}: it cannot be written there (a read-only drive, "
        "folder or file). Copy the folder to a drive that can be written, or make it writable, and start there.",
    )


class StorageWatch:
    """When the next full check is due, and running it (check: the adapter's full check, which opens
    a connection of its own and returns None or the problem)."""

    def __init__(
        self,
        check: Callable[[], str | None],
        *,
        first_after_s: float = FIRST_AFTER_S,
        every_s: float = EVERY_S,
        retry_s: float = RETRY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._check = check
        self._every_s = every_s
        self._retry_s = retry_s
        self._clock = clock
        self._due = clock() + first_after_s
        self.last: StorageVerdict | None = None

    def next_in(self) -> float:
        """Seconds until the next check is due (0 if it is)."""
        return max(0.0, self._due - self._clock())

    def run(self) -> StorageVerdict:
        """Check now (on a worker: it reads the whole file) and schedule the next one: in a day after
        a verdict, in RETRY_S after a check that failed to run (raised again, for the caller to log)."""
        try:
            self.last = verdict(self._check())
        except BaseException:
            self._due = self._clock() + self._retry_s
            raise
        self._due = self._clock() + self._every_s
        if self.last.sound:
            log.info("storage: the background full check found the till's database sound")
        else:
            log.error("storage: the background full check: %s", self.last.text)
        return self.last
