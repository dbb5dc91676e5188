"""Which processes have the till's file open, and whether one that left a row is gone (issue 27 item 2).

A process that opens the file for writing keeps a row in till_sessions naming itself; a clean close
deletes it. At the next open, a row whose process is gone says the file was not closed cleanly (a
kill, a crash, a power cut), and only then does the open read the whole file (SQLite's quick_check).

A process is named by host, boot, pid and the pid's start time, so a pid reused after a reboot or by
another program does not pass for the process that wrote the row. Where the start time cannot be
read (not Linux), a row of another live pid on this host counts as open, and on Windows, where
asking about a pid is not safe, every row of another process counts as gone: the open then checks
the whole file, slower but never less safe. A row of another host on this boot (a container beside
this one) is checked for in full and kept (clearable): that container's process may still be open.
"""

from __future__ import annotations

import os
import socket
import threading
from functools import cache
from pathlib import Path

# The rows this process's open engines hold: a test or a tool may open the file twice in one process
# (the process's pid is alive for both), and a row of this process that no open engine holds was
# left by an engine disposed without a clean close.
_held: set[str] = set()
_held_lock = threading.Lock()


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


def hold(session_id: str) -> None:
    with _held_lock:
        _held.add(session_id)


def release(session_id: str) -> None:
    with _held_lock:
        _held.discard(session_id)


def clearable(process: str) -> bool:
    """Whether a row found gone may be deleted once the file passed the full check: not one of
    another host on this boot (a container beside this one, sharing the folder on the same kernel,
    where WAL works between them): its pid is in another namespace, so it may still have the file
    open, and its row is what makes the next open check in full if it is killed. Another host on
    another boot is another machine, which cannot share a WAL file with this one."""
    try:
        host, boot, _pid, _started_at = process.split("|")
    except ValueError:
        return True
    our_host, our_boot = _host_and_boot()
    return not (host != our_host and boot == our_boot and boot != "")


def is_gone(session_id: str, process: str) -> bool:
    """True when the process that wrote this row can no longer have the file open."""
    if process == this_process():
        with _held_lock:
            return session_id not in _held
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
