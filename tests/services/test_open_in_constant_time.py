"""Open in constant time (issue 27 item 2).

SQLite's full quick_check reads the whole file: 1.6 s at 1,000,000 receipts, paid by every start and
every `pos` command. Now a clean close deletes the process's open-session row; a start that finds no
row left by a gone process checks the header, the layout and a committed write only, and the full
check runs after an unclean end (here: a real `pos` process killed with SIGKILL), in the background,
and on `pos doctor`. What ran is observed in the log the open writes, never by timing.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text


from pos.adapters.db import storage
from pos.adapters.db.storage import close_engine, open_engine
from pos.adapters.db.errors import StorageUnavailable
from pos.services.storage_watch import StorageWatch, verdict
from tests.helpers.cli import run_pos
from tests.helpers.folders import new_till_folder

ROOT = Path(__file__).resolve().parents[2]
FULL = "storage: full check of"
QUICK = "closed cleanly: header, layout and a test write only"


def opened(data_dir: Path, caplog) -> str:
    """Open and close the till's file as a start does; what the open logged about its checks."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="pos.adapters.db.storage"):
        close_engine(open_engine(data_dir))
    return "\n".join(r.getMessage() for r in caplog.records if r.getMessage().startswith("storage:"))


def sessions_in(data_dir: Path) -> int:
    engine = create_engine(f"sqlite:///{data_dir / storage.DB_FILE}")
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM till_sessions")).scalar() or 0)
    finally:
        engine.dispose()


def holding_pos(data_dir: Path) -> subprocess.Popen:
    """A real `pos` process with the till's file open: `cashiers add` waits for the PIN on stdin."""
    before = sessions_in(data_dir)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pos", "--data-dir", str(data_dir), "cashiers", "add", "Ann", "--role", "owner"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    deadline = time.monotonic() + 120
    while sessions_in(data_dir) <= before:  # its open has committed its session row
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "the pos process did not open the till's file"
        time.sleep(0.02)
    return proc


@pytest.fixture
def till(tmp_path, migrated_folder):
    return new_till_folder(migrated_folder, tmp_path / "till")


def test_a_start_after_a_clean_close_skips_the_full_check(till, caplog):
    assert QUICK in opened(till, caplog)
    assert FULL not in opened(till, caplog)
    assert sessions_in(till) == 0


def test_a_pos_process_killed_leaves_its_session_and_the_next_start_checks_the_whole_file(till, caplog):
    proc = holding_pos(till)
    try:
        # While it is open, another process (a CLI command beside the window) opens without the full check.
        assert FULL not in opened(till, caplog)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert sessions_in(till) == 1  # the killed process's row stays
    said = opened(till, caplog)
    assert FULL in said and "did not close it): ok" in said
    assert sessions_in(till) == 0  # checked in full: its row is cleared
    assert FULL not in opened(till, caplog)  # and the start after that is quick again


def test_a_pos_process_that_ends_cleanly_leaves_nothing_to_check(till, caplog):
    proc = holding_pos(till)
    out, err = proc.communicate("12345678\n12345678\n", timeout=120)
    assert proc.returncode == 0, err
    assert sessions_in(till) == 0
    assert FULL not in opened(till, caplog)


def test_an_engine_disposed_without_closing_counts_as_unclean(till, caplog):
    open_engine(till).dispose()  # a failed start in this process: no clean close
    assert FULL in opened(till, caplog)


def test_a_second_open_in_one_process_beside_an_open_engine_is_quick(till, caplog):
    first = open_engine(till)
    try:
        assert FULL not in opened(till, caplog)  # the first engine's row stands for an open engine
    finally:
        first.dispose()
    assert FULL in opened(till, caplog)  # disposed without closing: its row was left behind


def corrupt_a_table(data_dir: Path, table: str = "z_reports") -> None:
    """Garbage over one table's page (one nothing reads at a start), as a disk going bad leaves it."""
    engine = create_engine(f"sqlite:///{data_dir / storage.DB_FILE}")
    with engine.connect() as conn:
        page = conn.execute(text("SELECT rootpage FROM sqlite_master WHERE name = :t"), {"t": table}).scalar()
        size = conn.execute(text("PRAGMA page_size")).scalar()
    engine.dispose()
    assert page and size
    with open(data_dir / storage.DB_FILE, "r+b") as handle:
        handle.seek((page - 1) * size)
        handle.write(b"\xff" * size)


