"""Goods back without a receipt: what came back, how much, in cash or as store credit.

Opened from the receipts window once a manager approved it; the rules (approval, cash or store
credit only, cash steps) are the returns service's (services/returns.py), which says no in the
cashier's words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from pos.domain.money import Money, MoneyError
from pos.domain.refunds import render_refund_text
from pos.services.returns import Returned, ReturnResult

from .widgets import named
from .workers import run_in_background

if TYPE_CHECKING:
    from pos.services.session import Session


class ReturnDialog(QDialog):
    def __init__(self, context: Session, approved_by: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("returnDialog")
        self.setWindowTitle("Return without a receipt")
        self.context = context
        self.approved_by = approved_by
        self.locale_name = context.settings.locale
        self.currency = context.settings.currency
        self._busy = False
        self.note = named(QLineEdit(), "returnNoteField")
        self.note.setPlaceholderText("What the customer brought back")
        # No setMaxLength: it counts UTF-16 code units (a character outside the Basic Multilingual
        # Plane is two) and cuts a pasted note without a word; the service's rule (NOTE_MOST characters)
        # answers in the cashier's words, as at the CLI.
        self.amount = named(QLineEdit(), "returnAmountField")
        self.amount.setPlaceholderText(f"e.g. 4.50 ({self.currency})")
        # Cash or store credit only: with no receipt there is no card payment to give it back to.
        self.in_cash = named(QRadioButton("Give it back in cash (from the drawer)"), "returnInCash")
        self.to_store_credit = named(QRadioButton("Give it as store credit (a code)"), "returnToStoreCredit")
        self.to_store_credit.setChecked(True)
        self.message = named(QLabel(""), "returnMessage")
        self.message.setWordWrap(True)
        self.slip = named(QPlainTextEdit(), "returnSlipView")
        self.slip.setReadOnly(True)
        self.slip.setVisible(False)
        self.confirm = named(QPushButton("Take it back"), "confirmReturnButton")
        self.confirm.setMinimumHeight(44)

        form = QFormLayout()
        form.addRow("Item", self.note)
        form.addRow("Amount", self.amount)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel("Recorded as an UNVERIFIED return" + (f", approved by {approved_by}." if approved_by else "."))
        )
        layout.addLayout(form)
        layout.addWidget(self.in_cash)
        layout.addWidget(self.to_store_credit)
        layout.addWidget(self.message)
        layout.addWidget(self.slip, 1)
        layout.addWidget(self.confirm)
        self.confirm.clicked.connect(self.submit)

    @property
    def busy(self) -> bool:
        return self._busy

    def submit(self) -> None:
        if self._busy:
            return
        try:
            amount = Money.parse(self.amount.text(), self.currency)
        except MoneyError:
            self.message.setText(f"Type an amount like 4.50 ({self.currency}).")
            return
        returns = self.context.refunds.returns
        if returns is None:
            self.message.setText("This till cannot take returns without a receipt.")
            return
        note, credit, approved_by = self.note.text(), self.to_store_credit.isChecked(), self.approved_by
        self._busy = True
        self.confirm.setEnabled(False)
        self.message.setText("Taking it back…")
        run_in_background(
            lambda _p: returns.give_back(amount, note, to_store_credit=credit, approved_by=approved_by),
            on_success=self._finished,
            on_failure=self._crashed,
        )

    def _finished(self, result: ReturnResult) -> None:
        self._busy = False
        if isinstance(result, Returned):
            slip = result.record.slip(self.context.settings.store_name)
            given = (
                f"as store credit, code {slip.store_credit_code}"
                if slip.store_credit_code
                else "in cash from the drawer"
            )
            self.message.setText(
                f"Took it back: {result.record.amount.format(self.locale_name)} {given} (refund {slip.number_text})."
            )
            self.slip.setPlainText(render_refund_text(slip, locale=self.locale_name))
            self.slip.setVisible(True)
            self._print(slip)
            return
        self.message.setText(result.message)
        self.confirm.setEnabled(True)

    def _print(self, slip) -> None:
        printing = self.context.printing
        if printing.configured:
            run_in_background(
                lambda _p: printing.print_refund(slip), on_success=lambda _r: None, on_failure=lambda _e: None
            )

    def _crashed(self, exc: Exception) -> None:
        self._busy = False
        self.confirm.setEnabled(True)
        self.message.setText(f"The return could not be made: {exc}")

    def reject(self) -> None:
        if not self._busy:
            super().reject()
