"""The cash page: what the customer handed over, quick amounts, and the change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QGridLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from pos.domain.cash import quick_amounts, round_cash
from pos.domain.money import Money, MoneyError
from pos.domain.tender import TenderKind

from ..widgets import named
from . import TenderPage, big, page

if TYPE_CHECKING:
    from pos.ui.payment_dialog import PaymentDialog


@page
class CashPage(TenderPage):
    kinds = (TenderKind.CASH,)
    position = 1
    button_name = "cashTenderButton"

    def __init__(self, dialog: PaymentDialog):
        super().__init__(dialog)
        self.field = named(QLineEdit(), "cashTenderedField")
        self.field.setPlaceholderText("cash handed over")
        self.quick = QGridLayout()
        self.quick_buttons: list[QPushButton] = []
        for n in range(4):
            button = named(QPushButton(""), f"quickCash{n}")
            button.setMinimumHeight(40)
            button.clicked.connect(lambda _checked=False, b=button: self._quick_cash(b))
            self.quick.addWidget(button, 0, n)
            self.quick_buttons.append(button)
        self.change_label = big(named(QLabel(""), "changeLabel"), 20)
        self.complete = named(QPushButton("Take cash"), "completeCashButton")
        self.complete.setMinimumHeight(48)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Cash handed over:"))
        layout.addWidget(self.field)
        layout.addLayout(self.quick)
        layout.addWidget(self.change_label)
        layout.addStretch(1)
        layout.addWidget(self.complete)
        self.field.textChanged.connect(self._show_change)
        self.field.returnPressed.connect(self.take)
        self.complete.clicked.connect(self.take)

    def focus(self) -> None:
        self.field.setFocus()

    def show_due(self, due: Money) -> None:
        amounts = quick_amounts(due, self.dialog.till.rounding_step)
        for n, button in enumerate(self.quick_buttons):
            button.setVisible(n < len(amounts))
            if n < len(amounts):
                button.setText(self.dialog.fmt(amounts[n]))
                button.setProperty("minor", amounts[n].minor)
        self._show_change()

    def set_busy(self, busy: bool) -> None:
        for widget in (self.complete, self.field, *self.quick_buttons):
            widget.setEnabled(not busy)

    def part_taken(self) -> None:
        self.field.clear()

    def _quick_cash(self, button: QPushButton) -> None:
        self.field.setText(Money(int(button.property("minor")), self.dialog.due.currency).major_text())
        self.take()

    def _show_change(self) -> None:
        due = self.dialog.due
        try:
            tendered = Money.parse(self.field.text(), due.currency)
        except MoneyError:
            self.change_label.setText("")
            return
        cash_due = round_cash(due, self.dialog.till.rounding_step)
        if tendered >= cash_due:
            self.change_label.setText(f"Change: {self.dialog.fmt(tendered - cash_due)}")
        elif tendered.minor > 0:
            self.change_label.setText(f"Still to pay after this: {self.dialog.fmt(due - tendered)}")
        else:
            self.change_label.setText("")

    def take(self) -> None:
        if self.dialog.charging:
            return
        tendered = self.dialog.parse(self.field)
        if tendered is None:
            return
        self.dialog.take(lambda till, _progress: till.pay_cash(tendered), "Recording the cash…")