def test_damage_while_the_till_was_off_is_found_by_pos_doctor(till, caplog):
    corrupt_a_table(till)
    assert FULL not in opened(till, caplog)  # a clean close: the start reads the header, not the whole file
    done = run_pos(["--data-dir", str(till), "doctor"])
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: The till's database is damaged"), done.stderr
    assert "Traceback" not in done.stderr


def test_pos_doctor_on_a_sound_till(till):
    done = run_pos(["--data-dir", str(till), "doctor"])
    assert done.returncode == 0, done.stderr
    assert "checked in full: it is sound" in done.stdout


def test_the_full_check_finds_a_damaged_page_on_its_own_connection(till):
    engine = open_engine(till)
    try:
        assert storage.full_check(engine) is None
        corrupt_a_table(till)
        problem = storage.full_check(engine)
        assert problem is not None and ("Page" in problem or "malformed" in problem), problem
    finally:
        close_engine(engine)


def test_a_truncated_file_is_refused_from_its_header_alone(till):
    path = till / storage.DB_FILE
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size - 4096)
    with pytest.raises(StorageUnavailable, match="shorter than its header says"):
        open_engine(till)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_background_check_runs_after_the_start_then_daily():
    clock, found = Clock(), iter([None, "Page 7: btreeInitPage() returns error code 11"])
    watch = StorageWatch(lambda: next(found), first_after_s=900, every_s=86400, clock=clock)
    assert watch.next_in() == 900
    clock.now += 900
    assert watch.next_in() == 0
    assert watch.run().sound and watch.next_in() == 86400
    clock.now += 86400
    damaged = watch.run()
    assert not damaged.sound and "damaged" in damaged.text and "Page 7" in damaged.text
    assert watch.last == damaged


def test_the_verdict_is_one_line_in_the_cashiers_words():
    said = verdict("row 12 missing from index\nsqlite_autoindex_x\n" + "x" * 300).text
    assert "\n" not in said and said.startswith("The till's database is damaged")
    assert "restore the last backup" in said
    assert verdict(None).sound


# Everything of the till a `pos report` at head imports (pos/reading.py's wiring): the open and its
# checks, the settings, the reports. Anything more is a module the command pays for at every run.
REPORT_IMPORTS = {
    "pos",
    "pos.adapters",
    "pos.adapters.db",
    "pos.adapters.db.core",
    "pos.adapters.db.days",
    "pos.adapters.db.errors",
    "pos.adapters.db.raw",
    "pos.adapters.db.reports",
    "pos.adapters.db.schema",
    "pos.adapters.db.sessions",
    "pos.adapters.db.settings",
    "pos.adapters.db.storage",
    "pos.adapters.logs",
    "pos.adapters.shop",  # its __init__ alone: the name of the address's environment variable
    "pos.cli",
    "pos.domain",
    "pos.domain.appearance",
    "pos.domain.barcodes",
    "pos.domain.cash",
    "pos.domain.catalog",
    "pos.domain.currency",
    "pos.domain.errors",
    "pos.domain.giftcards",  # the gift card expiry setting's bound (services/settings checks every setting it reads)
    "pos.domain.money",
    "pos.domain.printer_setup",
    "pos.domain.redaction",
    "pos.domain.report",
    "pos.domain.staff",
    "pos.domain.tax",
    "pos.domain.tender",
    "pos.domain.text",
    "pos.paths",
    "pos.reading",
    "pos.services",
    "pos.services.reports",
    "pos.services.settings",
    "pos.services.storage_error",
    "pos.window_cli",  # the options before a command (the window's own), which the full parser starts from
}


