"""Hostile checks of the constant-time open (issue 27 item 2, helper h4).

Each test here failed on the code before its fix."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pos.adapters.db import storage

# Ways a formatter or a hand may write the same two assignments: black/ruff wrap a long one in
# parentheses, an editor may split it with a backslash, a string may carry a prefix, two may share
# a line. Alembic reads them all (it imports the module); the till must read them the same.
_REFORMATS = {
    "parenthesised": lambda name, value: f"{name}: str = (\n    {value!r}\n)",
    "backslash": lambda name, value: f"{name} = \\\n    {value!r}",
    "raw string": lambda name, value: f"{name} = r{value!r}",
    "one line": None,  # revision and down_revision on one line, with a semicolon
}


def _reformat(versions: Path, how: str) -> None:
    assignment = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(\"[^\"]*\"|None)\s*$", re.M)
    for script in versions.glob("0*.py"):
        source = script.read_text("utf-8")
        found = dict((m.group(1), eval(m.group(2))) for m in assignment.finditer(source))  # noqa: S307  # our own literals
        source = assignment.sub("", source)
        revision, down = found["revision"], found["down_revision"]
        if how == "one line":
            lines = f"revision = {revision!r}; down_revision = {down!r}"
        else:
            write = _REFORMATS[how]
            assert write is not None
            second = write("down_revision", down) if down else "down_revision = None"
            lines = write("revision", revision) + "\n" + second
        script.write_text(source + "\n" + lines + "\n", "utf-8")


@pytest.mark.parametrize("how", sorted(_REFORMATS))
def test_revision_files_reformatted_are_read_as_alembic_reads_them(tmp_path, monkeypatch, how):
    """A revision file whose lines were reformatted (valid Python, the same values) was missed by the
    line pattern: its revision dropped out (the head read as the one before it, so a file at head was
    refused as a newer till's) or its down_revision read None (two heads: an AssertionError traceback
    at every `pos` command)."""
    from alembic.script import ScriptDirectory

    migrations = tmp_path / "migrations"
    shutil.copytree(storage.MIGRATIONS, migrations, ignore=shutil.ignore_patterns("__pycache__"))
    _reformat(migrations / "versions", how)
    scripts = ScriptDirectory(str(migrations))
    expected = {script.revision: script.down_revision for script in scripts.walk_revisions()}
    assert len(expected) >= 11  # Alembic still reads every revision from the reformatted files

    monkeypatch.setattr(storage, "MIGRATIONS", migrations)
    storage.known_revisions.cache_clear()
    try:
        assert storage.known_revisions() == expected
        assert storage.head_revision() == scripts.get_current_head()
    finally:
        storage.known_revisions.cache_clear()


def _corrupt_z_reports(data_dir: Path) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{data_dir / storage.DB_FILE}")
    with engine.connect() as conn:
        page = conn.execute(text("SELECT rootpage FROM sqlite_master WHERE name = 'z_reports'")).scalar()
        size = conn.execute(text("PRAGMA page_size")).scalar()
    engine.dispose()
    assert page and size
    with open(data_dir / storage.DB_FILE, "r+b") as handle:
        handle.seek((page - 1) * size)
        handle.write(b"\xff" * size)  # a table nothing reads at a start, as a disk going bad leaves it


def test_damage_the_background_check_found_is_not_forgotten_at_the_next_start(tmp_path, migrated_folder):
    """The window's background check finds a damaged page and tells the cashier to stop taking
    payments. The cashier quits (a clean close) and starts again: the start after a clean close reads
    the header only, so the till opened as sound and sold on the damaged file until the next
    background check, 15 minutes later. Damage found keeps the session row, so the next start checks
    the whole file and refuses it in one line."""
    from pos.adapters.db.errors import StorageUnavailable
    from pos.adapters.db.storage import close_engine, full_check, open_engine
    from tests.helpers.folders import new_till_folder

    till = new_till_folder(migrated_folder, tmp_path / "till")
    engine = open_engine(till)
    _corrupt_z_reports(till)
    assert full_check(engine) is not None  # the background check found it (and the window said so)
    close_engine(engine)  # the cashier quits cleanly
    with pytest.raises(StorageUnavailable, match="is damaged"):
        close_engine(open_engine(till))


def _sessions(data_dir: Path) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{data_dir / storage.DB_FILE}")
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(text("SELECT process FROM till_sessions ORDER BY process"))]
    finally:
        engine.dispose()


def _leave_session(data_dir: Path, process: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{data_dir / storage.DB_FILE}")
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO till_sessions (id, process, opened_at) VALUES (:id, :p, '2026-12-06T00:00:00')"),
                {"id": process.replace("|", "-"), "p": process},
            )
    finally:
        engine.dispose()


def test_a_container_beside_this_one_keeps_its_session_row(tmp_path, migrated_folder, caplog):
    """Two containers of one machine (one kernel: the same boot id, their own host names and pid
    namespaces) can share the till's folder, and SQLite's WAL works between them. A row of the other
    container's live process could not be asked about (its pid is in another namespace), so it
    counted as gone, was checked in full (right) and deleted (wrong): the other container killed
    afterwards left no row, and the next start opened quick on a file nobody had checked. Now such a
    row is checked in full and kept (slower, never less safe); a row of another boot (a reboot, or
    a file copied from another machine) is cleared as before."""
    import logging

    from pos.adapters.db import sessions
    from pos.adapters.db.storage import close_engine, open_engine
    from tests.helpers.folders import new_till_folder

    till = new_till_folder(migrated_folder, tmp_path / "till")
    host, boot = sessions._host_and_boot()
    beside = f"{host}-other-container|{boot}|7|4242"
    rebooted = f"{host}|not-{boot}|7|4242"
    _leave_session(till, beside)
    _leave_session(till, rebooted)
    with caplog.at_level(logging.INFO, logger="pos.adapters.db.storage"):
        close_engine(open_engine(till))
    assert any(r.getMessage().startswith("storage: full check of") for r in caplog.records)
    assert _sessions(till) == [beside]


def test_an_open_in_another_thread_just_after_this_one_committed_its_row_leaves_it(
    tmp_path, migrated_folder, monkeypatch
):
    """Two opens of the file in one process (a tool's second engine on another thread): the first
    committed its session row and only then marked it as held by a live engine, so a second open
    reading the rows in between took it for a disposed engine's row, checked in full and deleted
    it; the first engine then had no row, and its process killed later left nothing for the next
    start to check. The second open is run at exactly that moment here, from the hold itself."""
    from pos.adapters.db import sessions
    from pos.adapters.db.storage import close_engine, open_engine
    from tests.helpers.folders import new_till_folder

    till = new_till_folder(migrated_folder, tmp_path / "till")
    real_hold, done = sessions.hold, []

    def hold_with_an_open_beside(session_id: str) -> None:
        if not done:
            done.append(True)
            close_engine(open_engine(till))  # the other thread's open, at this moment
        real_hold(session_id)

    monkeypatch.setattr(sessions, "hold", hold_with_an_open_beside)
    first = open_engine(till)
    try:
        assert done and len(_sessions(till)) == 1  # the first engine's row is still there
    finally:
        close_engine(first)
    assert _sessions(till) == []


def test_a_cli_command_that_fails_with_one_line_still_closes_the_file_cleanly(tmp_path, migrated_folder):
    """`pos receipts export --output` into a folder that is not there: the command fails with one
    line (right), but it opened the till's file before the output and never closed it, so its
    session row stayed and the next start (or `pos report`) read the whole file as after a kill."""
    from tests.helpers.cli import run_pos
    from tests.helpers.folders import new_till_folder

    till = new_till_folder(migrated_folder, tmp_path / "till")
    done = run_pos(["--data-dir", str(till), "receipts", "export", "--output", str(tmp_path / "no-such" / "r.csv")])
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert _sessions(till) == []  # closed cleanly: the next start need not check the whole file


@pytest.mark.parametrize("address", ["mysql://x/y", "nonsense"])
def test_a_shop_address_refused_after_the_open_still_closes_the_file_cleanly(tmp_path, migrated_folder, address):
    """`--shop-db` (or POS_SHOP_DB) with an address the till cannot use: the command fails with one
    line, but the till's file had been opened before the address was read and the engine was left
    open, its session row with it: every such command made the next start read the whole file."""
    from tests.helpers.cli import run_pos
    from tests.helpers.folders import new_till_folder

    till = new_till_folder(migrated_folder, tmp_path / "till")
    done = run_pos(["--data-dir", str(till), "--shop-db", address, "sync"])
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert _sessions(till) == []


def test_a_damaged_page_a_save_meets_before_the_background_check_says_damaged_not_try_again(tmp_path, migrated_folder):
    """A page gone bad while the till was off after a clean close: the start reads the header only,
    and a save that reads that page before the background check (15 minutes on) got SQLite's
    "database disk image is malformed", said to the cashier as "could not save … Try again", which
    trying again never mends. Now it is said as the damage it is, in the full check's words."""
    from sqlalchemy import text

    from pos.adapters.db.errors import StorageError, storage_errors
    from pos.adapters.db.storage import close_engine, open_engine
    from tests.helpers.folders import new_till_folder

    till = new_till_folder(migrated_folder, tmp_path / "till")
    close_engine(open_engine(till))
    _corrupt_z_reports(till)
    engine = open_engine(till)  # a clean close before: the quick open, which does not read that page
    try:
        with pytest.raises(StorageError) as refused, storage_errors(), engine.begin() as conn:
            conn.execute(text("INSERT INTO z_reports SELECT * FROM z_reports"))  # a save that meets the page
    finally:
        engine.dispose()
    said = str(refused.value)
    assert "damaged" in said and "Try again" not in said, said
    assert "restore the last backup" in said


def test_a_pos_command_asked_to_stop_with_sigterm_closes_the_file_cleanly(tmp_path, migrated_folder):
    """SIGTERM is the polite stop (`kill`, systemd stopping a unit, `timeout`, a shutdown): Python's
    default for it ends the process on the spot, so a `pos` command stopped that way left its session
    row as a SIGKILL does and the next start read the whole file. The command now ends as after an
    error (its transactions rolled back, its file closed), exit 143, and the next start is quick."""
    import signal

    from tests.helpers.folders import new_till_folder
    from tests.services.test_open_in_constant_time import holding_pos

    till = new_till_folder(migrated_folder, tmp_path / "till")
    proc = holding_pos(till)  # a real `pos cashiers add`, the file open, waiting for the PIN
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
        _out, err = proc.communicate()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err, err
    assert _sessions(till) == []
