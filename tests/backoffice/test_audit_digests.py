"""The audit trail on SQLAlchemy Core (issue 24 item 5, decision 0010) digests every record as the
plain-sqlite3 code before it did: a trail that code wrote (tests/fixtures/trail, made by its
make_trail.py at the commit before the move) verifies with today's code, every record of every kind
digests, in every form, to what that code computed (digests.json), a new event's hash is what that
code wrote for the same input, and an edit a typed Boolean column would hide is still found.
Real SQLite files copied from the fixture; nothing mocked."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from pos.adapters.db import audit, core, raw
from pos.adapters.db.audit import AuditRepo
from pos.adapters.db.storage import open_engine

FIXTURE = Path(__file__).parent.parent / "fixtures" / "trail"


@pytest.fixture
def till(tmp_path) -> Path:
    data = tmp_path / "till"
    shutil.copytree(FIXTURE / "till", data)
    return data


@pytest.fixture
def engine(till):
    engine = open_engine(till)
    yield engine
    engine.dispose()


def test_a_trail_the_plain_sqlite3_code_wrote_verifies(engine, till):
    assert AuditRepo(engine, till).verify() is None


def test_every_record_digests_as_the_plain_sqlite3_code_did_in_every_form(engine):
    old = json.loads((FIXTURE / "digests.json").read_text())
    assert set(old["records"]) == set(audit._RECORDS)  # the fixture holds every kind of record
    with core.reading(engine) as conn:
        for kind, rows in old["records"].items():
            for row_id, forms in rows.items():
                for form, recorded in forms.items():
                    now = audit.digest(audit._RECORDS[kind](conn, int(row_id), int(form)))
                    assert now == recorded, (kind, row_id, form)
        for kind, recorded in old["covers_all"].items():
            assert audit.covers_all(conn, kind) == recorded, kind
            assert audit.covers(conn, kind, list(recorded))["covers"][kind] == recorded, kind


def test_a_new_event_is_sealed_with_the_hash_the_plain_sqlite3_code_gave_it(engine, monkeypatch):
    """The trail's last event (the Z's, a covering of the Z report) written again by today's code,
    at the same time by the same person, after taking it off: the same payload and the same hash."""
    with core.reading(engine) as conn:
        last = conn.execute(audit._ALL_EVENTS.order_by(None).order_by(audit._EVENTS.c.id.desc()).limit(1)).one()
    assert last.kind == "z_closed" or json.loads(last.payload).get("record"), last.kind
    written = json.loads(last.payload)
    with core.writing(engine) as conn:
        conn.execute(audit._EVENTS.delete().where(audit._EVENTS.c.id == last.id))
        monkeypatch.setattr(raw, "clock", lambda: raw.parse_iso(last.at))
        if "record" in written:  # the record's digest, as today's code computes it
            assert audit.covering(conn, written["record"], written["id"]) == written
        again = audit.append(
            conn, last.till_id, last.kind, last.subject, written, approved_by=last.approved_by, actor=last.actor
        )
    assert (again.seq, again.payload, again.prev_hash, again.hash) == (last.id, last.payload, last.prev_hash, last.hash)


@pytest.mark.parametrize(
    "statement, finding",
    [
        # Booleans on file as sqlite3 stores them (0/1): a typed Core read would see 2 as True, as 1.
        ("UPDATE drawer_openings SET opened = 2", "drawer_opening"),
        ("UPDATE products SET active = 2 WHERE sku = 'TEA'", "product 1 was changed"),
        ("UPDATE stock_items SET track_stock = 2 WHERE product_id = 2", "stock_item 2 was changed"),
        ("UPDATE refunds SET cash_for_card = 1", "refund"),
    ],
)
def test_an_edit_that_only_a_column_read_as_stored_shows_is_found(engine, till, statement, finding):
    conn = sqlite3.connect(till / "pos.sqlite3")
    try:
        conn.execute(statement)
        conn.commit()
    finally:
        conn.close()
    broken = AuditRepo(engine, till).verify()
    assert broken is not None and finding in str(broken), broken
