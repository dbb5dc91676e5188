"""The window asked to stop with SIGTERM (a logout, a shutdown, systemd) closes as its quit does
(helper h4, issue 27 item 2): its session row in the till's file is deleted, so the next start does
not read the whole file as after a kill. A real `pos` window process (offscreen Qt, demo mode)."""

from __future__ import annotations


from sqlalchemy import create_engine, text

from tests.ui.test_launch import start_window, wait_window_ready


def _sessions(data_dir) -> int:
    engine = create_engine(f"sqlite:///{data_dir / 'pos.sqlite3'}")
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM till_sessions")).scalar() or 0)
    finally:
        engine.dispose()


def test_the_window_stopped_with_sigterm_closes_the_file_cleanly(tmp_path):
    """Before: Python's default for SIGTERM ended the window on the spot (exit -15), its session row
    stayed as after a SIGKILL, and the next start read the whole file."""
    data = tmp_path / "d"
    proc = start_window(tmp_path, data)
    try:
        wait_window_ready(proc, data)
        assert _sessions(data) == 1  # the window has the file open
        proc.terminate()
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert _sessions(data) == 0
