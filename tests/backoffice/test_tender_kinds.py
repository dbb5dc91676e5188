"""Tenders as data (issue 24 item 2): reports, the receipts export and the shop report read the
`tenders` and `refunds` rows by kind, and every kind with money shows. A day with a sale of every
kind: cash, a card payment method, a card on a (simulated) Stripe Terminal reader, a gift card part
and a store-credit part, and a refund given back to each of cash, card, reader card and gift card.

Gift cards and store credit cannot be taken at the counter yet (issue 24 items 3 and 4 build them),
so their parts are cash parts paid at the till whose tender row the test then rewrites to kind
gift_card / store_credit (and the receipt's stored cash_minor to match), and the gift card's refund is
a cash refund rewritten to go back to the gift card: the rows a redemption and a refund to its
balance will write. Everything else runs for real: the till's wiring on a SQLite data folder, the
sandbox over HTTP, the reader paid by Stripe's own test helper, `pos` as a command.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
import time
from datetime import date

from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.services.outcomes import Paid, PartPaid
from pos.services.receipts import EXPORT_COLUMNS
from pos.services.refunds import Refunded
from tests.helpers.shop import pos, till
from tests.services.conftest import sandbox_client

KINDS = ("cash", "card", "card_present", "gift_card", "store_credit")


def sgd(minor: int) -> Money:
    return Money(minor, "SGD")


def wait_for(condition, timeout: float = 20.0):
    """Wait on a condition (the reader's state at the sandbox), never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "condition not met"
        time.sleep(0.02)
    return value


def pay_on_reader(context, sandbox, stripe, reader_id: str):
    """The till pays what is due on the reader in a worker thread (as the window runs it); the customer taps."""
    result: list = []
    worker = threading.Thread(
        target=lambda: result.append(context.till.pay_on_reader(context.till.amount_due(), reader_id)), daemon=True
    )
    worker.start()

    def waiting() -> bool:
        action = sandbox.reader(reader_id)["action"]
        return bool(action and action["type"] == "process_payment_intent" and action["status"] == "in_progress")

    wait_for(waiting)
    stripe.v1.test_helpers.terminal.readers.present_payment_method(
        reader_id, {"card_present": {"number": "5555555555554444"}}
    )
    worker.join(20)
    assert not worker.is_alive(), "the till is still waiting on the reader"
    return result[0]


def as_kind(db, receipt_no: int, part_no: int, kind: str) -> int:
    """A cash part of a receipt rewritten as a part of `kind` (see the module's docstring); its tender id."""
    tender_id, amount = db.execute(
        "SELECT x.id, x.amount_minor FROM tenders x JOIN receipts r ON r.sale_id = x.sale_id"
        " WHERE r.receipt_no = ? AND x.part_no = ? AND x.kind = 'cash'",
        (receipt_no, part_no),
    ).fetchone()
    db.execute("UPDATE tenders SET kind = ? WHERE id = ?", (kind, tender_id))
    db.execute("UPDATE receipts SET cash_minor = cash_minor - ? WHERE receipt_no = ?", (amount, receipt_no))
    return tender_id


def sell_every_kind(context, sandbox, api_key) -> dict[str, int]:
    """Five sales, one of each kind, and four refunds; what went back to each kind."""
    stripe = sandbox_client(sandbox, api_key)
    location = stripe.v1.terminal.locations.create({"display_name": "Shop", "address": {"country": "SG"}})
    reader_id = stripe.v1.terminal.readers.create({"registration_code": "simulated-wpe", "location": location.id}).id
    tea = context.catalog.save(
        Product(sku="TEA", name="Tea", category="Drinks", price=sgd(1000), tax_rate_bp=900, barcode="777")
    )

    def sale(n: int) -> None:
        context.till.new_sale()
        context.till.cart.add(tea, n)

    sale(1)
    assert isinstance(context.till.pay_cash(sgd(1090)), Paid)  # receipt 1: cash
    sale(2)
    assert isinstance(context.till.pay("pm_card_visa"), Paid)  # receipt 2: card
    sale(3)
    assert isinstance(pay_on_reader(context, sandbox, stripe, reader_id), Paid)  # receipt 3: the reader
    sale(1)
    assert isinstance(context.till.pay_cash(sgd(300)), PartPaid)  # receipt 4: gift card 3.00, card the rest
    assert isinstance(context.till.pay_card(context.till.amount_due(), "pm_card_visa"), Paid)
    sale(2)
    assert isinstance(context.till.pay_cash(sgd(500)), PartPaid)  # receipt 5: store credit 5.00, cash the rest
    assert isinstance(context.till.pay_cash(context.till.amount_due()), Paid)
    receipt = {n: context.receipts.receipt_id_for(n, context.till_id) for n in range(1, 6)}
    assert isinstance(context.refunds.refund(receipt[1], amount=sgd(100), in_cash=True), Refunded)
    assert isinstance(context.refunds.refund(receipt[2], amount=sgd(200)), Refunded)
    assert isinstance(context.refunds.refund(receipt[3], amount=sgd(300)), Refunded)
    assert isinstance(context.refunds.refund(receipt[4], amount=sgd(150), in_cash=True), Refunded)
    db = sqlite3.connect(context.data_dir / "pos.sqlite3")
    try:
        with db:
            gift = as_kind(db, 4, 1, "gift_card")
            as_kind(db, 5, 1, "store_credit")
            # Receipt 4's refund given back to the gift card's balance, as a refund to it will be written.
            db.execute(
                "UPDATE refunds SET tender_kind = 'gift_card', tender_id = ?, cash_for_card = 0, rounding_minor = 0"
                " WHERE receipt_id = ?",
                (gift, receipt[4]),
            )
    finally:
        db.close()
    return {"cash": 100, "card": 200, "card_present": 300, "gift_card": 150}


def check_by_tender(report: dict, exported: list[dict], refunded: dict[str, int]) -> None:
    """by_tender has every kind, its numbers are the export's tenders of that kind, and they add up to the totals."""
    # The cash and card lines are their own kinds' rows: a refund to a gift card is not booked as a
    # card refund (the old report took card refunds as "every refund not in cash").
    assert report["card_refunds_minor"] == refunded["card"] + refunded["card_present"]
    assert report["cash_refunds_minor"] == refunded["cash"]
    by_tender = report["by_tender"]
    assert list(by_tender) == list(KINDS)
    assert report["cash_sales_minor"] == by_tender["cash"]["sales_minor"]
    assert report["card_sales_minor"] == by_tender["card"]["sales_minor"] + by_tender["card_present"]["sales_minor"]
    for kind in KINDS:
        parts = [t for r in exported for t in r["tenders"] if t["type"] == kind]
        assert by_tender[kind] == {
            "count": len(parts),
            "sales_minor": sum(t["amount_minor"] for t in parts),
            "refunds_minor": refunded.get(kind, 0),
        }, kind
    assert sum(f["sales_minor"] for f in by_tender.values()) == report["gross_minor"] + sum(
        r["rounding_minor"] for r in exported
    )
    assert sum(f["refunds_minor"] for f in by_tender.values()) == report["refunds_minor"]


def test_reports_and_the_export_read_every_tender_kind_by_its_own_rows(tmp_path, sandbox, api_key):
    context = till(tmp_path, "T1", sandbox, api_key, "")
    try:
        refunded = sell_every_kind(context, sandbox, api_key)
    finally:
        context.close()
    data = tmp_path / "T1"
    exported = json.loads(pos("receipts", "export", "--format", "json", data_dir=data, shop_db="").stdout)
    today = date.today().isoformat()
    report = json.loads(pos("report", "--date", today, "--format", "json", data_dir=data, shop_db="").stdout)
    check_by_tender(report, exported, refunded)
    assert [sorted({t["type"] for t in r["tenders"]}) for r in exported] == [
        ["cash"],
        ["card"],
        ["card_present"],
        ["card", "gift_card"],
        ["cash", "store_credit"],
    ]
    assert [(r["gift_card_minor"], r["store_credit_minor"]) for r in exported] == [(0, 0)] * 3 + [(300, 0), (0, 500)]
    for r in exported:
        parts = sum(r[c] for c in ("cash_minor", "card_minor", "gift_card_minor", "store_credit_minor"))
        assert parts == r["total_minor"] + r["rounding_minor"]
    as_csv = list(csv.DictReader(io.StringIO(pos("receipts", "export", data_dir=data, shop_db="").stdout)))
    assert tuple(as_csv[0]) == EXPORT_COLUMNS and EXPORT_COLUMNS.index("gift_card_minor") > EXPORT_COLUMNS.index(
        "cashier"
    )  # the old columns keep their places
    assert [row["gift_card_minor"] for row in as_csv] == ["0", "0", "0", "300", "0"]
    text = pos("report", "--date", today, data_dir=data, shop_db="").stdout
    for line in ("Cash sales (2)", "Card sales (2)", "Card on reader sales (1)", "Gift card sales (1)"):
        assert line in text, line
    assert "Store credit sales (1)" in text and "Gift card refunds" in text and "Store credit refunds" not in text
    as_rows = pos("report", "--date", today, "--format", "csv", data_dir=data, shop_db="").stdout
    rows = list(csv.reader(io.StringIO(as_rows)))
    assert ["tender_sales", "gift_card", "3.00"] in rows and ["tender_refunds", "card_present", "3.00"] in rows
