"""The gift card page: the code typed or scanned, its balance, and Redeem (the smaller of the balance
and what is due, or the amount typed). The till's services check and take it; this page only shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from pos.domain.money import Money
from pos.domain.tender import TenderKind
from pos.services.giftcards import GiftCardError

from ..widgets import named
from ..workers import run_in_background
from . import TenderPage, page

if TYPE_CHECKING:
    from pos.ui.payment_dialog import PaymentDialog


@page
class GiftCardPage(TenderPage):
    # A store credit code is a card of the same ledger: typed here, booked as store credit by the service.
    kinds = (TenderKind.GIFT_CARD, TenderKind.STORE_CREDIT)
    position = 2
    button_name = "giftCardTenderButton"

    def __init__(self, dialog: PaymentDialog):
        super().__init__(dialog)
        self.code = named(QLineEdit(), "giftCardCodeField")
        self.code.setPlaceholderText("type or scan the card's code")
        self.code.setAccessibleName("Gift card or store credit code")
        self.check = named(QPushButton("Check balance"), "checkGiftCardButton")
        self.amount = named(QLineEdit(), "giftCardRedeemAmountField")
        self.amount.setPlaceholderText("all it can pay")
        self.amount.setAccessibleName("Amount to take from the card")
        self.balance = named(QLabel(""), "giftCardBalanceLabel")
        self.balance.setWordWrap(True)
        self.redeem = named(QPushButton("Redeem"), "redeemGiftCardButton")
        self.redeem.setMinimumHeight(48)
        row = QHBoxLayout()
        row.addWidget(self.code, 1)
        row.addWidget(self.check)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Gift card or store credit code:"))
        layout.addLayout(row)
        layout.addWidget(QLabel("Amount (leave empty for all the card can pay):"))
        layout.addWidget(self.amount)
        layout.addWidget(self.balance)
        layout.addStretch(1)
        layout.addWidget(self.redeem)
        self.check.clicked.connect(self.show_balance)
        self.code.returnPressed.connect(self.show_balance)
        self.redeem.clicked.connect(self.take)

    def focus(self) -> None:
        self.code.setFocus()

    def set_busy(self, busy: bool) -> None:
        for widget in (self.code, self.check, self.amount, self.redeem):
            widget.setEnabled(not busy)

    def part_taken(self) -> None:
        self.code.clear()
        self.amount.clear()
        self.balance.setText("")

    def show_balance(self) -> None:
        """Ask the service what the card holds and would pay of what is due (a lookup at the shop
        may take a moment: on a worker, like a tender)."""
        if self.code.isReadOnly():
            return  # a check is running (a second Enter or scan waits for it)
        code = self.code.text()
        due = self.dialog.due

        def looked(result) -> None:
            self._checking(False)
            self.balance.setText(result if isinstance(result, str) else result.message)
            self.code.selectAll()  # the next scan replaces the code

        self._checking(True)
        run_in_background(
            lambda _report: self._check(code, due),
            on_success=looked,
            on_failure=lambda exc: looked(f"The card could not be checked ({exc})."),
        )

    def _checking(self, busy: bool) -> None:
        # Read-only, not disabled: a disabled field hands its focus on, and Qt gave it to Cancel.
        self.code.setReadOnly(busy)
        for widget in (self.check, self.amount, self.redeem):
            widget.setEnabled(not busy)

    def _check(self, code: str, due: Money):
        try:
            return self.dialog.till.check_gift_card(code, due)
        except GiftCardError as exc:
            return str(exc)

    def take(self) -> None:
        if self.dialog.charging:
            return
        asked = None
        if self.amount.text().strip():
            asked = self.dialog.parse(self.amount)
            if asked is None:
                return
        code = self.code.text()
        self.dialog.take(lambda till, _progress: till.pay_gift_card(code, asked), "Taking the gift card…")
