"""Hostile tester k2 (issue 27, tenth session), left over: a data folder whose database path
(pos.sqlite3) is a folder (a copy gone wrong, a tool that made the path a directory). Every command
said only the system's "error: Is a directory: …" and the window "Something unexpected stopped the
till (IsADirectoryError)". Now one line in the owner's words at every door, exit 1 as for other
files the till cannot use (`pos audit verify`: 2, as for its other refusals), nothing changed.
`pos` through tests/helpers/cli.py; every path under tmp_path."""

from __future__ import annotations

import pytest

from tests.helpers.cli import run_pos

SAID = "is a folder, not a file. The till will not take payments with it. Move that folder away"


@pytest.mark.parametrize(
    "args,code",
    [
        (["doctor"], 1),
        (["giftcards", "list"], 1),
        (["report", "--date", "2026-12-06"], 1),
        (["recover"], 1),
        (["audit", "verify"], 2),
    ],
)
def test_finding_a_database_path_that_is_a_folder_is_said_in_the_owners_words(tmp_path, args, code):
    (tmp_path / "pos.sqlite3").mkdir()
    done = run_pos(["--data-dir", tmp_path, *args])
    assert done.returncode == code, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "Is a directory" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{tmp_path / 'pos.sqlite3'} {SAID}" in lines[0], done.stderr
    # Nothing made beside it or in it (a command that sells takes the folder's lock first, as ever).
    assert {p.name for p in tmp_path.iterdir()} - {"pos.lock"} == {"pos.sqlite3"}
    assert list((tmp_path / "pos.sqlite3").iterdir()) == []
