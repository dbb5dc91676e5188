"""The payment path's statements compiled once and run on the driver's cursor (adapters/db/compiled.py,
issue 27): each sends the SQL and parameters SQLAlchemy's Connection.execute would send for the same
statement and values, and reads back the same rows; a driver error is raised as SQLAlchemy raises it,
so the cashier's words for it are the same. The app's own wiring over the sandbox, a real SQLite file;
every statement the helper ran in a card, a cash and a split sale is replayed through Core."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError, StatementError

from pos.adapters.db import compiled as cx
from pos.adapters.db import core, journal, schema
from pos.adapters.db.errors import StorageError, storage_errors
from pos.app import build_context
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.services.checkout import Paid


@pytest.fixture
def context(tmp_path, sandbox, api_key):
    sandbox.faults.clear()
    ctx = build_context(tmp_path / "till", stripe_base_url=sandbox.url, api_key=api_key)
    ctx.latte = ctx.catalog.save(
        Product(sku="L", name="Latte", category="Coffee", price=Money(580, "SGD"), tax_rate_bp=900, barcode="1")
    )
    yield ctx
    ctx.close()


class _Stop(Exception):
    """Raised by the listener once it has seen what Core would send: the statement is not run."""


def _core_sends(engine, statement, values) -> tuple[str, tuple]:
    """What Connection.execute sends to the driver for `statement` with `values` (not run)."""
    seen: list[tuple[str, tuple]] = []

    def before(_conn, _cursor, sql, params, _context, _many) -> None:
        if sql.startswith("BEGIN"):
            return
        seen.append((sql, tuple(params)))
        raise _Stop

    event.listen(engine, "before_cursor_execute", before)
    try:
        with engine.connect() as conn:
            with pytest.raises(_Stop):
                conn.execute(statement, values)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return seen[0]


def _sales(context) -> None:
    till = context.till
    for pay in (
        lambda t: t.pay("pm_card_visa"),
        lambda t: t.pay_cash(Money(1000, "SGD")),
        lambda t: (t.pay_cash(Money(300, "SGD")), t.pay_card(t.amount_due(), "pm_card_visa"))[-1],
    ):
        till.new_sale()
        till.cart.add(context.latte)
        assert isinstance(pay(till), Paid)


def test_every_statement_run_on_the_cursor_is_what_core_would_send(context, monkeypatch):
    ran: list[tuple[cx.Statement, dict]] = []
    of = cx.Statement.of

    def recorded(self, values):
        ran.append((self, dict(values)))
        return of(self, values)

    monkeypatch.setattr(cx.Statement, "of", recorded)
    _sales(context)
    monkeypatch.undo()
    assert len({id(s) for s, _v in ran}) >= 12, "the payment path runs its statements through compiled.py"
    engine = context._engine  # the till's own file
    for statement, values in ran:
        done = statement.of(values)
        sql, params = _core_sends(engine, statement.statement, values)
        assert done.sql == sql
        assert tuple(cx._values(done, values)) == params, sql
        if sql.startswith("SELECT"):  # a read: the same rows, the same values in them
            with engine.connect() as conn:
                ours = cx.mappings(conn, statement, values)
                theirs = [dict(r) for r in conn.execute(statement.statement, values).mappings()]
            assert ours == theirs, sql
            assert [[type(v) for v in r.values()] for r in ours] == [[type(v) for v in r.values()] for r in theirs]


def test_an_insert_fills_the_column_defaults_core_would(context):
    # sale_lines.line_discount_minor has a Python-side default (0): a row that does not name it gets
    # it, as Core's insert would give it.
    statement = cx.Statement(schema.sale_lines.insert())
    row = {
        "sale_id": 1,
        "line_no": 1,
        "sku": "L",
        "name": "Latte",
        "quantity": 1,
        "unit_price_minor": 580,
        "tax_rate_bp": 900,
        "net_minor": 532,
        "tax_minor": 48,
        "gross_minor": 580,
    }
    done = statement.of(row)
    sql, params = _core_sends(context._engine, statement.statement, row)
    assert done.sql == sql and tuple(cx._values(done, row)) == params
    assert dict(zip(done.order, params, strict=True))["line_discount_minor"] == 0


def test_a_driver_error_is_raised_as_core_raises_it(context):
    # A second sale with the same key breaks sales.sale_key's unique constraint: the same IntegrityError
    # class as Connection.execute raises (its parameters hidden), and the same cashier's words.
    engine = context._engine
    with engine.connect() as conn:
        taken = conn.execute(select(schema.sales)).mappings().first()
    if taken is None:
        _sales(context)
        with engine.connect() as conn:
            taken = conn.execute(select(schema.sales)).mappings().first()
    row = {k: v for k, v in dict(taken).items() if k != "id"}
    statement = cx.Statement(schema.sales.insert())
    with core.writing(engine) as db:
        with pytest.raises(IntegrityError) as ours:
            cx.execute(db, statement, row)
    with core.writing(engine) as db:
        with pytest.raises(IntegrityError) as theirs:
            db.execute(statement.statement, row)
    assert type(ours.value) is type(theirs.value)
    assert isinstance(ours.value.orig, sqlite3.IntegrityError)
    assert str(ours.value.orig) == str(theirs.value.orig)
    assert str(row["sale_key"]) not in str(ours.value)  # the parameters are not in the message
    words = []
    for error in (ours.value, theirs.value):
        with pytest.raises(StorageError) as said, storage_errors():
            raise error
        words.append(str(said.value))
    assert words[0] == words[1]


def _refusal(run) -> StatementError:
    with pytest.raises(StatementError) as refused:
        run()
    return refused.value


def test_a_parameter_left_out_is_refused_as_core_refuses_it(context):
    # k1 (issue 27, tenth session): a bindparam without a value was kept in the compiled statement's
    # own values as None, so a run that left it out sent NULL: the sale's UPDATE ... WHERE id = NULL
    # changed nothing and said nothing, where Connection.execute refuses the statement.
    _sales(context)
    engine = context._engine
    statement = cx.Statement(journal._SET_SALE)  # the statement that marks a sale paid
    values = {"state": "paid", "updated_at": "2026-12-06T00:00:00Z"}  # no "sid": which sale?
    with core.writing(engine) as db:
        theirs = _refusal(lambda: db.execute(statement.statement, values))
        ours = _refusal(lambda: cx.execute(db, statement, values))
    assert type(ours) is type(theirs) and type(ours.orig) is type(theirs.orig)
    assert str(ours.orig) == str(theirs.orig)
    assert str(ours.orig).startswith("A value is required for bind parameter 'sid'")
    # A row of many without a column the first row has: Core's words (and not a binding error the
    # cashier would be told is the disk's).
    lines = [dict(r) for r in cx.mappings(engine.connect(), journal._RUN_LINES, {"sid": 1})]
    first = {k: v for k, v in lines[0].items() if k != "id"}
    second = {k: v for k, v in first.items() if k != "name"}
    rows = [first, {**second, "line_no": 99}]
    insert = cx.Statement(schema.sale_lines.insert())
    with core.writing(engine) as db:
        theirs = _refusal(lambda: db.execute(insert.statement, rows))
        ours = _refusal(lambda: cx.run_many(db, insert, rows))
    assert type(ours) is type(theirs) and type(ours.orig) is type(theirs.orig)
    assert str(ours.orig) == str(theirs.orig)
    with engine.connect() as conn:  # nothing was changed by either
        assert conn.execute(select(schema.sales.c.state)).scalars().all() == ["paid"] * 4
