"""One selling process per data folder: an OS lock on `<data folder>/pos.lock`.

The process that sells (the GUI, `pos recover`, a headless till) holds an exclusive
lock for as long as it runs; the OS drops it when the process ends, however it ends
(a SIGKILL included), so a stale lock cannot outlive its owner. The file also says who
holds it, so a second process can tell the cashier which one. Recovery in a process
that does not hold the lock never runs, so no process can cancel a sale another live
process is paying for.
"""

from __future__ import annotations

import json
import os
import sys
import socket
from datetime import datetime
from pathlib import Path

from pos.adapters.db.errors import StorageUnavailable, describe

LOCK_FILE = "pos.lock"


class FolderInUse(Exception):
    """Another live process sells from this data folder."""

    def __init__(self, holder: str):
        super().__init__(f"This data folder is in use by {holder}.")
        self.holder = holder


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - Windows is not tested here
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


class FolderLock:
    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / LOCK_FILE
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, purpose: str) -> None:
        """Take the lock or raise FolderInUse naming the process that has it.

        On a read-only mount the lock is still taken (on a read-only descriptor) and who holds it
        goes unsaid; the storage check that follows says what is wrong with the folder.
        """
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            try:
                fd = os.open(self.path, os.O_RDONLY)
            except OSError:
                raise StorageUnavailable(describe(exc)) from None
        if not _try_lock(fd):
            os.close(fd)
            raise FolderInUse(self.holder())
        try:
            os.ftruncate(fd, 0)
            os.write(
                fd,
                json.dumps(
                    {
                        "pid": os.getpid(),
                        "host": socket.gethostname(),
                        "purpose": purpose,
                        "since": datetime.now().astimezone().isoformat(timespec="seconds"),
                    }
                ).encode(),
            )
        except OSError:
            pass  # a full disk or read-only folder: the lock holds all the same
        self._fd = fd

    def holder(self) -> str:
        """'the till (process 1234 on host, since 10:02)', from what the holder wrote."""
        try:
            info = json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            info = {}
        if not info.get("pid"):
            return "another till process"
        since = info.get("since", "")
        when = f", since {since[11:16]}" if len(since) >= 16 else ""
        return f"{info.get('purpose', 'the till')} (process {info['pid']} on {info.get('host', '?')}{when})"

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None
