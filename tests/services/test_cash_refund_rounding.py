"""Cash refunds follow the store's cash rounding (issue 23, finding 8): the cash handed back is
rounded as cash taken is, a full refund gives back exactly the cash the customer paid, a refund
that rounds to nothing is refused, and the X report's rounding line and expected cash stay right.
The real Stripe adapter over HTTP against the sandbox (never asked: all cash), a real SQLite file."""

from __future__ import annotations

import sqlite3

import pytest

from pos.adapters.db.audit import AuditRepo
from pos.adapters.db.drawer import SqlDrawerLog
from pos.adapters.db.receipts import ReceiptsRepo
from pos.adapters.db.refunds import SqlRefunds
from pos.adapters.db.reports import ReportsRepo
from pos.adapters.db.storage import SCHEMA_VERSION, open_engine
from pos.adapters.db.settings import SettingsRepo
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.domain.refunds import render_refund_text
from pos.services.refunds import Refunded, RefundFailed, Refunds
from tests.helpers.layouts import as_numbered_layout
from tests.invariants import check_invariants
from tests.services.conftest import Shop


def sgd(minor: int) -> Money:
    return Money(minor, "SGD")


def cash_sale(shop, price: Money, tendered: Money, rounding: str = "0.05") -> int:
    """A one-item sale of `price` paid `tendered` in cash under the store's `rounding`; its receipt id."""
    shop.till.apply_store_terms(price.currency, True, rounding)
    shop.till.new_sale()
    item = shop.catalog.save(
        Product(sku=f"X{price.minor}", name="Odd", category="Misc", price=price, tax_rate_bp=900, barcode=None)
    )
    shop.cart_of((item, 1))
    receipt = shop.till.pay_cash(tendered).receipt
    return ReceiptsRepo(shop.engine).receipt_id_for(receipt.receipt_no, "T1")


def refunds_of(shop, rounding: str = "0.05") -> Refunds:
    return Refunds(SqlRefunds(shop.engine, shop.settings), shop.gateway, cash_rounding=lambda: rounding)


def refund_rows(shop) -> list[tuple[int, int]]:
    """(amount, rounding) of each refund row, as the till's file holds them."""
    conn = sqlite3.connect(shop.data_dir / "pos.sqlite3")
    try:
        return conn.execute("SELECT amount_minor, rounding_minor FROM refunds ORDER BY id").fetchall()
    finally:
        conn.close()


def test_a_full_cash_refund_gives_back_the_cash_paid_and_leaves_the_float_expected(shop):
    SqlDrawerLog(shop.engine).record_movement("T1", "float", 10000, "SGD", "morning float")
    receipt_id = cash_sale(shop, sgd(453), sgd(455))  # 4.53 paid 4.55 in cash
    given = refunds_of(shop).refund(receipt_id, lines={1: 1})
    assert isinstance(given, Refunded), given
    refund = given.refund
    assert (refund.amount, refund.rounding, refund.handed_back) == (sgd(453), sgd(2), sgd(455))
    assert "GIVEN BACK" in render_refund_text(refund) and "$4.55" in render_refund_text(refund)
    assert refunds_of(shop).basis(receipt_id).remaining_minor == 0
    assert AuditRepo(shop.engine, shop.data_dir).verify() is None  # the rounding is in the refund's digest
    report = ReportsRepo(shop.engine).x_report("T1", "SGD")
    # The sale's 0.02 rounding and the refund's cancel out; the drawer holds the float again.
    assert (report.cash_sales_minor, report.cash_refunds_minor, report.rounding_minor) == (455, 455, 0)
    assert (report.refunds_minor, report.card_refunds_minor) == (453, 0)
    assert report.expected_cash_minor == 10000
    check_invariants(shop.data_dir / "pos.sqlite3", shop.stripe)


