"""Reports show the tax refunds gave back, and the net tax owed (issue 13, item 5 in part).

Before, a 5.50 refund of a 9%-inclusive line left its 0.45 tax in the report's tax.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date

from pos.app import build_context
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.services.checkout import Paid
from pos.services.refunds import Refunded
from tests.helpers.layouts import as_numbered_layout
from tests.cli.test_cli import pos


def sell(context, *items):
    context.till.new_sale()
    for product, quantity in items:
        context.till.cart.add(product, quantity)
    paid = context.till.pay("pm_card_visa")
    assert isinstance(paid, Paid)
    return context.receipts.receipt_id_for(paid.receipt.receipt_no, paid.receipt.till_id)


def test_a_refunded_line_takes_its_tax_out_of_the_net_tax(tmp_path, sandbox, api_key):
    data = tmp_path / "till"
    context = build_context(data, stripe_base_url=sandbox.url, api_key=api_key)
    try:
        sandwich = context.catalog.save(
            Product(sku="SW", name="Sandwich", category="Food", price=Money(550, "SGD"), tax_rate_bp=900)
        )
        coffee = context.catalog.save(
            Product(sku="KC", name="Kopi", category="Drinks", price=Money(180, "SGD"), tax_rate_bp=900)
        )
        receipt_id = sell(context, (sandwich, 1), (coffee, 2))
        refunded = context.refunds.refund(receipt_id, lines={1: 1})  # the sandwich
        assert isinstance(refunded, Refunded) and refunded.refund.amount == Money(550, "SGD")
        x = context.reports.x_report()
        # Tax on sales: 0.45 (sandwich) + 0.30 (two kopi, 3.60 incl. 9%) = 0.75.
        assert (x.tax_minor, x.tax_refunded_minor, x.net_tax_minor) == (75, 45, 30)
        assert "Tax refunded" in _text(context, x) and "NET TAX" in _text(context, x)
        # A refund by amount gives back its share of the receipt's tax: 1.80 of 9.10 → 0.15.
        by_amount = context.refunds.refund(receipt_id, amount=Money(180, "SGD"))
        assert isinstance(by_amount, Refunded)
        assert context.reports.x_report().tax_refunded_minor == 45 + 15
    finally:
        context.close()
    done = pos("--data-dir", str(data), "report", "--date", date.today().isoformat(), "--format", "json")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert (figures["tax_minor"], figures["tax_refunded_minor"], figures["net_tax_minor"]) == (75, 60, 15)


def test_refunds_made_before_the_tax_was_kept_get_their_share_when_the_data_is_upgraded(tmp_path, sandbox, api_key):
    data = tmp_path / "till"
    context = build_context(data, stripe_base_url=sandbox.url, api_key=api_key)
    try:
        tea = context.catalog.save(
            Product(sku="TT", name="Teh tarik", category="Drinks", price=Money(220, "SGD"), tax_rate_bp=900)
        )
        receipt_id = sell(context, (tea, 5))  # 11.00, tax 0.91
        assert isinstance(context.refunds.refund(receipt_id, amount=Money(440, "SGD")), Refunded)
    finally:
        context.close()
    conn = sqlite3.connect(data / "pos.sqlite3")
    with conn:  # as a till of layout 3 left it: refunds without their tax
        conn.execute("ALTER TABLE refunds DROP COLUMN tax_minor")
    conn.close()
    as_numbered_layout(data / "pos.sqlite3", 3)
    context = build_context(data, stripe_base_url=sandbox.url, api_key=api_key)
    try:
        x = context.reports.x_report()
        assert (x.tax_minor, x.tax_refunded_minor) == (91, 36)  # 0.91 × 4.40 / 11.00 = 0.364
    finally:
        context.close()


def _text(context, report) -> str:
    from pos.domain.report import render_report_text

    return render_report_text(report, context.settings.store_name)
