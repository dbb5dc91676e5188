"""The day's report holds together with the receipts export (issue 13): for a day of card, cash,
split and rounded sales with refunds of each kind, every by-tender figure of `pos report --date D
--format json` equals the sum of the receipts `pos receipts export` lists, and the drawer's
expected cash follows from them."""

from __future__ import annotations

import json
from datetime import date

from pos.adapters.db.receipts import ReceiptsRepo
from pos.adapters.db.refunds import SqlRefunds
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.services.refunds import Refunded, Refunds
from tests.cli.test_cli import pos
from tests.services.conftest import Shop


def sgd(minor: int) -> Money:
    return Money(minor, "SGD")


def test_report_figures_are_the_sums_of_the_export(tmp_path, sandbox, api_key):
    data = tmp_path / "till"
    shop = Shop(data, sandbox, api_key)
    try:
        shop.till.apply_store_terms("SGD", True, "0.05")
        muffin = shop.catalog.save(
            Product(sku="MUF", name="Muffin", category="Bakery", price=sgd(433), tax_rate_bp=900, barcode="333")
        )
        refunds = Refunds(SqlRefunds(shop.engine, shop.settings), shop.gateway)
        sales = [
            lambda: shop.till.pay("pm_card_visa"),
            lambda: shop.till.pay_cash(sgd(2000)),
            lambda: (shop.till.pay_cash(sgd(300)), shop.till.pay_card(shop.till.amount_due(), "pm_card_amex"))[1],
            lambda: (shop.till.pay_card(sgd(250), "pm_card_visa"), shop.till.pay_cash(sgd(5000)))[1],
        ]
        receipts = []
        for n, pay in enumerate(sales):
            shop.till.new_sale()
            shop.cart_of((shop.latte, 1 + n), (shop.bun, 1), (muffin, 1))  # 4.33: rounded when paid in cash
            receipts.append(pay().receipt)
        repo = ReceiptsRepo(shop.engine)
        assert isinstance(refunds.refund(repo.receipt_id_for(1, "T1"), amount=sgd(100)), Refunded)
        assert isinstance(refunds.refund(repo.receipt_id_for(2, "T1"), lines={1: 1}), Refunded)
        assert isinstance(refunds.refund(repo.receipt_id_for(3, "T1"), amount=sgd(700), in_cash=True), Refunded)
    finally:
        shop.engine.dispose()
    exported = json.loads(pos("--data-dir", str(data), "receipts", "export", "--format", "json").stdout)
    report = json.loads(
        pos("--data-dir", str(data), "report", "--date", date.today().isoformat(), "--format", "json").stdout
    )
    assert report["sales_count"] == len(exported) == 4
    by_tender = {
        "cash_minor": "cash_sales_minor",
        "card_minor": "card_sales_minor",
        "change_minor": "change_minor",
        "rounding_minor": "rounding_minor",
    }
    for column, figure in by_tender.items():
        assert sum(r[column] for r in exported) == report[figure], column
    assert sum(r["total_minor"] for r in exported) == report["gross_minor"]
    assert sum(r["discount_minor"] for r in exported) == report["discounts_minor"]
    assert sum(r["refunded_minor"] for r in exported) == report["refunds_minor"]
    assert report["cash_refunds_minor"] + report["card_refunds_minor"] == report["refunds_minor"]
    for r in exported:
        assert sum(t["amount_minor"] for t in r["tenders"]) == r["total_minor"] + r["rounding_minor"]
        assert r["cash_minor"] + r["card_minor"] == r["total_minor"] + r["rounding_minor"]
    assert report["expected_cash_minor"] == report["cash_sales_minor"] - report["cash_refunds_minor"]
    assert report["cash_sales_minor"] > 0 and report["card_sales_minor"] > 0 and report["rounding_minor"] != 0