def test_pos_report_at_head_imports_only_what_a_report_reads(till):
    """Of a `pos` command's ~1 s start, Alembic's import was ~0.3 s (asked which revision is head),
    stripe's ~0.3 s (imported by pos.app for the selling context), and SQLModel with pydantic and the
    ORM, the 26 table classes, pos.app's back office (catalog, journal, audit trail, gift cards, stock)
    and the sale machinery behind StorageError ~0.3 s more (issue 27 item 2, ninth session): a report
    needs none of them. Its imports are listed, so none creeps back unseen: of the third-party
    packages only SQLAlchemy's Core and Babel (the report's words), of the till only REPORT_IMPORTS."""
    code = (
        "import json, sys, sysconfig; from pos.cli import main;"
        f"code = main(['--data-dir', {str(till)!r}, 'report', '--date', '2026-12-06']);"
        "site = sysconfig.get_paths()['purelib'];"
        "third = {m.split('.')[0] for m, mod in list(sys.modules.items())"
        " if (getattr(mod, '__file__', None) or '').startswith(site)};"
        "ours = {m for m in sys.modules if m == 'pos' or m.startswith('pos.')};"
        "orm = sorted(m for m in sys.modules if m.startswith('sqlalchemy.orm'));"
        "print(json.dumps([code, sorted(third), orm, sorted(ours)]), file=sys.stderr)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)
    status, third, orm, ours = json.loads(done.stderr.strip().splitlines()[-1])
    assert status == 0, done.stderr
    # Setuptools' hooks (the editable install's finder, distutils') are the interpreter's, not the command's.
    third_party = {name for name in third if not name.startswith(("__editable__", "_distutils_hack"))}
    assert third_party <= {"sqlalchemy", "babel", "typing_extensions"}, third_party
    assert orm == []  # SQLAlchemy's ORM: the tables are Core (schema.py)
    assert set(ours) - REPORT_IMPORTS == set()


def test_the_revisions_read_from_the_scripts_are_alembics():
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(storage.MIGRATIONS))
    assert storage.head_revision() == scripts.get_current_head()
    assert storage.known_revisions() == {script.revision: script.down_revision for script in scripts.walk_revisions()}


@pytest.mark.parametrize("address", ["mysql://shop@host/shop", "postgresql://shop:secret@host/shop"])
def test_pos_report_refuses_a_shop_address_it_cannot_use_as_every_door_does(till, address):
    """`pos report` reads this till's own day and never reaches the shop (pos/reading.py), but a shop
    address it could not use is still refused in one line, as the back office's commands refuse it,
    before the till's file is opened (so nothing is left for the next start to check)."""
    done = run_pos(["--data-dir", str(till), "--shop-db", address, "report", "--date", "2026-12-06"])
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "secret" not in done.stderr
    assert sessions_in(till) == 0


def quick_checks_run(action) -> int:
    """How many times SQLite's full check ran (on any engine, its own connections too) during action."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if "quick_check" in statement:
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    return len(seen)


def test_pos_doctor_after_an_unclean_end_reads_the_whole_file_once_and_says_it_once(till, capsys):
    """After an unclean end the open runs the full check before anything else; `pos doctor` then ran
    its own, the same check again (1.1 s of CPU each at 1,000,000 receipts). Once is enough: the
    open's result is the doctor's, said once."""
    from pos.cli import main

    open_engine(till).dispose()  # no clean close: the next open checks the whole file
    capsys.readouterr()
    codes: list[int] = []
    assert quick_checks_run(lambda: codes.append(main(["--data-dir", str(till), "doctor"]))) == 1
    said = capsys.readouterr()
    assert codes == [0], said.err
    assert said.out.count("checked in full: it is sound") == 1 and said.err == ""
    # After a clean close the open reads the header only, so the doctor's own check is the one.
    close_engine(open_engine(till))
    assert quick_checks_run(lambda: codes.append(main(["--data-dir", str(till), "doctor"]))) == 1
    assert codes == [0, 0]


def test_a_background_check_that_could_not_run_is_tried_again_in_minutes_not_the_next_day(till, tmp_path):
    """The background check failed with an error that is no damage (here the data folder was moved
    away for a moment, as a busy or locked file also fails it): it found nothing either way, and
    was scheduled for the next day, leaving the file unchecked for a day. Now it is tried again in
    RETRY_S (minutes), and a day after a check that ran."""
    from pos.services.storage_watch import EVERY_S, RETRY_S

    engine = open_engine(till)
    clock = Clock()
    watch = StorageWatch(lambda: storage.full_check(engine), first_after_s=0, clock=clock)
    away = tmp_path / "away"
    try:
        till.rename(away)
        with pytest.raises(StorageUnavailable):
            watch.run()
        assert watch.next_in() == RETRY_S < 3600 and watch.last is None
        away.rename(till)
        clock.now += RETRY_S
        assert watch.next_in() == 0
        assert watch.run().sound and watch.next_in() == EVERY_S
    finally:
        if away.exists():
            away.rename(till)
        close_engine(engine)