def test_a_partial_cash_refund_is_rounded_and_the_last_one_gives_back_the_rest_of_the_cash(shop):
    receipt_id = cash_sale(shop, sgd(453), sgd(500))  # 4.55 in cash, 0.45 change
    refunds = refunds_of(shop)
    first = refunds.refund(receipt_id, amount=sgd(201))
    assert isinstance(first, Refunded) and first.refund.handed_back == sgd(200)
    rest = refunds.refund(receipt_id, amount=sgd(252))
    assert isinstance(rest, Refunded) and rest.refund.handed_back == sgd(255)
    report = ReportsRepo(shop.engine).x_report("T1", "SGD")
    assert (report.cash_refunds_minor, report.rounding_minor, report.expected_cash_minor) == (455, 0, 0)
    assert refund_rows(shop) == [(201, -1), (252, 3)]


def test_a_cash_refund_that_rounds_to_nothing_is_refused_in_the_cashiers_words(shop):
    receipt_id = cash_sale(shop, sgd(453), sgd(455))
    refused = refunds_of(shop).refund(receipt_id, amount=sgd(1))
    assert isinstance(refused, RefundFailed)
    assert refused.message == "SGD 0.01 rounds to SGD 0.00 in cash: the smallest cash refund is SGD 0.03."
    assert refund_rows(shop) == []
    small = refunds_of(shop).refund(receipt_id, amount=sgd(3))  # the smallest that is cash: 0.05
    assert isinstance(small, Refunded) and small.refund.handed_back == sgd(5)


def test_bhd_cash_refunds_round_to_its_own_step(shop):
    bhd = lambda minor: Money(minor, "BHD")  # noqa: E731 - three decimals: 0.050 is 50 fils
    receipt_id = cash_sale(shop, bhd(1234), bhd(1250))  # 1.234 paid 1.250 in cash
    refunds = refunds_of(shop)
    refused = refunds.refund(receipt_id, amount=bhd(10))
    assert isinstance(refused, RefundFailed) and "rounds to BHD 0.000 in cash" in refused.message
    part = refunds.refund(receipt_id, amount=bhd(30))
    assert isinstance(part, Refunded) and part.refund.handed_back == bhd(50)
    rest = refunds.refund(receipt_id, amount=bhd(1204))
    assert isinstance(rest, Refunded) and rest.refund.handed_back == bhd(1200)
    report = ReportsRepo(shop.engine).x_report("T1", "BHD")
    assert (report.cash_sales_minor, report.cash_refunds_minor, report.rounding_minor) == (1250, 1250, 0)
    assert report.expected_cash_minor == 0


def test_without_cash_rounding_a_cash_refund_is_to_the_minor_unit(shop):
    receipt_id = cash_sale(shop, sgd(453), sgd(453), rounding="")
    given = refunds_of(shop, "").refund(receipt_id, amount=sgd(1))
    assert isinstance(given, Refunded) and given.refund.handed_back == sgd(1) and given.refund.rounding is None


@pytest.mark.parametrize("layout", [10, 11])
def test_an_older_layout_gets_the_refund_rounding_column_and_its_refunds_still_verify(
    tmp_path, sandbox, api_key, layout
):
    data = tmp_path / "data"
    shop = Shop(data, sandbox, api_key)
    receipt_id = cash_sale(shop, sgd(453), sgd(455), rounding="")
    assert isinstance(refunds_of(shop, "").refund(receipt_id, amount=sgd(100)), Refunded)
    shop.engine.dispose()
    conn = sqlite3.connect(data / "pos.sqlite3")
    with conn:  # as a till of that layout left it (10: before the audit baseline, 11: after it)
        conn.execute("ALTER TABLE refunds DROP COLUMN rounding_minor")
    conn.close()
    as_numbered_layout(data / "pos.sqlite3", layout)
    engine = open_engine(data)
    try:
        basis = SqlRefunds(engine, SettingsRepo(engine)).basis(receipt_id)
        assert basis.remaining_minor == 353 and basis.parts[0].cash_back_minor == 100
        # The refund written before the column keeps the digest its audit event holds.
        assert AuditRepo(engine, data).verify() is None
    finally:
        engine.dispose()
    conn = sqlite3.connect(data / "pos.sqlite3")
    assert "rounding_minor" in {row[1] for row in conn.execute("PRAGMA table_info(refunds)")}
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()
