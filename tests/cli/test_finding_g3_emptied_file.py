"""Hostile tester g3 (issue 27 item 2): `pos report` and `pos doctor` on a till file emptied to no
bytes beside its audit head. Real SQLite files, `pos` through tests/helpers/cli.py; nothing mocked."""

from __future__ import annotations

from pos.app import open_back_office
from pos.domain.money import Money
from tests.helpers.cli import run_pos


def _till_with_events(folder):
    office = open_back_office(folder)
    try:
        office.gift_cards.issue(Money(2000, office.settings.currency), "sold-1")  # an event in the trail
    finally:
        office.close()
    head = (folder / "audit-head").read_text()
    assert not head.startswith("0 ")
    return head


def test_finding_an_emptied_till_file_is_refused_not_opened_as_a_new_till(tmp_path):
    """Before: SQLite opened the file of no bytes as a new database; the till migrated it and went
    on as a new till: `pos doctor` said "checked in full: it is sound" (exit 0), `pos report` printed
    a day of no sales (exit 0), and a window would number receipts from 1 again. Only `pos audit
    verify` saw the trail cut. Now every open refuses it in one line, and nothing is written."""
    folder = tmp_path / "till"
    head = _till_with_events(folder)
    db = folder / "pos.sqlite3"
    db.write_bytes(b"")
    for args in (["doctor"], ["report", "--date", "2026-12-06"], ["giftcards", "list"]):
        done = run_pos(["--data-dir", folder, *args])
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "is empty" in lines[0] and "damaged" in lines[0], done.stderr
        assert "Traceback" not in done.stderr
    assert db.stat().st_size == 0  # nothing written over what support may still recover
    assert (folder / "audit-head").read_text() == head


def test_a_first_start_stopped_before_its_first_commit_still_starts(tmp_path):
    """The case a file of no bytes is legitimately: SQLite made it, the audit head names event 0
    (written before the layout's first commit). A guard: this held before."""
    folder = tmp_path / "till"
    folder.mkdir()
    (folder / "pos.sqlite3").write_bytes(b"")
    (folder / "audit-head").write_text("0 " + "0" * 64 + "\n")
    done = run_pos(["--data-dir", folder, "report", "--date", "2026-12-06"])
    assert done.returncode == 0, done.stderr
