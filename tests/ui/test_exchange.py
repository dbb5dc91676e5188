"""An exchange clicked through as a cashier would (issue 24 item 4): the new goods rung up, the old
receipt's lines taken back with the receipts window's Exchange button, in ONE sale at the counter.
Real widgets (offscreen), real SQLite, the sandbox over HTTP for the card part given back."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from tests.invariants import check_invariants
from tests.services.conftest import sandbox_client

from .conftest import wait_idle
from .test_staff import db_rows
from .test_tenders import sell_ten_cash_and_the_rest_by_card, tender_cash
from .test_till import button_for, open_payment, ring_up_three


def exchange_flat_whites(qtbot, window, give_back: bool = True):
    """Receipt 0001's two flat whites ($11.00) taken back for what is in the cart; the dialog after it."""
    window.open_receipts()
    receipts = window.receipts_window
    wait_idle(qtbot)
    receipts.table.selectRow(0)
    wait_idle(qtbot)
    qtbot.mouseClick(receipts.findChild(QPushButton, "exchangeButton"), Qt.LeftButton)
    dialog = receipts.refund_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.windowTitle() == "Exchange" and not dialog.in_cash.isVisibleTo(dialog)
    dialog.set_line_quantity(3, 2)
    dialog.give_back.setChecked(give_back)
    preview = dialog.preview.text()
    qtbot.mouseClick(dialog.confirm, Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=20000)
    wait_idle(qtbot)
    return receipts, dialog, preview


def test_an_exchange_with_the_difference_paid_in_cash(qtbot, window, sandbox, api_key):
    sell_ten_cash_and_the_rest_by_card(qtbot, window)  # receipt 0001, $18.20: $10.00 cash, $8.20 card
    ring_up_three(qtbot, window)  # the new goods: $18.20
    receipts, dialog, preview = exchange_flat_whites(qtbot, window)
    assert preview == "Take back $11.00: $11.00 as store credit (a code to spend later)"
    ((code,),) = db_rows(window, "SELECT store_credit_code FROM refunds")
    assert dialog.message.text() == (
        f"Took back SGD 11.00 (store credit {code}). "
        "It pays SGD 11.00 of the new sale; SGD 7.20 left to pay: press Pay."
    )
    assert window.status_message.text() == dialog.message.text()
    # Nothing can be returned twice: the flat whites are refunded on the receipt now.
    receipt_id = dialog.receipt_id
    again = window.counter.exchange(receipt_id, {3: 1})
    assert again.refund is None and not again.ok, again.message
    dialog.close()
    receipts.close()
    wait_idle(qtbot)
    pay = open_payment(qtbot, window)
    paid_so_far = f"Store credit **** {code.replace('-', '')[-4:]} $11.00"  # by its code's last four (issue 24)
    assert pay.due_label.text() == "To pay: $7.20" and paid_so_far in pay.tenders_label.text()
    tender_cash(qtbot, pay, "10")
    qtbot.waitUntil(lambda: pay.pages.currentIndex() == 1, timeout=20000)
    pay.new_sale_button.click()
    wait_idle(qtbot)
    assert window.counter.cart.is_empty()
    assert window.session.gift_cards.balance(code).balance.minor == 0
    # Reports: the returned goods are a refund, the new goods a sale (store credit + cash).
    by_tender = window.session.reports.x_report().as_json()["by_tender"]
    assert by_tender["store_credit"]["refunds_minor"] == 1100 and by_tender["store_credit"]["sales_minor"] == 1100
    assert by_tender["cash"]["sales_minor"] == 1000 + 720
    (flat_whites,) = [line for line in window.session.refunds.basis(receipt_id).lines if line.line_no == 3]
    assert flat_whites.refunded_quantity == 2 and flat_whites.remaining_quantity == 0
    check_invariants(window.session.data_dir / "pos.sqlite3", sandbox_client(sandbox, api_key))


def test_an_exchange_with_the_difference_given_back_to_the_tenders_that_paid(qtbot, window, sandbox, api_key):
    sell_ten_cash_and_the_rest_by_card(qtbot, window)
    window.products.tabs.setCurrentIndex(window.products.tabs.count() - 1)  # Tea
    qtbot.mouseClick(button_for(window, "Teh Tarik"), Qt.LeftButton)
    new = window.counter.total()
    back = 1100 - new.minor
    receipts, dialog, preview = exchange_flat_whites(qtbot, window)
    assert new.minor == 240  # a teh tarik: $8.60 of the $11.00 is over, card first, then cash
    assert preview == (
        "Take back $11.00: $2.40 as store credit (a code to spend later), $8.20 to Card VISA **** 4242, $0.40 in cash"
    )
    assert window.counter.cart.is_empty()  # the new sale is done: its receipt is written
    # What was over went back to the card (through Stripe), not onto a code.
    stripe = sandbox_client(sandbox, api_key)
    (intent,) = stripe.v1.payment_intents.list().data
    (card_refund,) = stripe.v1.refunds.list({"payment_intent": intent.id}).data
    assert card_refund.amount == 820 and back == 820 + 40
    by_tender = window.session.reports.x_report().as_json()["by_tender"]
    assert by_tender["store_credit"]["sales_minor"] == new.minor == by_tender["store_credit"]["refunds_minor"]
    assert (by_tender["card"]["refunds_minor"], by_tender["cash"]["refunds_minor"]) == (820, 40)
    ((code,),) = db_rows(window, "SELECT store_credit_code FROM refunds WHERE store_credit_code IS NOT NULL")
    assert dialog.message.text() == (
        f"Took back SGD 11.00 (store credit {code}; SGD 8.20 to the card, SGD 0.40 in cash). "
        "It pays SGD 2.40 of the new sale; the sale is paid."
    )
    assert window.session.gift_cards.balance(code).balance.minor == 0  # nothing left on the code
    dialog.close()
    receipts.close()
    wait_idle(qtbot)
    check_invariants(window.session.data_dir / "pos.sqlite3", stripe)
