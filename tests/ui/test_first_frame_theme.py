"""The first frame's colours (hostile pass g2, issue 27 item 3): the frame paints before the till's
settings are read (the database loads after the first paint). It painted in the system's mode, then
switched to the owner's theme: a flash at every start of a dark or high-contrast till. The window now
notes the theme it shows beside the till's file (theme.py's first-frame note) and the next start's
first frame paints in it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QMenu

from pos.domain.appearance import Theme
from pos.ui import theme
from tests.ui.test_launch import ROOT, env_for
from pos.app import create_main_window
from tests.ui.conftest import wait_idle

DRIVER = """
import os, sys

exit_now = os._exit


def report(code):
    # The probe ends the process right after the first paint: the palette the frame painted in.
    from pos.ui import theme

    print("first-frame-palette", theme.installed().palette.name, flush=True)
    exit_now(code)


os._exit = report
from pos.__main__ import main

main(sys.argv[1:])
"""


def first_frame(tmp_path: Path, folder: Path) -> str:
    """The palette a real `pos` start paints its first frame in (the probe ends it right there)."""
    script = tmp_path / "probe.py"
    script.write_text(DRIVER)
    done = subprocess.run(
        [sys.executable, str(script), "--data-dir", str(folder), "--startup-probe"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env_for(tmp_path),
        cwd=ROOT,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("first-frame-palette ")]
    assert lines, done.stderr[-2000:]
    return lines[0].split()[1]


def test_finding_a_till_set_to_high_contrast_paints_its_first_frame_in_high_contrast(
    qtbot, themed, data_dir, sandbox, api_key, tmp_path
):
    """The owner's choice in the View menu is noted for the next start, whose first frame (a real
    `pos` process) paints in it; before, the frame was the system's light one."""
    window = create_main_window(data_dir, stripe_base_url=sandbox.url, api_key=api_key)
    try:
        view = window.findChild(QMenu, "viewMenu")
        next(a for a in view.actions() if a.objectName() == "theme-high-contrast").trigger()
        note = data_dir / theme.FIRST_FRAME_FILE
        qtbot.waitUntil(lambda: note.exists() and note.read_text().strip() == "high-contrast", timeout=10000)
    finally:
        wait_idle(qtbot)
        window.close()
        window.deleteLater()
    assert first_frame(tmp_path, data_dir) == "high-contrast"


def test_a_theme_set_at_another_door_is_noted_when_the_till_attaches(
    qtbot, themed, data_dir, sandbox, api_key, tmp_path
):
    """The setting is the truth: a theme changed with `pos settings set` (or a note gone stale, or
    nonsense in it) is what the window applies when the till attaches, and what it notes then."""
    env = env_for(tmp_path)
    chosen = subprocess.run(
        [sys.executable, "-m", "pos", "--data-dir", str(data_dir), "settings", "set", "theme", "dark"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT,
    )
    assert chosen.returncode == 0, chosen.stderr[-2000:]
    (data_dir / theme.FIRST_FRAME_FILE).write_text("purple\n")  # nonsense: the system's mode
    assert theme.first_frame_theme(data_dir) is Theme.SYSTEM
    window = create_main_window(data_dir, stripe_base_url=sandbox.url, api_key=api_key)
    try:
        assert themed.palette is theme.DARK
        qtbot.waitUntil(lambda: theme.first_frame_theme(data_dir) is Theme.DARK, timeout=10000)
    finally:
        wait_idle(qtbot)
        window.close()
        window.deleteLater()


def test_a_folder_with_no_note_paints_the_first_frame_in_the_systems_mode(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    assert theme.first_frame_theme(folder) is Theme.SYSTEM
    theme.note_first_frame_theme(folder / "missing", Theme.DARK)  # a folder that cannot take it: no error
    assert theme.first_frame_theme(folder / "missing") is Theme.SYSTEM
