"""What a sale costs in SQL statements on the till's file (issue 27 item 1): the receipt's transaction
reads the sale's lines, its paid tenders and the new receipt row once each and hands them to the
audit digest, the gift cards owed and the receipt shown; after the receipt, the gift cards owed are
looked for only when the sale sold one (or one waits from before). Counted with SQLAlchemy's
before_cursor_execute on every till engine, never a clock. The app's own wiring (build_context), the
sandbox over HTTP, a real SQLite file."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from pos.adapters.db import compiled as cx
from pos.adapters.db.audit import covering
from pos.app import build_context
from pos.domain.cart import Measure
from pos.domain.catalog import Product
from pos.domain.discounts import Discount, DiscountKind
from pos.domain.money import Money
from pos.domain.stock import Unit
from pos.services.checkout import Paid

_FROM = re.compile(r"^\s*SELECT\b.*?\bFROM (\w+)", re.S | re.I)


class _Statements:
    """Every statement run on a till (SQLite) connection while counting: through SQLAlchemy's
    execute (`core`, seen by its before_cursor_execute) and on the driver's cursor by the payment
    path's compiled statements (adapters/db/compiled.py, seen by wrapping its two runners), in order."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.core: list[str] = []

    def __enter__(self) -> _Statements:
        event.listen(Engine, "before_cursor_execute", self._seen)
        self._run, self._run_many = cx.run, cx.run_many

        def run(conn, statement, values):
            self.seen.append((statement.of(values) if isinstance(statement, cx.Statement) else statement).sql)
            return self._run(conn, statement, values)

        def run_many(conn, statement, rows):
            if rows:
                self.seen.append(statement.of(rows[0]).sql)
            return self._run_many(conn, statement, rows)

        cx.run, cx.run_many = run, run_many
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(Engine, "before_cursor_execute", self._seen)
        cx.run, cx.run_many = self._run, self._run_many

    def _seen(self, conn, _cursor, statement, _params, _context, _executemany) -> None:
        if isinstance(conn.connection.dbapi_connection, sqlite3.Connection):
            self.seen.append(statement)
            self.core.append(statement)

    def reads(self) -> Counter[str]:
        """SELECTs by the first table they read."""
        return Counter(m.group(1) for s in self.seen if (m := _FROM.match(s)))


@pytest.fixture
def context(tmp_path, sandbox, api_key):
    sandbox.faults.clear()
    away = tmp_path / "share-not-mounted" / "shop.sqlite3"  # a joined till whose shop cannot be reached
    ctx = build_context(tmp_path / "till", stripe_base_url=sandbox.url, api_key=api_key, shop_db=f"sqlite:///{away}")
    ctx.latte = ctx.catalog.save(
        Product(sku="L", name="Latte", category="Coffee", price=Money(580, "SGD"), tax_rate_bp=900, barcode="1")
    )
    ctx.bun = ctx.catalog.save(
        Product(sku="B", name="Bun", category="Bakery", price=Money(450, "SGD"), tax_rate_bp=900, barcode="2")
    )
    yield ctx
    ctx.close()


def _sale(context, pay) -> _Statements:
    till = context.till
    till.new_sale()
    till.cart.add(context.latte)
    till.cart.add(context.bun)
    with _Statements() as counted:
        assert isinstance(pay(till), Paid)
    return counted


def _warm(context) -> None:
    # The first sale after start reads once what later ones know (the settings, gift cards owed).
    _sale(context, lambda till: till.pay_cash(Money(2000, "SGD")))


def test_a_card_sale_runs_24_statements(context):
    _warm(context)
    counted = _sale(context, lambda till: till.pay("pm_card_visa"))
    # Before: 39. The receipt's transaction read the sale's lines four times (gift cards, discount,
    # audit digest, the receipt shown; now once, plus the stock movement's join), its paid tenders
    # three times (now once), the new receipt row twice (now once); a read transaction after the
    # receipt looked for gift cards to issue, and the stock movement read the till id to write nothing.
    # Then 30 (tenth session, 24): the sale's start read its receipt pages in two statements (now one)
    # and read back the sale and its lines for its audit digest (now digested as written); the receipt
    # and the card's tender are returned by the statements that insert them (not read again), and the
    # sale was marked paid twice in the receipt's transaction (now once, with its intent).
    assert len(counted.seen) == 24, "\n".join(counted.seen)
    # Through SQLAlchemy's execute (~40 us each of its machinery): only the three BEGINs; every other
    # statement is compiled once and run on the driver's cursor in the same transaction (before: 30).
    assert counted.core == ["BEGIN IMMEDIATE", "BEGIN", "BEGIN IMMEDIATE"], counted.core
    reads = counted.reads()
    assert reads["sale_lines"] == 2, reads  # the receipt's lines, the stock join
    assert reads["sales"] == 2, reads  # checkout's look at the sale, then the receipt's transaction
    assert reads["tenders"] == 1, reads  # the next part number
    assert reads["receipts"] == 3, reads  # the pages probe, the receipt already there?, the next number
    assert reads["gift_card_sales"] == 0, reads
    assert reads["settings"] == 0, reads
    assert sum(s.startswith("UPDATE sales") for s in counted.seen) == 3, counted.seen  # intent, attempt, paid


