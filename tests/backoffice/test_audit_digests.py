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
        if "record" in written:  # the record's digest, as today's code computes it in the event's form
            assert audit.covering(conn, written["record"], written["id"], written["form"]) == written
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


@pytest.mark.parametrize(
    "statement, finding",
    [
        # Which card paid a part (a gift card's code's last four, a bank card's): a refund goes by it.
        ("UPDATE tenders SET card_last4 = '0000'", "the receipt it records"),
        # When the card was sold, and the day from which it cannot be spent.
        ("UPDATE gift_cards SET issued_at = '2020-01-01T00:00:00+00:00'", "gift_card_entry it records"),
        ("UPDATE gift_cards SET expires_on = '2099-01-01'", "gift_card_entry it records"),
    ],
)
def test_form_4_digests_what_a_records_meaning_depends_on(tmp_path, sandbox, api_key, monkeypatch, statement, finding):
    """Issue 24/28 leftover: a tender's card_last4 and a gift card's issued_at (and now expires_on)
    were outside every digest, so an insider could change which card a part was paid by, or when a
    card was sold, unseen. Events written from now on digest them (form 4); the trail written in forms
    1-3 above still verifies as it was written."""
    from pos.app import build_context
    from pos.domain.catalog import Product
    from pos.domain.money import Money
    from pos.services.outcomes import Paid

    monkeypatch.setenv("POS_STRIPE_API_KEY", api_key)
    data = tmp_path / "till"
    context = build_context(data, stripe_base_url=sandbox.url)
    try:
        context.store_settings.change("gift_card_expiry_months", "12")
        card = context.gift_cards.issue(Money(5000, "SGD"), "sold-1")
        cake = context.catalog.save(Product("CAKE", "Cake", "Food", Money(4500, "SGD"), 900))
        context.till.cart.add(cake, 1)
        assert isinstance(context.till.pay_gift_card(card.code), Paid)
        assert context.audit.verify() is None
    finally:
        context.close()
    conn = sqlite3.connect(data / "pos.sqlite3")
    try:
        assert conn.execute("SELECT card_last4 FROM tenders").fetchall() == [(card.code[-4:],)]
        conn.execute(statement)
        conn.commit()
    finally:
        conn.close()
    engine = open_engine(data)
    try:
        broken = AuditRepo(engine, data).verify()
    finally:
        engine.dispose()
    assert broken is not None and finding in str(broken), broken
