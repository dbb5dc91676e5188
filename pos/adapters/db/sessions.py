"""Which processes have the till's file open, and whether one that left a row is gone (issue 27 item 2).

A process that opens the file for writing keeps a row in till_sessions naming itself; a clean close
deletes it. At the next open, a row whose process is gone says the file was not closed cleanly (a
kill, a crash, a power cut), and only then does the open read the whole file (SQLite's quick_check).

A process is named by host, boot, pid and the pid's start time, so a pid reused after a reboot or by
another program does not pass for the process that wrote the row. Where the start time cannot be
read (not Linux), a row of another live pid on this host counts as open, and on Windows, where
asking about a pid is not safe, every row of another process counts as gone: the open then checks
the whole file, slower but never less safe.
"""

from __future__ import annotations

import os
import socket
from functools import cache
from pathlib import Path


def _read(path: str) -> str:
    try:
        return Path(path).read_text("ascii", errors="replace").strip()
    except OSError:
        return ""


def _started(pid: int) -> str:
    """The pid's start time in clock ticks since boot (/proc/PID/stat field 22), or '' if unknown."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return ""
    after_name = stat.rsplit(")", 1)[-1].split()  # the command name may hold spaces and parentheses
    return after_name[19] if len(after_name) > 19 else ""


@cache
def _host_and_boot() -> tuple[str, str]:
    return socket.gethostname(), _read("/proc/sys/kernel/random/boot_id")


def this_process() -> str:
    host, boot = _host_and_boot()
    pid = os.getpid()
    return f"{host}|{boot}|{pid}|{_started(pid)}"


def is_gone(process: str) -> bool:
    """True when the process that wrote this row can no longer have the file open."""
    if process == this_process():
        # This process opens the file once (build_context, open_back_office); a row of its own found
        # at an open was left by an engine disposed without closing (tests, a failed start).
        return True
    try:
        host, boot, pid_text, started = process.split("|")
        pid = int(pid_text)
    except ValueError:
        return True  # not a row this till wrote
    our_host, our_boot = _host_and_boot()
    if host != our_host or boot != our_boot or os.name != "posix":
        return True
    if started:
        return _started(pid) != started
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the pid exists
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # another user's live process
    return False
