"""A refund given as store credit (issue 24 item 4), clicked through as a cashier would: the code on
the slip, no money moved. Real widgets, real SQLite, the sandbox over HTTP."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.invariants import check_invariants
from tests.services.conftest import sandbox_client
from tests.services.test_store_credit import CODE

from .conftest import wait_idle
from .test_staff import db_rows
from .test_tenders import sell_ten_cash_and_the_rest_by_card


def test_a_refund_given_as_store_credit_prints_its_code(qtbot, window, sandbox, api_key):
    sell_ten_cash_and_the_rest_by_card(qtbot, window)  # $18.20: $10.00 cash, $8.20 card
    window.open_receipts()
    receipts = window.receipts_window
    wait_idle(qtbot)
    receipts.table.selectRow(0)
    wait_idle(qtbot)
    receipts.open_refund()
    refund = receipts.refund_dialog
    qtbot.waitUntil(refund.isVisible)
    refund.set_line_quantity(3, 2)  # both flat whites, $11.00
    refund.to_store_credit.click()
    assert refund.to_store_credit.isChecked() and not refund.in_cash.isChecked()
    assert refund.preview.text() == "Refund $11.00: $11.00 as store credit (a code to spend later)"
    refund.in_cash.click()  # one or the other, never both
    assert not refund.to_store_credit.isChecked()
    refund.to_store_credit.click()
    qtbot.mouseClick(refund.confirm, Qt.LeftButton)
    qtbot.waitUntil(lambda: not refund.busy, timeout=20000)
    ((code,),) = db_rows(window, "SELECT store_credit_code FROM refunds")
    assert CODE.fullmatch(code)
    assert db_rows(window, "SELECT code, purpose FROM gift_cards") == [(code.replace("-", ""), "store_credit")]
    assert refund.message.text() == f"Refunded $11.00 as store credit (code {code}) (refund 0001)."
    assert f"Store credit code {code}" in refund.result_view.toPlainText()
    # No money moved: nothing back to the card, no cash out of the drawer.
    stripe = sandbox_client(sandbox, api_key)
    (intent,) = stripe.v1.payment_intents.list().data
    assert stripe.v1.refunds.list({"payment_intent": intent.id}).data == []
    report = window.session.reports.x_report()
    assert (report.cash_refunds_minor, report.card_refunds_minor) == (0, 0)
    assert report.as_json()["by_tender"]["store_credit"]["refunds_minor"] == 1100
    refund.close()
    wait_idle(qtbot)
    check_invariants(window.session.data_dir / "pos.sqlite3", stripe)
