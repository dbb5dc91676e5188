"""Hostile tester k2 (issue 27, tenth session): a till file emptied to no bytes while its write-ahead
log still holds the till's last commits (a till killed, then its file zeroed by a copy cut short or
a disk), beside an audit head that names events. Real SQLite files, `pos` through
tests/helpers/cli.py; nothing mocked."""

from __future__ import annotations

import shutil

from pos.app import open_back_office
from pos.domain.money import Money
from tests.helpers.cli import run_pos

FILES = ("pos.sqlite3", "pos.sqlite3-wal", "audit-head")


def test_finding_an_emptied_file_with_pages_in_its_log_is_refused_and_the_log_kept(tmp_path):
    """Before: the emptied-file check let a file of no bytes through whenever its -wal had bytes
    ("SQLite reads the pages from the write-ahead log"). SQLite does not: a database of no pages
    has its log deleted at open. `pos doctor` said "checked in full: it is sound" (exit 0) and
    deleted the log; the next open made a new till under the old head (receipts from 1 again, `pos
    audit verify` BROKEN for good). Now every open refuses it in one line, and the log stays."""
    live, folder = tmp_path / "live", tmp_path / "till"
    office = open_back_office(live)
    office.gift_cards.issue(Money(2000, office.settings.currency), "sold-0")
    office.close()  # the head now names event 1
    office = open_back_office(live)
    try:
        office.gift_cards.issue(Money(2001, office.settings.currency), "sold-1")
        assert (live / "pos.sqlite3-wal").stat().st_size > 0  # the commit is in the log, as a kill leaves it
        folder.mkdir()
        for name in FILES:
            shutil.copyfile(live / name, folder / name)
    finally:
        office.close()
    (folder / "pos.sqlite3").write_bytes(b"")
    wal = (folder / "pos.sqlite3-wal").read_bytes()
    for args in (["doctor"], ["giftcards", "list"], ["report", "--date", "2026-12-06"]):
        done = run_pos(["--data-dir", folder, *args])
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "is empty" in lines[0] and "damaged" in lines[0], done.stderr
    assert (folder / "pos.sqlite3").stat().st_size == 0
    assert (folder / "pos.sqlite3-wal").read_bytes() == wal  # kept for support, not deleted by an open
