"""A refund given as store credit (issue 24 item 4), clicked through as a cashier would: the code on
the slip, no money moved. Real widgets, real SQLite, the sandbox over HTTP."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from pos.domain.money import Money

from tests.invariants import check_invariants
from tests.services.conftest import sandbox_client
from tests.services.test_store_credit import CODE

from .conftest import wait_idle
from .test_gift_cards import find
from .test_till import open_payment, ring_up_three
from .test_staff import db_rows
from .test_tenders import sell_ten_cash_and_the_rest_by_card, tender_cash


def refund_both_flat_whites(qtbot, window):
    """A sale of $18.20 ($10.00 cash, $8.20 card), and its refund dialog open on both flat whites ($11.00)."""
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
    return receipts, refund


def test_a_refund_given_as_store_credit_prints_its_code(qtbot, window, sandbox, api_key):
    receipts, refund = refund_both_flat_whites(qtbot, window)
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


def test_store_credit_from_a_refund_is_spent_on_the_next_sale(qtbot, window, sandbox, api_key):
    """The "spend it" half: the code a refund gave pays part of a new sale on the gift card page, booked
    as store credit (not as a gift card), the rest in cash; the code is empty after."""
    receipts, refund = refund_both_flat_whites(qtbot, window)
    refund.to_store_credit.click()
    qtbot.mouseClick(refund.confirm, Qt.LeftButton)
    qtbot.waitUntil(lambda: not refund.busy, timeout=20000)
    ((code,),) = db_rows(window, "SELECT store_credit_code FROM refunds")
    refund.close()
    receipts.close()
    wait_idle(qtbot)

    ring_up_three(qtbot, window)  # $18.20 again
    dialog = open_payment(qtbot, window)
    qtbot.mouseClick(find(dialog, QPushButton, "giftCardTenderButton"), Qt.LeftButton)
    code_field = find(dialog, QLineEdit, "giftCardCodeField")
    qtbot.keyClicks(code_field, code)
    qtbot.keyClick(code_field, Qt.Key_Return)  # checks what it holds
    balance = find(dialog, QLabel, "giftCardBalanceLabel")
    qtbot.waitUntil(lambda: "holds" in balance.text(), timeout=20000)
    assert balance.text().startswith(f"Store credit {code} holds SGD 11.00"), balance.text()
    qtbot.mouseClick(find(dialog, QPushButton, "redeemGiftCardButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.charging, timeout=20000)
    assert dialog.due_label.text() == "To pay: $7.20", dialog.message.text()
    # Named by the last four of its code, as a card by its last four digits (issue 24).
    assert f"Store credit **** {code.replace('-', '')[-4:]} $11.00" in dialog.tenders_label.text()
    tender_cash(qtbot, dialog, "10")
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=20000)
    assert "Store credit" in dialog.receipt_view.toPlainText()
    dialog.new_sale_button.click()
    wait_idle(qtbot)
    assert window.context.gift_cards.balance(code).balance == Money(0, "SGD")
    assert db_rows(window, "SELECT kind, amount_minor FROM tenders WHERE kind = 'store_credit'") == [
        ("store_credit", 1100)
    ]
    by_tender = window.session.reports.x_report().as_json()["by_tender"]
    assert by_tender["store_credit"]["sales_minor"] == 1100 and by_tender["store_credit"]["refunds_minor"] == 1100
    assert "gift_card" not in by_tender  # not booked as a gift card
    window.open_receipts()
    wait_idle(qtbot)
    listed = window.receipts_window.model
    assert [listed.summary(row).paid_by for row in range(2)] == ["Store credit + cash", "VISA 4242 + cash"]
    window.receipts_window.close()
    check_invariants(window.session.data_dir / "pos.sqlite3", sandbox_client(sandbox, api_key))
