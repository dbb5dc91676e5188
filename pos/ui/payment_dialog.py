"""Take the payment: pick a (test) card, charge off the UI thread, show the receipt or the reason."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from pos.domain.redaction import redact
from pos.domain.receipt import render_text
from pos.domain.test_cards import TEST_PAYMENT_METHODS
from pos.services.checkout import Cancelled, ChargeResult, Declined, Failed, Paid, Pending

from .feedback import show_message
from .widgets import named
from . import printing
from .workers import run_in_background


class PaymentDialog(QDialog):
    paid = Signal(object)  # the Receipt, as soon as the payment went through (the till prints it)

    def __init__(self, amount_text: str, pay: Callable, locale: str, parent=None):
        super().__init__(parent)
        self.setObjectName("paymentDialog")
        self.setWindowTitle("Card payment")
        self.setModal(True)
        self.resize(520, 560)
        self._pay = pay
        self._locale = locale
        self._charging = False
        self._cancel_requested = False
        self.result_value: ChargeResult | None = None

        self.amount = named(QLabel(amount_text), "amountLabel")
        font = self.amount.font()
        font.setPointSize(28)
        font.setBold(True)
        self.amount.setFont(font)
        self.amount.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.methods = named(QListWidget(), "paymentMethodList")
        for pm in TEST_PAYMENT_METHODS:
            item = QListWidgetItem(f"{pm.brand} •••• {pm.last4} — {pm.outcome}")
            item.setData(Qt.ItemDataRole.UserRole, pm.id)
            self.methods.addItem(item)
        self.methods.setCurrentRow(0)
        self.message = named(QLabel(""), "paymentMessage")
        self.message.setWordWrap(True)
        self.busy = named(QProgressBar(), "busyIndicator")
        self.busy.setRange(0, 0)
        self.busy.setVisible(False)
        self.charge_button = named(QPushButton("Charge"), "chargeButton")
        self.charge_button.setDefault(True)
        self.charge_button.setMinimumHeight(48)
        self.cancel_button = named(QPushButton("Cancel"), "cancelPaymentButton")
        self.cancel_button.setMinimumHeight(48)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.charge_button, 1)

        pay_page = QWidget()
        pay_layout = QVBoxLayout(pay_page)
        pay_layout.addWidget(self.amount)
        pay_layout.addWidget(QLabel("Test payment method (no card numbers are ever entered):"))
        pay_layout.addWidget(self.methods, 1)
        pay_layout.addWidget(self.message)
        pay_layout.addWidget(self.busy)
        pay_layout.addLayout(buttons)

        self.receipt_view = named(QPlainTextEdit(), "receiptView")
        self.receipt_view.setReadOnly(True)
        self.receipt_view.setFont(printing.monospace_font())
        self.receipt_note = named(QLabel(""), "receiptNote")
        self.receipt_note.setWordWrap(True)
        self.new_sale_button = named(QPushButton("New sale"), "newSaleButton")
        self.new_sale_button.setMinimumHeight(48)
        receipt_page = QWidget()
        receipt_layout = QVBoxLayout(receipt_page)
        receipt_layout.addWidget(QLabel("<b>Paid.</b> Receipt:"))
        receipt_layout.addWidget(self.receipt_view, 1)
        receipt_layout.addWidget(self.receipt_note)
        receipt_layout.addWidget(self.new_sale_button)

        self.pages = QStackedWidget()
        self.pages.addWidget(pay_page)
        self.pages.addWidget(receipt_page)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)

        self.charge_button.clicked.connect(self.charge)
        self.methods.itemDoubleClicked.connect(lambda _i: self.charge())
        self.cancel_button.clicked.connect(self._cancel_clicked)
        self.new_sale_button.clicked.connect(self.accept)

    @property
    def charging(self) -> bool:
        return self._charging

    def selected_method(self) -> str | None:
        item = self.methods.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def charge(self) -> None:
        method = self.selected_method()
        if self._charging or method is None:
            return  # one charge at a time: a second click does nothing
        self._set_charging(True, "Charging the card…")
        run_in_background(
            lambda progress: self._pay(method, progress),
            on_success=self._finished,
            on_failure=self._crashed,
            on_progress=self._progress,
        )

    def _set_charging(self, charging: bool, text: str = "") -> None:
        self._charging = charging
        self.busy.setVisible(charging)
        self.methods.setEnabled(not charging)
        self.charge_button.setEnabled(not charging)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel" if not charging else "Stop")
        self._say(text, "info")

    def _say(self, text: str, kind: str) -> None:
        show_message(self.message, text, kind)

    def _progress(self, text: str) -> None:
        self._say(text, "info")

    def _finished(self, result: ChargeResult) -> None:
        self._set_charging(False)
        self.result_value = result
        if isinstance(result, Paid):
            self.paid.emit(result.receipt)
            self.receipt_view.setPlainText(render_text(result.receipt, locale=self._locale))
            if result.earlier:
                self.receipt_note.setText(
                    "This is the receipt of the earlier payment, which went through after "
                    "all. Items added since stay in the cart for the next payment."
                )
            elif self._cancel_requested:
                self.receipt_note.setText("The payment went through before it could be stopped.")
            self.pages.setCurrentIndex(1)
            self.new_sale_button.setFocus()
            self.setWindowTitle("Paid")
            return
        if self._cancel_requested:
            self.reject()
            return
        if isinstance(result, Declined):
            self._say(result.message + " The cart is kept.", "error")
        elif isinstance(result, Cancelled):
            self._say(result.message + " The cart is kept.", "error")
        elif isinstance(result, Pending):
            self._say(result.message, "warning")
        elif isinstance(result, Failed):
            self._say(
                result.message + ("" if result.money_may_have_moved else " The cart is kept."),
                "warning" if result.money_may_have_moved else "error",
            )

    def _crashed(self, exc: Exception) -> None:
        self._set_charging(False)
        self._say(
            f"Something went wrong: {redact(str(exc))}. Nothing is lost; the till checks this sale on restart.", "error"
        )

    def _cancel_clicked(self) -> None:
        if self._charging:
            # The request is already with Stripe; stopping it mid-flight could lose its answer.
            # Wait for the answer, then close (a payment that went through still gets its receipt).
            self._cancel_requested = True
            self.cancel_button.setEnabled(False)
            self._say("Stopping as soon as Stripe answers…", "info")
            return
        self.reject()

    def reject(self) -> None:
        if self._charging:
            self._cancel_clicked()  # Esc while charging: the same safe stop
            return
        super().reject()
