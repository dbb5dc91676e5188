"""What a sale costs in SQL statements on the till's file (issue 27 item 1): the receipt's transaction
reads the sale's lines, its paid tenders and the new receipt row once each and hands them to the
audit digest, the gift cards owed and the receipt shown; after the receipt, the gift cards owed are
looked for only when the sale sold one (or one waits from before). Counted with SQLAlchemy's
before_cursor_execute on every till engine, never a clock. The app's own wiring (build_context), the
sandbox over HTTP, a real SQLite file."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from pos.app import build_context
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.services.checkout import Paid

_FROM = re.compile(r"^\s*SELECT\b.*?\bFROM (\w+)", re.S | re.I)


class _Statements:
    """Every statement run on a till (SQLite) connection while counting."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __enter__(self) -> _Statements:
        event.listen(Engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(Engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, _cursor, statement, _params, _context, _executemany) -> None:
        if isinstance(conn.connection.dbapi_connection, sqlite3.Connection):
            self.seen.append(statement)

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


def test_a_card_sale_runs_30_statements(context):
    _warm(context)
    counted = _sale(context, lambda till: till.pay("pm_card_visa"))
    # Before: 39. The receipt's transaction read the sale's lines four times (gift cards, discount,
    # audit digest, the receipt shown; now once, plus the stock movement's join), its paid tenders
    # three times (now once), the new receipt row twice (now once); a read transaction after the
    # receipt looked for gift cards to issue, and the stock movement read the till id to write nothing.
    assert len(counted.seen) == 30, "\n".join(counted.seen)
    reads = counted.reads()
    assert reads["sale_lines"] == 3, reads  # the sale's audit digest, the receipt's, the stock join
    assert reads["tenders"] == 2, reads  # the next part number, the paid tenders
    assert reads["gift_card_sales"] == 0, reads
    assert reads["settings"] == 0, reads


def test_a_cash_sale_runs_21_statements(context):
    _warm(context)
    counted = _sale(context, lambda till: till.pay_cash(Money(2000, "SGD")))
    # Before: 35 (the same repeated reads, the sale read again to build the receipt, and, for a sale
    # inserted in the same transaction, its card parts, open gift card redemptions, paid sum and last
    # tender number, none of which can exist yet).
    assert len(counted.seen) == 21, "\n".join(counted.seen)
    reads = counted.reads()
    assert reads["sales"] == 2, reads  # the sale as written (its audit digest), then as paid
    assert reads["tenders"] == 1, reads  # the paid tenders for the receipt
    assert reads["gift_card_redemptions"] == 0, reads


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
