"""`pos doctor` on a till that cannot be written where it is (issue 27, tenth session, h5 item 1).

A doctor only reads, so a till on a read-only drive (a backup disk mounted read-only, a folder the
till's user cannot write) is read and its health said, with the fact that the till cannot sell from
there. Before, the doctor opened the file as the till opens it and said only "The till cannot open
its database for writing", whatever the file's health.

The tests run as root (CI does), for whom file modes do not stop a write: the read-only drive is a
real one, a tmpfs remounted read-only (tests/services/test_storage_faults.py's fixture, skipped where
nothing can be mounted), and the read-only file a read-only bind mount of it. Nothing is mocked.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from pos.app import open_back_office
from pos.domain.money import Money
from tests.helpers.cli import run_pos
from tests.services.test_open_in_constant_time import corrupt_a_table
from tests.services.test_storage_faults import tmpfs  # noqa: F401 - the fixture


def _till(folder: Path) -> None:
    """A till with an event in its trail, closed cleanly (no -wal or -shm file left beside it)."""
    office = open_back_office(folder)
    try:
        office.gift_cards.issue(Money(2000, office.settings.currency), "sold-1")
    finally:
        office.close()


def _files(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _remount(mount_point: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(mount_point)], check=True)


def _doctor_line(folder: Path) -> str:
    done = run_pos(["--data-dir", folder, "doctor"])
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def _doctor_line_read_only(mount_point: Path, folder: Path) -> str:
    """_doctor_line with the drive at mount_point read-only (writable again after)."""
    _remount(mount_point, "ro")
    try:
        return _doctor_line(folder)
    finally:
        _remount(mount_point, "rw")


def test_pos_doctor_checks_a_till_on_a_read_only_drive_and_says_it_cannot_sell_there(tmpfs):  # noqa: F811
    folder = tmpfs / "till"
    _till(folder)
    before = _files(folder)
    line = _doctor_line_read_only(tmpfs, folder)
    assert "checked in full: it is sound" in line, line
    assert f"the till cannot sell from {folder}" in line and "read-only" in line, line
    assert "cannot open its database for writing" not in line
    assert _files(folder) == before  # nothing written, nothing left beside it


def test_pos_doctor_finds_damage_on_a_read_only_drive(tmpfs):  # noqa: F811
    folder = tmpfs / "till"
    _till(folder)
    corrupt_a_table(folder)
    line = _doctor_line_read_only(tmpfs, folder)
    assert line.startswith("error: The till's database is damaged"), line
    assert f"the till cannot sell from {folder}" in line, line


def test_a_till_left_mid_write_on_a_read_only_drive_is_said_in_one_line(tmp_path, tmpfs):  # noqa: F811
    """Pages still in the write-ahead log and no -shm beside them (a till that was killed, copied to a
    read-only drive): SQLite cannot read them there, and `immutable` would skip them, so the doctor
    says to check a writable copy (and that copy, checked, is sound)."""
    folder = tmpfs / "till"
    office = open_back_office(tmp_path / "live")
    try:
        office.gift_cards.issue(Money(2000, office.settings.currency), "sold-1")
        # The files as a killed till leaves them: its last commits in the log, not yet in the file.
        assert (tmp_path / "live" / "pos.sqlite3-wal").stat().st_size > 0
        folder.mkdir()
        for name in ("pos.sqlite3", "pos.sqlite3-wal", "audit-head"):
            shutil.copyfile(tmp_path / "live" / name, folder / name)
    finally:
        office.close()
    line = _doctor_line_read_only(tmpfs, folder)
    assert "cannot be read where it is" in line and "pos.sqlite3-wal" in line and "Copy the whole folder" in line
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    done = run_pos(["--data-dir", copy, "doctor"])
    assert done.returncode == 0 and "checked in full: it is sound" in done.stdout, done.stderr


def test_pos_doctor_on_a_read_only_database_file_in_a_writable_folder(tmp_path):
    folder = tmp_path / "till"
    _till(folder)
    db = folder / "pos.sqlite3"
    mounted = subprocess.run(["mount", "--bind", str(db), str(db)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot bind-mount here (needs root): {mounted.stderr.strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(db)], check=True)
        line = _doctor_line(folder)
    finally:
        subprocess.run(["umount", "-l", str(db)], check=False)
    assert "checked in full: it is sound" in line and f"the till cannot sell from {folder}" in line, line


def test_pos_doctor_on_a_writable_till_leaves_nothing_beside_it(tmp_path):
    """A guard: read in place (mode=ro) only where the folder cannot be written. A mode=ro connection
    cannot tidy the log away on its close: on a writable folder it left an empty -wal and -shm."""
    folder = tmp_path / "till"
    _till(folder)
    before = _files(folder)
    done = run_pos(["--data-dir", folder, "doctor"])
    assert done.returncode == 0 and "checked in full: it is sound" in done.stdout, done.stderr
    assert _files(folder) == before


def test_pos_doctor_after_a_kill_on_a_writable_folder_puts_the_log_into_the_file_and_says_so(tmp_path):
    """Hostile k2, left over: the doctor's docstring said "nothing written", its help nothing, yet on
    a writable folder after a kill its close puts the log's pages into the file and removes the log
    (as SQLite's last connection does; a mode=ro reader would leave an empty -wal and -shm, the guard
    above). The words are made true: no record written, the log's committed pages moved into the file,
    as the till's next start would; nothing of the till's records is lost."""
    live, folder = tmp_path / "live", tmp_path / "till"
    office = open_back_office(live)
    try:
        office.gift_cards.issue(Money(2000, office.settings.currency), "sold-1")
        # The files as a killed till leaves them: its last commits in the log, not yet in the file.
        assert (live / "pos.sqlite3-wal").stat().st_size > 0
        folder.mkdir()
        for name in ("pos.sqlite3", "pos.sqlite3-wal", "audit-head"):
            shutil.copyfile(live / name, folder / name)
    finally:
        office.close()
    done = run_pos(["--data-dir", folder, "doctor"])
    assert done.returncode == 0 and "checked in full: it is sound" in done.stdout, done.stderr
    assert not (folder / "pos.sqlite3-wal").exists()  # the log's pages are in the file now
    copy = open_back_office(folder)
    try:
        assert len(copy.gift_cards.cards()) == 1 and copy.audit.verify() is None
    finally:
        copy.close()
    for words in (run_pos(["doctor", "--help"]).stdout, run_pos(["--help"]).stdout):
        flat = " ".join(words.split())
        assert "it writes no record; after a till was killed, its write-ahead log is put into the file" in flat


def test_a_damaged_file_on_a_read_only_drive_is_told_to_copy_the_folder_first(tmpfs):  # noqa: F811
    """Hostile k2, left over: a damaged file on a read-only drive was told to "rename the whole
    folder", which cannot be done there. Now the advice says to copy the folder to a drive that can
    be written first (one line, exit 1); on a writable folder the advice is as before."""
    folder = tmpfs / "till"
    _till(folder)
    (folder / "pos.sqlite3").write_bytes(b"not a database at all, " * 200)
    line = _doctor_line_read_only(tmpfs, folder)
    assert "is damaged (it is not a SQLite database)" in line, line
    assert f"first copy the whole folder {folder} to a drive that can be written" in line, line
    assert "rename the whole folder" not in line, line
    line = _doctor_line(folder)  # writable again: renaming it there is the advice
    assert f"rename the whole folder {folder}" in line and "first copy" not in line, line
