"""The till's SQLite layouts on Alembic: every older layout migrates, and head is what the classes say.

tests/fixtures/layouts/layoutN/ is a data folder written by the till of layout N itself (the last
commit before layout N+1, its own code and sandbox: two card sales, 3.00 of the first refunded, a Z,
one sale after it; layouts 8 to 11 with their audit head). Real files, the CLI as a subprocess.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from pos.adapters.db import schema
from pos.adapters.db.storage import SCHEMA_VERSION, VERSION_TABLE, head_revision, open_engine
from pos.app import open_back_office
from pos.services.receipts import ReceiptQuery
from tests.cli.test_cli import pos

LAYOUTS = Path(__file__).parents[1] / "fixtures" / "layouts"


def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("layout", range(1, 12))
def test_each_older_layout_migrates_verifies_and_reports_what_it_held(tmp_path, layout):
    data = tmp_path / "till"
    shutil.copytree(LAYOUTS / f"layout{layout}", data)
    db = data / "pos.sqlite3"
    assert rows(db, "PRAGMA user_version") == [(layout,)]
    receipts = rows(db, "SELECT receipt_no, total_minor, tax_minor, refunded_minor FROM receipts ORDER BY id")
    refunds = rows(db, "SELECT refund_no, amount_minor, state FROM refunds ORDER BY id")
    (z_figures,) = rows(db, "SELECT figures FROM z_reports")[0]
    day = datetime.fromisoformat(rows(db, "SELECT min(created_at) FROM receipts")[0][0]).date()

    done = pos("--data-dir", str(data), "audit", "verify")  # the first open migrates the file
    assert done.returncode == 0, done.stdout + done.stderr

    assert rows(db, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert rows(db, f"SELECT version_num FROM {VERSION_TABLE}") == [(head_revision(),)]  # noqa: S608
    assert rows(db, "PRAGMA foreign_key_check") == []
    assert rows(db, "SELECT receipt_no, total_minor, tax_minor, refunded_minor FROM receipts ORDER BY id") == receipts
    assert rows(db, "SELECT refund_no, amount_minor, state FROM refunds ORDER BY id") == refunds
    assert rows(db, "SELECT figures FROM z_reports") == [(z_figures,)]  # the Z as printed, untouched
    if layout < 11:
        assert "audit_baseline" in {k for (k,) in rows(db, "SELECT kind FROM audit_events")}
    # Every sale was paid by card before layout 7: each has its card as its one tender.
    assert rows(db, "SELECT count(*), sum(amount_minor) FROM tenders WHERE kind = 'card'") == [
        (len(receipts), sum(r[1] for r in receipts))
    ]

    report = pos("--data-dir", str(data), "report", "--date", day.isoformat(), "--format", "json")
    assert report.returncode == 0, report.stderr
    figures = json.loads(report.stdout)
    assert (figures["sales_count"], figures["gross_minor"]) == (len(receipts), sum(r[1] for r in receipts))
    assert (figures["refunds_count"], figures["refunds_minor"]) == (1, 300)
    assert figures["net_minor"] == sum(r[1] for r in receipts) - 300
    z = json.loads(z_figures)
    office = open_back_office(data)
    try:
        x = office.reports.x_report()  # the Z closed the first two sales; the third is still open
        assert (x.sales_count, x.gross_minor) == (1, sum(r[1] for r in receipts) - z["gross_minor"])
        read = [office.receipts.receipt(r.id) for r in office.receipts.page(ReceiptQuery("all"))]
        assert [(r.receipt_no, r.total.minor, len(r.tenders)) for r in read] == [
            (no, total, 1) for no, total, _tax, _refunded in reversed(receipts)
        ]
    finally:
        office.close()
    # The till opens it again without migrating anything (it is at head).
    assert pos("--data-dir", str(data), "audit", "verify").returncode == 0


def test_a_new_file_at_head_is_what_the_tables_in_schema_py_describe(tmp_path):
    """A revision someone forgot (a table changed, no revision) or a revision that differs from the
    table shows here: the migrated file and schema.py's metadata must have the same tables, columns,
    indexes and constraints."""
    engine = open_engine(tmp_path / "till")
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "include_object": lambda obj, name, type_, reflected, compare_to: (
                        not (type_ == "table" and (name.startswith("products_fts") or name == VERSION_TABLE))
                    ),
                },
            )
            assert compare_metadata(context, schema.metadata) == []
    finally:
        engine.dispose()


def test_an_upgrade_that_fails_leaves_the_file_as_it_was(tmp_path):
    """Every revision runs in one transaction: a layout-6 file whose refund lost its receipt fails the
    foreign key check after the receipts rebuild, and nothing of the upgrade stays (no version
    table, the old layout number, the old receipts table), so the next till can still read it."""
    data = tmp_path / "till"
    shutil.copytree(LAYOUTS / "layout6", data)
    db = data / "pos.sqlite3"
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE refunds SET receipt_id = 99")
    conn.close()
    done = pos("--data-dir", str(data), "audit", "verify")
    assert done.returncode != 0 and done.stderr.count("\n") == 1, done.stderr
    assert "do not hold together" in done.stderr and "Traceback" not in done.stderr
    assert rows(db, "PRAGMA user_version") == [(6,)]
    assert rows(db, f"SELECT name FROM sqlite_master WHERE name IN ('{VERSION_TABLE}', 'tenders')") == []
    assert "cash_minor" not in {row[1] for row in rows(db, "PRAGMA table_info(receipts)")}


def test_every_table_is_named_for_core():
    """docs/architecture.md, "Changing the till's tables": every table on schema.py's metadata is named
    at module level, for Core statements to import."""
    from sqlalchemy import Table

    named = {value.name for value in vars(schema).values() if isinstance(value, Table)}
    assert set(schema.metadata.tables) - named == set()


# Each child waits until every child is ready, then opens the folder (what a till and a CLI command
# started at once after an update do): the barrier is files, polled, so they start together.
_OPEN_AT_ONCE = """
import sys, time
from pathlib import Path
data, ready, go = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
ready.touch()
while not go.exists():
    time.sleep(0.001)
