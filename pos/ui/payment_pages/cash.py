"""The cash page: Exact and the quick amounts (the notes that cover what is due, domain/cash.py), what
the customer handed over typed or keyed on the keypad, and the change. A quick amount or Exact takes
the cash in one tap; Enter in the field takes what was typed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from pos.domain.cash import quick_amounts, round_cash
from pos.domain.money import Money, MoneyError, typed_decimal_point
from pos.domain.tender import TenderKind

from ..keypad import NumericKeypad
from ..widgets import named
from . import TenderPage, big, big_text, page

if TYPE_CHECKING:
    from pos.ui.payment_dialog import PaymentDialog

QUICK_BUTTONS = 4  # as many as domain/cash.quick_amounts offers by default


@page
class CashPage(TenderPage):
    kinds = (TenderKind.CASH,)
    position = 1
    button_name = "cashTenderButton"

    def __init__(self, dialog: PaymentDialog):
        super().__init__(dialog)
        self.field = named(QLineEdit(), "cashTenderedField")
        self.field.setPlaceholderText("cash handed over")
        self.field.setAccessibleName("Cash handed over")
        big_text(self.field, 14)
        self.exact = big_text(named(QPushButton("Exact"), "exactCashButton"), 13)
        self.exact.setAccessibleName("Exact cash")
        self.exact.setMinimumHeight(56)
        self.exact.clicked.connect(self._exact)
        quick = QHBoxLayout()
        quick.addWidget(self.exact)
        self.quick_buttons: list[QPushButton] = []
        for n in range(QUICK_BUTTONS):
            button = big_text(named(QPushButton(""), f"quickCash{n}"), 13)
            button.setMinimumHeight(56)
            button.clicked.connect(lambda _checked=False, b=button: self._quick_cash(b))
            quick.addWidget(button)
            self.quick_buttons.append(button)
        self.keypad = NumericKeypad(self.field)
        self.change_label = big(named(QLabel(""), "changeLabel"), 20)
        self.complete = named(QPushButton("Take cash"), "completeCashButton")
        self.complete.setMinimumHeight(48)
        left = QVBoxLayout()
        left.addWidget(QLabel("Cash handed over:"))
        left.addWidget(self.field)
        left.addWidget(self.change_label)
        left.addStretch(1)
        left.addWidget(self.complete)
        typed = QHBoxLayout()
        typed.addLayout(left, 1)
        typed.addWidget(self.keypad)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(quick)
        layout.addLayout(typed, 1)
        self.field.textChanged.connect(self._show_change)
        self.field.returnPressed.connect(self.take)
        self.complete.clicked.connect(self.take)

    def focus(self) -> None:
        self.field.setFocus()

    def show_due(self, due: Money) -> None:
        self.keypad.bind(self.field, typed_decimal_point(due.currency))
        amounts = quick_amounts(due, self.dialog.till.rounding_step, count=QUICK_BUTTONS)
        exact = round_cash(due, self.dialog.till.rounding_step)
        self.exact.setText(f"Exact {self.dialog.fmt(exact)}")
        for n, button in enumerate(self.quick_buttons):
            button.setVisible(n < len(amounts))
            if n < len(amounts):
                button.setText(self.dialog.fmt(amounts[n]))
                button.setAccessibleName(f"{self.dialog.fmt(amounts[n])} in cash")
                button.setProperty("minor", amounts[n].minor)
        self._show_change()

    def set_busy(self, busy: bool) -> None:
        for widget in (self.complete, self.field, self.exact, self.keypad, *self.quick_buttons):
            widget.setEnabled(not busy)

    def part_taken(self) -> None:
        self.field.clear()

    def _quick_cash(self, button: QPushButton) -> None:
        self._take_amount(Money(int(button.property("minor")), self.dialog.due.currency))

    def _exact(self) -> None:
        self._take_amount(round_cash(self.dialog.due, self.dialog.till.rounding_step))

    def _take_amount(self, amount: Money) -> None:
        self.field.setText(amount.major_text())
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
        if not self.field.text().strip():
            # Nothing typed is no new try: it recorded a cash part of 0 and so cleared a decline's header,
            # which stays until the cashier tries again (services/payment_screen.banner_for).
            self.dialog.say("Type the cash handed over, or choose an amount above.", "error")
            return
        tendered = self.dialog.parse(self.field)
        if tendered is None or self.dialog.refuses_cash(tendered):  # 0 typed is no try either
            return
        self.dialog.take(lambda till, _progress: till.pay_cash(tendered), "Recording the cash…")
