"""Amounts typed in the window's fields follow the one rule of every door (issue 24, a known gap):
a plain decimal (domain/money.PLAIN_DECIMAL). Before, '1e3' or '1_000' typed for a gift card or as
cash tendered was read as 1000.00. Real widgets, offscreen, on the real till wiring."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton

from pos.domain.money import Money

from .test_till import open_payment, ring_up_three


def test_a_gift_card_amount_and_cash_tendered_must_be_plain_decimals(qtbot, window):
    amount = window.findChild(QLineEdit, "giftCardAmountField")
    sell = window.findChild(QPushButton, "sellGiftCardButton")
    for typed in ("1e3", "1_000", "４.５０"):
        amount.setText(typed)
        qtbot.mouseClick(sell, Qt.LeftButton)
        assert window.till.cart.is_empty(), typed
        assert f"Gift card amount: {typed!r} is not an amount" in window.status_message.text()
    ring_up_three(qtbot, window)  # $18.20
    dialog = open_payment(qtbot, window)
    qtbot.mouseClick(dialog.cash_tender, Qt.LeftButton)
    for typed in ("1e3", "1_000"):
        dialog.cash_field.setText(typed)
        qtbot.mouseClick(dialog.complete_cash, Qt.LeftButton)
        assert not dialog.charging and dialog.pages.currentIndex() == 0, typed
        assert window.till.amount_due() == Money(1820, "SGD") and not window.till.tenders(), typed