from pos.adapters.db.storage import open_engine
from pos.domain.errors import PosError
try:
    open_engine(data).dispose()
except PosError as exc:
    print(exc)
    sys.exit(1)
"""


@pytest.mark.parametrize("layout", [6, 11])
def test_processes_opening_an_older_file_at_once_all_open_it_and_it_is_migrated_once(tmp_path, layout):
    """Found by xb: of three processes opening an older file at once, the others failed "busy (another
    program holds it)" (the upgrade's read turned into a write in a deferred transaction, which SQLite
    refuses at once rather than waiting) or "cannot write its audit trail's head file" (all wrote one
    temporary file name and renamed it from under each other). Now the upgrade takes the write lock
    first, so the others wait, then find the file at head."""
    import subprocess
    import sys
    import time

    data = tmp_path / "till"
    shutil.copytree(LAYOUTS / f"layout{layout}", data)
    go = tmp_path / "go"
    children = []
    for n in range(3):
        ready = tmp_path / f"ready{n}"
        children.append(
            (
                ready,
                subprocess.Popen(  # noqa: S603 - this interpreter, fixed code
                    [sys.executable, "-c", _OPEN_AT_ONCE, str(data), str(ready), str(go)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    cwd=Path(__file__).parents[2],
                ),
            )
        )
    deadline = time.monotonic() + 60
    while not all(ready.exists() for ready, _ in children) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    said = [(child.wait(timeout=120), child.stdout.read()) for _, child in children]  # type: ignore[union-attr]
    assert said == [(0, "")] * 3
    db = data / "pos.sqlite3"
    assert rows(db, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert rows(db, f"SELECT version_num FROM {VERSION_TABLE}") == [(head_revision(),)]  # noqa: S608
    if layout < 11:
        assert rows(db, "SELECT count(*) FROM audit_events WHERE kind = 'audit_baseline'") == [(1,)]
    done = pos("--data-dir", str(data), "audit", "verify")
    assert done.returncode == 0, done.stdout + done.stderr