def test_a_cash_sale_runs_13_statements(context):
    _warm(context)
    counted = _sale(context, lambda till: till.pay_cash(Money(2000, "SGD")))
    # Before: 35 (the same repeated reads, the sale read again to build the receipt, and, for a sale
    # inserted in the same transaction, its card parts, open gift card redemptions, paid sum and last
    # tender number, none of which can exist yet). Then 21 (tenth session, 13): the sale, its lines,
    # its cash tender and its receipt are not read back (digested and shown as written, the tender and
    # receipt as their inserts returned them), the receipt pages are read in one statement whose
    # number the receipt takes (the transaction holds the write lock), and the sale is marked paid
    # once (not split, then paid).
    assert len(counted.seen) == 13, "\n".join(counted.seen)
    assert counted.core == ["BEGIN IMMEDIATE"], counted.core  # before: 21
    reads = counted.reads()
    assert reads["sales"] == 0, reads
    assert reads["tenders"] == 0, reads
    assert reads["receipts"] == 1, reads  # the pages probe, its number the receipt's
    assert reads["gift_card_redemptions"] == 0, reads
    assert sum(s.startswith("UPDATE sales") for s in counted.seen) == 1, counted.seen


def test_a_card_left_waiting_is_tried_again_at_the_next_sale(context):
    # The skip after a receipt that sold no card must not strand a card sold earlier whose ledger was
    # away: it is tried again at the next sale (as the cashier is told), whatever that sale sold.
    _warm(context)
    till = context.till
    till.new_sale()
    till.sell_gift_card(Money(2000, "SGD"))
    assert isinstance(till.pay_cash(Money(2000, "SGD")), Paid)
    assert any("is not active yet" in m for m in till.activation_messages), till.activation_messages
    counted = _sale(context, lambda till: till.pay_cash(Money(2000, "SGD")))
    assert counted.reads()["gift_card_sales"] == 1, counted.reads()
    assert any("is not active yet" in m for m in till.activation_messages), till.activation_messages


def test_the_digests_from_the_rows_written_are_the_digests_of_the_rows_on_disk(context):
    # Each sale's start and its receipt are digested from the values the transaction wrote (the
    # start's as handed to its inserts, the receipt's tender and row as their inserts returned them):
    # a weighed line, a line and a cart discount, a card sale and a cash sale, each digest as the
    # audit check reads it from the file.
    till = context.till
    kilo = context.catalog.save(
        Product(sku="A", name="Apples", category="Fruit", price=Money(350, "SGD"), tax_rate_bp=900, barcode="3")
    )
    for pay in (lambda t: t.pay("pm_card_visa"), lambda t: t.pay_cash(Money(5000, "SGD"))):
        till.new_sale()
        till.cart.add(context.latte, 3)
        till.cart.add_priced(kilo, Money(438, "SGD"), Measure(1250, Unit.KG.value, Money(350, "SGD")))
        till.cart.discount_line(0, Discount(DiscountKind.PERCENT, 1000, "staff"))
        till.cart.discount_cart(Discount(DiscountKind.AMOUNT, 100, "loyal"))
        assert isinstance(pay(till), Paid)
    with context._engine.connect() as conn:  # the till's own file, read as the audit check reads it
        events = conn.execute(text("SELECT payload FROM audit_events WHERE kind IN ('sale_started', 'sale_paid')"))
        payloads = [json.loads(p) for (p,) in events]
        recorded = [(p["record"], p["id"], p["digest"]) for p in payloads[-4:]]
        assert recorded == [(k, i, covering(conn, k, i)["digest"]) for k, i, _d in recorded]
        assert [k for k, _i, _d in recorded] == ["sale_started", "receipt"] * 2
    assert context.audit.verify() is None


def test_the_receipt_digest_from_the_rows_read_is_the_digest_of_the_rows_on_disk(context):
    # The digest written from the rows the transaction read equals the one the audit check computes
    # from the file: a card sale, then a sale paid in cash and by card.
    till = context.till
    till.new_sale()
    till.cart.add(context.latte, 2)
    till.cart.add(context.bun)
    assert isinstance(till.pay("pm_card_visa"), Paid)
    till.new_sale()
    till.cart.add(context.latte)
    till.cart.add(context.bun)
    till.pay_cash(Money(500, "SGD"))
    assert isinstance(till.pay_card(till.amount_due(), "pm_card_visa"), Paid)
    assert context.audit.verify() is None
