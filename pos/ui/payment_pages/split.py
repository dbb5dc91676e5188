"""The split page: the amount of this part, typed or keyed, then the tender that pays it (cash, or a
card: on the reader when one is set up). What is left shows in the header; the next part is chosen
the same way, or in the row (Card sends the rest to the reader, a quick amount pays it in cash). Enter
in the amount pays the part in cash."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from pos.domain.money import Money, typed_decimal_point
from pos.domain.tender import TenderKind

from ..keypad import NumericKeypad
from ..widgets import named
from . import TenderPage, big_text, page

if TYPE_CHECKING:
    from pos.ui.payment_dialog import PaymentDialog


@page
class SplitPage(TenderPage):
    kinds = ()
    uses = (TenderKind.CASH, TenderKind.CARD, TenderKind.CARD_PRESENT)
    position = 3
    button_name = "splitTenderButton"
    label = "Split"

    def __init__(self, dialog: PaymentDialog):
        super().__init__(dialog)
        self.amount = named(QLineEdit(), "splitAmountField")
        self.amount.setPlaceholderText("amount of this part")
        self.amount.setAccessibleName("Amount of this part")
        big_text(self.amount, 14)
        self.keypad = NumericKeypad(self.amount)
        self.cash = big_text(named(QPushButton("Cash"), "splitCashButton"), 13)
        self.cash.setAccessibleName("Pay this part in cash")
        self.card = big_text(named(QPushButton("Card"), "splitCardButton"), 13)
        self.card.setAccessibleName("Pay this part by card")
        for button in (self.cash, self.card):
            button.setMinimumHeight(56)
        by = QHBoxLayout()
        by.addWidget(self.cash)
        by.addWidget(self.card)
        left = QVBoxLayout()
        left.addWidget(QLabel("Amount of this part:"))
        left.addWidget(self.amount)
        left.addWidget(QLabel("Paid by:"))
        left.addLayout(by)
        left.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left, 1)
        layout.addWidget(self.keypad)
        self.cash.clicked.connect(self.take_cash)
        self.card.clicked.connect(self.take_card)
        # Enter (a keyboard's or the keypad's) takes the part as the page's first choice does, as Enter
        # in the cash field takes the cash: the counted split is cash first, then the rest by card (F5).
        # It did nothing before: the split was the one page a keyboard could not finish.
        self.amount.returnPressed.connect(self.take_cash)
        self.cash.setToolTip("Pay this part in cash (Enter in the amount)")

    def focus(self) -> None:
        self.amount.setFocus()

    def show_due(self, due: Money) -> None:
        self.keypad.bind(self.amount, typed_decimal_point(due.currency))

    def set_busy(self, busy: bool) -> None:
        for widget in (self.amount, self.keypad, self.cash, self.card):
            widget.setEnabled(not busy)

    def part_taken(self) -> None:
        self.amount.clear()

    def _part(self) -> Money | None:
        if not self.amount.text().strip():
            self.dialog.say("Type the amount of this part first.", "error")
            return None
        return self.dialog.parse(self.amount)

    def take_cash(self) -> None:
        part = self._part()
        if part is None or self.dialog.charging or self.dialog.refuses_cash(part):  # a part of 0 is no try
            return
        self.dialog.take(lambda till, _progress: till.pay_cash(part), "Recording the cash…")

    def take_card(self) -> None:
        """This part by card: on the reader at once when one is set up, else the card page with the
        amount filled in (a test payment method charges it)."""
        part = self._part()
        if part is None or self.dialog.charging:
            return
        card = self.dialog.card_page
        card.amount.setText(part.major_text())
        self.dialog.show_page(card)
        card.charge_on_reader()
