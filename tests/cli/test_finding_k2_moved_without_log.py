"""Hostile tester k2 (issue 27, tenth session): a killed till's database moved aside without its
write-ahead log, where its last commits are. Real SQLite files (the files a SIGKILL leaves, copied
while the till had them open), `pos` through tests/helpers/cli.py; nothing mocked."""

from __future__ import annotations

import shutil
from pathlib import Path

from pos.app import open_back_office
from pos.domain.money import Money
from tests.helpers.cli import run_pos

FILES = ("pos.sqlite3", "pos.sqlite3-wal", "pos.sqlite3-shm", "audit-head")


def _killed_till(tmp_path: Path) -> Path:
    """A till's folder as a kill leaves it: three cards issued, the last two only in its -wal."""
    live, folder = tmp_path / "live", tmp_path / "till"
    office = open_back_office(live)
    office.gift_cards.issue(Money(2000, office.settings.currency), "sold-0")
    office.close()
    office = open_back_office(live)
    try:
        for n in (1, 2):
            office.gift_cards.issue(Money(2000 + n, office.settings.currency), f"sold-{n}")
        folder.mkdir()
        for name in FILES:
            shutil.copyfile(live / name, folder / name)
    finally:
        office.close()
    assert (folder / "pos.sqlite3-wal").stat().st_size > 0
    return folder


def _cards(folder: Path) -> int:
    done = run_pos(["--data-dir", folder, "giftcards", "list"])
    assert done.returncode == 0, done.stderr
    return len(done.stdout.strip().splitlines()) - 1


def _refused(folder: Path) -> str:
    done = run_pos(["--data-dir", folder, "giftcards", "list"])
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Nothing was created" in lines[0], done.stderr
    return lines[0]


def test_finding_the_moved_aside_advice_names_the_log_and_followed_keeps_every_commit(tmp_path):
    """Before: "move the rest of that folder (its audit-head file) to where the database went": done
    so, the -wal stayed, the fresh start's SQLite deleted it, and the two cards in it were gone for
    good (the moved file's trail still said intact: its head was behind them). Now the message names
    the log too, and done as it says the moved folder holds all three cards."""
    folder, aside = _killed_till(tmp_path), tmp_path / "aside"
    aside.mkdir()
    (folder / "pos.sqlite3").rename(aside / "pos.sqlite3")
    line = _refused(folder)
    assert "audit-head" in line and "pos.sqlite3-wal" in line, line
    for name in FILES[1:]:  # what the message names
        assert name in line
        (folder / name).rename(aside / name)
    assert _cards(aside) == 3
    assert _cards(folder) == 0  # and the fresh start, in a folder with nothing of the old till


def test_finding_a_database_moved_with_its_head_but_not_its_log_is_refused_and_the_log_kept(tmp_path):
    """Before: no head left behind, so the fresh start went ahead and SQLite deleted the -wal left
    there (a new file of no pages): the moved file lost its last two cards for good, silently."""
    folder, aside = _killed_till(tmp_path), tmp_path / "aside"
    aside.mkdir()
    for name in ("pos.sqlite3", "audit-head"):
        (folder / name).rename(aside / name)
    wal = (folder / "pos.sqlite3-wal").read_bytes()
    line = _refused(folder)
    assert "pos.sqlite3-wal" in line and "last changes" in line, line
    assert not (folder / "pos.sqlite3").exists() and (folder / "pos.sqlite3-wal").read_bytes() == wal
    for name in ("pos.sqlite3-wal", "pos.sqlite3-shm"):
        (folder / name).rename(aside / name)
    assert _cards(aside) == 3
