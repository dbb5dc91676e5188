"""The GUI entry point as a process: the frame paints first, then the till attaches."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def env_for(tmp_path):
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        PYTHONPATH=str(ROOT),
        POS_PROFILE="launch-test",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    env.pop("POS_STRIPE_API_KEY", None)
    return env


def start_window(tmp_path, data: Path) -> subprocess.Popen:
    """`pos --data-dir DATA`: the window, in a process of its own (offscreen, demo mode)."""
    return subprocess.Popen(
        [sys.executable, "-m", "pos", "--data-dir", str(data)],
        env=env_for(tmp_path),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_window_ready(proc: subprocess.Popen, data: Path, timeout: float = 60) -> str:
    """The window's log once it says the till attached (polled, the process alive); its text."""
    deadline = time.monotonic() + timeout
    log = data / "pos.log"
    while not (log.exists() and "main window ready" in log.read_text()):
        assert proc.poll() is None and time.monotonic() < deadline, "the window did not start"
        time.sleep(0.1)
    return log.read_text()


def test_startup_probe_exits_after_first_paint(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pos", "--data-dir", str(tmp_path / "d"), "--startup-probe"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env_for(tmp_path),
        cwd=ROOT,
    )
    assert done.returncode == 0 and "startup-probe first-paint" in done.stdout
    # The probe stops before the heavy part: no database yet.
    assert not (tmp_path / "d" / "pos.sqlite3").exists()


def test_gui_attaches_after_first_paint(tmp_path):
    data = tmp_path / "d"
    proc = start_window(tmp_path, data)
    try:
        assert "main window ready (demo mode)" in wait_window_ready(proc, data)
        assert (data / "pos.sqlite3").exists()
    finally:
        proc.terminate()
        # It ends on SIGTERM, not with an error of its own (a crash while closing would show here).
        assert proc.wait(10) in (0, -signal.SIGTERM)
