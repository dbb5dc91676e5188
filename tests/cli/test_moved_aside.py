"""The damaged-file advice and what the till does with a file moved aside agree (issue 27, tenth
session, h5 item 2). The audit trail's head is kept in a file beside the database (audit-head,
adapters/db/audit.py). Before, the advice was "move the file aside and start again": the head stayed
behind, the new till started a trail under it, and its `pos audit verify` said BROKEN ("the trail
ends at event 0, but it had reached N: it was cut") for good, while the moved file's own trail had
lost its head. Now the advice is the whole folder renamed, and a file moved alone is refused before
anything is created, saying to keep the two together. Real SQLite files, `pos` through the CLI's
main(); nothing mocked."""

from __future__ import annotations

from pathlib import Path

from pos.app import open_back_office
from pos.domain.money import Money
from tests.helpers.cli import run_pos


def _till_with_events(folder: Path, cards: int = 2) -> None:
    office = open_back_office(folder)
    try:
        for n in range(cards):
            office.gift_cards.issue(Money(2000 + n, office.settings.currency), f"sold-{n}")
    finally:
        office.close()


def _one_line(done, code: int) -> str:
    assert done.returncode == code, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def _intact(folder: Path) -> str:
    done = run_pos(["--data-dir", folder, "audit", "verify"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("The audit trail is intact"), done.stdout
    return done.stdout


def test_the_damaged_file_advice_followed_gives_a_new_trail_that_verifies(tmp_path):
    folder = tmp_path / "till"
    _till_with_events(folder)
    db = folder / "pos.sqlite3"
    with open(db, "r+b") as handle:
        handle.truncate(db.stat().st_size // 2)  # a copy cut short: every open refuses it, from its header
    for args in (["doctor"], ["giftcards", "list"]):
        line = _one_line(run_pos(["--data-dir", folder, *args]), 1)
        assert "damaged" in line and f"rename the whole folder {folder}" in line, line
        assert "new database and audit trail" in line, line
    folder.rename(tmp_path / "till-damaged")  # as the advice says
    _till_with_events(folder, cards=1)  # the till started again in the same place, and sells
    assert "intact: 1 events" in _intact(folder)  # a new trail, its own event only


def test_a_database_moved_aside_alone_is_refused_and_the_advice_keeps_both_trails_whole(tmp_path):
    folder, aside = tmp_path / "till", tmp_path / "old"
    _till_with_events(folder)
    aside.mkdir()
    (folder / "pos.sqlite3").rename(aside / "pos.sqlite3")
    for args in (["report", "--date", "2026-12-06"], ["audit", "verify"], ["giftcards", "list"]):
        line = _one_line(run_pos(["--data-dir", folder, *args]), 1 if args[0] != "audit" else 2)
        assert f"missing from {folder}" in line and "audit-head" in line and "Nothing was created" in line, line
    assert not (folder / "pos.sqlite3").exists()  # no new file under the old trail's head
    (folder / "audit-head").rename(aside / "audit-head")  # as the message says
    assert "intact: 2 events" in _intact(aside)  # the old trail, whole, where the database went
    _till_with_events(folder, cards=1)
    assert "intact: 1 events" in _intact(folder)  # and a new one that verifies
