"""Hostile tester k2 (issue 27, tenth session): the damaged-file and moved-aside advice's other way
out, "restore the last backup", done as it was said. The audit trail's head is a file beside the
database (adapters/db/audit.py); a backup of the database put back under today's head reads as the
trail cut, for good. Real SQLite files, `pos` through tests/helpers/cli.py; nothing mocked."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pos.app import open_back_office
from pos.domain.money import Money
from tests.helpers.cli import run_pos


def _issue(folder: Path, cards: int, start: int) -> None:
    office = open_back_office(folder)
    try:
        for n in range(start, start + cards):
            office.gift_cards.issue(Money(2000 + n, office.settings.currency), f"sold-{n}")
    finally:
        office.close()


def _verify(folder: Path):
    return run_pos(["--data-dir", folder, "audit", "verify"])


def _garbage(db: Path) -> None:
    db.write_bytes(os.urandom(db.stat().st_size))


@pytest.mark.parametrize("harm", [_garbage, Path.unlink], ids=["damaged", "deleted"])
def test_finding_the_backup_the_advice_names_goes_back_with_its_audit_head(tmp_path, harm):
    """Before: "Restore the last backup" (a damaged file) and "put the database back from the last
    backup" (a file gone): the database alone put back beside today's head, the till opened, sold,
    and its `pos audit verify` said BROKEN ("the trail ends at event 2, but it had reached 4: it was
    cut") for good. Now both say the backup goes back with its audit-head file, and done so the
    trail verifies and the till goes on from the backup."""
    folder, backup = tmp_path / "till", tmp_path / "backup"
    _issue(folder, 2, 0)
    shutil.copytree(folder, backup)  # the owner's backup of the folder
    _issue(folder, 2, 10)
    harm(folder / "pos.sqlite3")
    done = run_pos(["--data-dir", folder, "giftcards", "list"])
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    line = done.stderr.strip()
    assert "backup" in line and ("with its audit-head" in line or "together with the audit-head" in line), line

    shutil.copyfile(backup / "pos.sqlite3", folder / "pos.sqlite3")  # the database alone: the old advice
    assert _verify(folder).stdout.startswith("BROKEN")
    shutil.copyfile(backup / "audit-head", folder / "audit-head")  # and its head beside it: the advice now
    assert _verify(folder).stdout.startswith("The audit trail is intact: 2 events")
    _issue(folder, 1, 20)  # the till goes on from the backup
    assert _verify(folder).stdout.startswith("The audit trail is intact: 3 events")
