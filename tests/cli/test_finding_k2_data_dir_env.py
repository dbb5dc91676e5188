"""Hostile tester k2 (issue 27, tenth session): $POS_DATA_DIR, the data folder's other door. Since
this session a --data-dir holding a control character is refused in argparse's one line, exit 2
(h5: a NUL failed "unexpectedly", an ESC reached the terminal). The same folder named by
$POS_DATA_DIR went on: a folder with an ESC or a line break in its name created, the ESC printed to
the terminal in every message naming it, a message broken over two lines. `pos` through
tests/helpers/cli.py (the command's main, its own environment); every path under tmp_path."""

from __future__ import annotations

import pytest

from tests.helpers.cli import run_pos, run_process


@pytest.mark.parametrize("name", ["esc\x1b[2Jred", "line\nbreak", "tab\there"])
@pytest.mark.parametrize("args", [["doctor"], ["giftcards", "list"], ["report", "--date", "2026-12-06"]])
def test_finding_a_data_folder_named_by_the_environment_keeps_the_command_lines_rule(tmp_path, name, args):
    done = run_pos(args, env={"POS_DATA_DIR": str(tmp_path / name)})
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == "" and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "POS_DATA_DIR" in lines[0] and "control character" in lines[0], done.stderr
    assert "\x1b" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing created


def test_the_window_is_not_opened_on_such_a_folder_either(tmp_path):
    # The start-up probe: the window quits after its first paint (before it opens the till's file).
    env = {"POS_DATA_DIR": str(tmp_path / "esc\x1b[2Jred"), "QT_QPA_PLATFORM": "offscreen"}
    done = run_process(["--startup-probe"], env=env, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "POS_DATA_DIR" in done.stderr and "\x1b" not in done.stderr
    assert list(tmp_path.iterdir()) == []
