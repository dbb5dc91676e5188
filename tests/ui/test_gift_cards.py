"""Gift cards clicked through as a cashier would (issue 24): sell one for cash, pay a sale part by
gift card and the rest by card, check a balance. Real widgets (offscreen), the real till wiring on a
real SQLite file, the sandbox for the card part."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from pos.domain.giftcards import format_code, parse_code
from pos.domain.money import Money
from tests.helpers.escpos_double import PrinterDouble
from tests.invariants import check_invariants
from tests.services.conftest import sandbox_client

from .conftest import wait_idle
from .test_printer import use_network_printer
from .test_tenders import tender_card, tender_cash
from .test_till import open_payment, ring_up_three


def find(dialog, kind, name):
    widget = dialog.findChild(kind, name)
    assert widget is not None, name
    return widget


@pytest.fixture
def printer():
    double = PrinterDouble()  # a network receipt printer on loopback
    yield double
    double.close()


def test_sell_a_gift_card_for_cash(qtbot, window, printer):
    use_network_printer(qtbot, window, printer.address)
    amount = find(window, QLineEdit, "giftCardAmountField")
    qtbot.keyClicks(amount, "2O")  # a typo: told, nothing added
    qtbot.mouseClick(find(window, QPushButton, "sellGiftCardButton"), Qt.LeftButton)
    assert window.till.cart.is_empty() and "Gift card amount" in window.status_message.text()
    amount.setText("25.00")
    qtbot.mouseClick(find(window, QPushButton, "sellGiftCardButton"), Qt.LeftButton)
    (line,) = window.till.cart.lines
    assert line.product.price == Money(2500, "SGD") and line.product.tax_rate_bp == 0
    code = parse_code(line.product.name.split()[-1])
    dialog = open_payment(qtbot, window)
    assert dialog.due_label.text() == "To pay: $25.00"
    tender_cash(qtbot, dialog, "30")
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=20000)
    assert format_code(code) in dialog.receipt_view.toPlainText()  # the code on screen as text
    _kick, job = printer.wait_for_jobs(2)
    assert job.qr == [code]  # and on paper as a QR code (the printer's own, GS ( k)
    assert any(format_code(code) in line for line in job.lines)
    dialog.new_sale_button.click()
    wait_idle(qtbot)
    card = window.context.gift_cards.balance(code)  # issued when the sale was paid
    assert card.balance == Money(2500, "SGD")


def test_pay_part_by_gift_card_and_the_rest_by_card_after_checking_its_balance(qtbot, window, sandbox, api_key):
    card = window.context.gift_cards.issue(Money(1000, "SGD"), "bought-last-week")
    ring_up_three(qtbot, window)  # $18.20
    dialog = open_payment(qtbot, window)
    qtbot.mouseClick(find(dialog, QPushButton, "giftCardTenderButton"), Qt.LeftButton)
    code_field = find(dialog, QLineEdit, "giftCardCodeField")
    qtbot.keyClicks(code_field, format_code(card.code).lower())  # as typed from the card
    qtbot.keyClick(code_field, Qt.Key_Return)  # checks the balance
    balance = find(dialog, QLabel, "giftCardBalanceLabel")
    qtbot.waitUntil(lambda: "holds" in balance.text(), timeout=20000)
    assert "holds SGD 10.00" in balance.text() and "It pays SGD 10.00 of the SGD 18.20 due" in balance.text()
    qtbot.mouseClick(find(dialog, QPushButton, "redeemGiftCardButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.charging, timeout=20000)
    assert dialog.due_label.text() == "To pay: $8.20", dialog.message.text()
    assert code_field.text() == ""  # cleared for the next card
    tender_card(qtbot, dialog, None, "pm_card_visa")
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=20000)
    text = dialog.receipt_view.toPlainText()
    assert "Gift card" in text and "$10.00" in text and "$8.20" in text
    dialog.new_sale_button.click()
    wait_idle(qtbot)
    assert window.context.gift_cards.balance(card.code).balance == Money(0, "SGD")
    window.open_receipts()
    wait_idle(qtbot)
    assert window.receipts_window.model.summary(0).paid_by == "VISA 4242 + gift card"  # every kind listed
    window.receipts_window.close()
    check_invariants(window.context.data_dir / "pos.sqlite3", sandbox_client(sandbox, api_key))


def test_check_a_balance_and_a_mistyped_code_is_refused_before_any_lookup(qtbot, window):
    card = window.context.gift_cards.issue(Money(5000, "SGD"), "bought-last-week")
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    qtbot.mouseClick(find(dialog, QPushButton, "giftCardTenderButton"), Qt.LeftButton)
    code_field = find(dialog, QLineEdit, "giftCardCodeField")
    balance = find(dialog, QLabel, "giftCardBalanceLabel")
    wrong = card.code[:-1] + ("2" if card.code[-1] != "2" else "3")
    code_field.setText(wrong)
    qtbot.mouseClick(find(dialog, QPushButton, "checkGiftCardButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: "character is wrong" in balance.text(), timeout=20000)
    code_field.setText(card.code)
    qtbot.mouseClick(find(dialog, QPushButton, "checkGiftCardButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: "holds SGD 50.00" in balance.text(), timeout=20000)
    assert "It pays SGD 18.20" in balance.text()
    find(dialog, QLineEdit, "giftCardRedeemAmountField").setText("5.00")  # the customer keeps the rest
    qtbot.mouseClick(find(dialog, QPushButton, "redeemGiftCardButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.charging, timeout=20000)
    assert dialog.due_label.text() == "To pay: $13.20"
    assert window.context.gift_cards.balance(card.code).balance == Money(4500, "SGD")
