"""Selling a gift card at the counter: an amount (and, to reload a card, its code) becomes a cart line
through the till's service (services/till.Till.sell_gift_card); the card is issued when the sale is paid."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget

from pos.domain.money import Money, MoneyError
from pos.services.giftcards import GiftCardError

from .widgets import named


class GiftCardSale(QWidget):
    sold = Signal(str)  # what to tell the cashier: the line was added
    problem = Signal(str)

    def __init__(self, sell: Callable[[Money, str], None], currency: Callable[[], str], parent=None):
        super().__init__(parent)
        self._sell, self._currency = sell, currency
        self.amount = named(QLineEdit(), "giftCardAmountField")
        self.amount.setPlaceholderText("gift card amount")
        self.reload_code = named(QLineEdit(), "giftCardReloadCodeField")
        self.reload_code.setPlaceholderText("code, to reload a card")
        self.button = named(QPushButton("Sell gift card"), "sellGiftCardButton")
        self.button.setMinimumHeight(44)
        for field, spoken in (
            (self.amount, "Gift card amount"),
            (self.reload_code, "Gift card code, to reload a card"),
        ):
            field.setMinimumHeight(44)  # a touch target on the sale screen (issue 28)
            field.setAccessibleName(spoken)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.amount)
        layout.addWidget(self.reload_code)
        layout.addWidget(self.button)
        self.button.clicked.connect(self.sell)
        self.amount.returnPressed.connect(self.sell)

    def sell(self) -> None:
        try:
            amount = Money.parse(self.amount.text(), self._currency())
        except MoneyError as exc:
            self.problem.emit(f"Gift card amount: {exc}.")
            return
        code = self.reload_code.text().strip()
        try:
            self._sell(amount, code)
        except GiftCardError as exc:
            self.problem.emit(str(exc))
            return
        self.amount.clear()
        self.reload_code.clear()
        self.sold.emit(f"Gift card {'reload ' if code else ''}of {amount} added; it is issued when the sale is paid.")
