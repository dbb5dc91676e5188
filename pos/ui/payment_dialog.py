"""Take the payment: card (on the card reader, or a test payment method), cash with change, or any mix
until the total is covered.

Every tender runs off the UI thread (the till's journal and Stripe); the dialog
shows what is left to pay after each part, and the receipt with the change at
the end. A sale with parts paid is never silently dropped: Cancel then offers to
void it, which gives every part back (cards through Stripe, cash from the drawer).
"""

from __future__ import annotations

import threading
from typing import Callable, Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from pos.domain.cash import quick_amounts, round_cash
from pos.domain.money import Money, MoneyError
from pos.domain.receipt import Receipt, render_text
from pos.domain.redaction import redact
from pos.domain.tender import Tender, TenderKind
from pos.domain.test_cards import TEST_PAYMENT_METHODS
from pos.services.checkout import Cancelled, ChargeResult, Declined, Failed, Paid, PartPaid, Pending, VoidResult
from pos.services.readers import TEST_CARDS, CardReaders, ReaderError

from . import printing
from .feedback import show_message
from .widgets import ask_yes_no, named
from .workers import run_in_background

Progress = Callable[[str], None]


class Tenders(Protocol):
    """What the dialog asks of the till (services.till.Till); each call runs in a worker."""

    @property
    def rounding_step(self) -> int: ...
    def pay_card(self, amount: Money, payment_method: str, progress: Progress = ...) -> ChargeResult: ...
    def pay_on_reader(
        self,
        amount: Money,
        reader_id: str,
        progress: Progress = ...,
        stop: threading.Event | None = ...,
        tipping: bool = ...,
    ) -> ChargeResult: ...
    def pay_cash(self, tendered: Money) -> ChargeResult: ...
    def void_sale(self, reason: str = ...) -> VoidResult: ...


def _big(label: QLabel, points: int) -> QLabel:
    font = label.font()
    font.setPointSize(points)
    font.setBold(True)
    label.setFont(font)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


class PaymentDialog(QDialog):
    paid = Signal(object)  # the Receipt, as soon as the sale is paid in full (the till prints it, drawer first if cash)
    drawer = Signal(str)  # cash went in or out before the sale was paid (a cash part, a void): open the drawer

    def __init__(
        self,
        till: Tenders,
        total: Money,
        due: Money,
        paid_so_far: tuple[Tender, ...],
        locale: str,
        guard: Callable[[Callable[[], object]], object] = lambda call: call(),
        parent=None,
        readers: CardReaders | None = None,
    ):
        """`guard` wraps each call to the till in the worker (the window turns CheckoutError into Failed);
        `readers`: the till's card reader, offered first when one is set up."""
        super().__init__(parent)
        self.setObjectName("paymentDialog")
        self.setWindowTitle("Payment")
        self.setModal(True)
        self.resize(560, 640)
        self._till = till
        self._guard = guard
        self._locale = locale
        self._charging = False
        self._cancel_requested = False
        self._due = due
        self._tenders: list[Tender] = list(paid_so_far)
        self.result_value: ChargeResult | VoidResult | None = None
        self._readers = readers if readers is not None and readers.reader_id else None
        self.total = total
        # The window's guard for voiding a sale paid in part (a manager's approval when needed).
        self.before_void: Callable[[Callable[[str], None]], None] = lambda go: go("")
        self.void_approved_by = ""
        self._stop_reader: threading.Event | None = None  # set while the reader waits for the customer

        self.amount = _big(named(QLabel(total.format(locale)), "amountLabel"), 28)
        self.due_label = _big(named(QLabel(""), "amountDueLabel"), 18)
        self.tenders_label = named(QLabel(""), "tendersLabel")
        self.tenders_label.setWordWrap(True)

        self.card_tender = named(QPushButton("Card"), "cardTenderButton")
        self.cash_tender = named(QPushButton("Cash"), "cashTenderButton")
        kinds = QButtonGroup(self)
        for button in (self.card_tender, self.cash_tender):
            button.setCheckable(True)
            button.setMinimumHeight(44)
            kinds.addButton(button)
        self.card_tender.setChecked(True)
        kinds_row = QHBoxLayout()
        kinds_row.addWidget(self.card_tender)
        kinds_row.addWidget(self.cash_tender)

        # The card tender: how much (all that is due, or part of it) and the test payment method.
        self.card_amount = named(QLineEdit(), "cardAmountField")
        self.card_amount.setPlaceholderText("amount to charge to this card")
        self.methods = named(QListWidget(), "paymentMethodList")
        for pm in TEST_PAYMENT_METHODS:
            item = QListWidgetItem(f"{pm.brand} •••• {pm.last4} — {pm.outcome}")
            item.setData(Qt.ItemDataRole.UserRole, pm.id)
            self.methods.addItem(item)
        self.methods.setCurrentRow(0)
        self.charge_button = named(QPushButton("Charge"), "chargeButton")
        self.charge_button.setDefault(True)
        self.charge_button.setMinimumHeight(48)
        # The card reader (Stripe Terminal): the customer taps, inserts or swipes on it.
        self.reader_button = named(QPushButton("Card reader"), "cardReaderButton")
        self.reader_button.setMinimumHeight(48)
        self.reader_status = named(QLabel(""), "readerStatus")
        self.reader_status.setWordWrap(True)
        self.cancel_reader = named(QPushButton("Cancel on reader"), "cancelReaderButton")
        self.cancel_reader.setMinimumHeight(44)
        self.cancel_reader.setEnabled(False)
        reader_row = QHBoxLayout()
        reader_row.addWidget(self.reader_button, 2)
        reader_row.addWidget(self.cancel_reader, 1)
        # Demo and test mode: play the customer through Stripe's test helper.
        self.simulate_card = named(QComboBox(), "simulateCardList")
        for label, number in TEST_CARDS:
            self.simulate_card.addItem(label, number)
        self.simulate_tip = named(QLineEdit(), "simulateTipField")
        self.simulate_tip.setPlaceholderText("tip (optional)")
        self.simulate_tip.setMaximumWidth(120)
        self.simulate_tip.setVisible(readers is not None and readers.tipping)  # no tip screen, no tip
        self.simulate_button = named(QPushButton("Simulate card"), "simulateCardButton")
        self.simulate_button.setEnabled(False)
        self.simulate_row = QWidget()
        simulate_layout = QHBoxLayout(self.simulate_row)
        simulate_layout.setContentsMargins(0, 0, 0, 0)
        simulate_layout.addWidget(QLabel("Customer:"))
        simulate_layout.addWidget(self.simulate_card, 1)
        simulate_layout.addWidget(self.simulate_tip)
        simulate_layout.addWidget(self.simulate_button)
        self.reader_box = QWidget()
        reader_layout = QVBoxLayout(self.reader_box)
        reader_layout.setContentsMargins(0, 0, 0, 0)
        reader_layout.addLayout(reader_row)
        reader_layout.addWidget(self.reader_status)
        reader_layout.addWidget(self.simulate_row)
        self.reader_box.setVisible(self._readers is not None)
        self.simulate_row.setVisible(self._readers is not None and self._readers.can_simulate)

        card_page = QWidget()
        card_layout = QVBoxLayout(card_page)
        card_layout.setContentsMargins(0, 0, 0, 0)
        card_layout.addWidget(QLabel("Charge to the card (less than due splits the bill):"))
        card_layout.addWidget(self.card_amount)
        card_layout.addWidget(self.reader_box)
        card_layout.addWidget(
            QLabel(
                "Or a test payment method (no card numbers are ever entered):"
                if self._readers
                else "Test payment method (no card numbers are ever entered):"
            )
        )
        card_layout.addWidget(self.methods, 1)
        card_layout.addWidget(self.charge_button)

        # The cash tender: what the customer handed over, quick amounts, and the change.
        self.cash_field = named(QLineEdit(), "cashTenderedField")
        self.cash_field.setPlaceholderText("cash handed over")
        self.quick = QGridLayout()
        self.quick_buttons: list[QPushButton] = []
        for n in range(4):
            button = named(QPushButton(""), f"quickCash{n}")
            button.setMinimumHeight(40)
            button.clicked.connect(lambda _checked=False, b=button: self._quick_cash(b))
            self.quick.addWidget(button, 0, n)
            self.quick_buttons.append(button)
        self.change_label = _big(named(QLabel(""), "changeLabel"), 20)
        self.complete_cash = named(QPushButton("Take cash"), "completeCashButton")
        self.complete_cash.setMinimumHeight(48)
        cash_page = QWidget()
        cash_layout = QVBoxLayout(cash_page)
        cash_layout.setContentsMargins(0, 0, 0, 0)
        cash_layout.addWidget(QLabel("Cash handed over:"))
        cash_layout.addWidget(self.cash_field)
        cash_layout.addLayout(self.quick)
        cash_layout.addWidget(self.change_label)
        cash_layout.addStretch(1)
        cash_layout.addWidget(self.complete_cash)

        self.tender_pages = QStackedWidget()
        self.tender_pages.addWidget(card_page)
        self.tender_pages.addWidget(cash_page)

        self.message = named(QLabel(""), "paymentMessage")
        self.message.setWordWrap(True)
        self.busy = named(QProgressBar(), "busyIndicator")
        self.busy.setRange(0, 0)
        self.busy.setVisible(False)
        self.cancel_button = named(QPushButton("Cancel"), "cancelPaymentButton")
        self.cancel_button.setMinimumHeight(44)

        pay_page = QWidget()
        pay_layout = QVBoxLayout(pay_page)
        pay_layout.addWidget(self.amount)
        pay_layout.addWidget(self.due_label)
        pay_layout.addWidget(self.tenders_label)
        pay_layout.addLayout(kinds_row)
        pay_layout.addWidget(self.tender_pages, 1)
        pay_layout.addWidget(self.message)
        pay_layout.addWidget(self.busy)
        pay_layout.addWidget(self.cancel_button)

        self.change_due = _big(named(QLabel(""), "changeDueLabel"), 26)
        self.receipt_view = named(QPlainTextEdit(), "receiptView")
        self.receipt_view.setReadOnly(True)
        self.receipt_view.setFont(printing.monospace_font())
        self.receipt_note = named(QLabel(""), "receiptNote")
        self.receipt_note.setWordWrap(True)
        self.new_sale_button = named(QPushButton("New sale"), "newSaleButton")
        self.new_sale_button.setMinimumHeight(48)
        receipt_page = QWidget()
        receipt_layout = QVBoxLayout(receipt_page)
        receipt_layout.addWidget(self.change_due)
        receipt_layout.addWidget(QLabel("<b>Paid.</b> Receipt:"))
        receipt_layout.addWidget(self.receipt_view, 1)
        receipt_layout.addWidget(self.receipt_note)
        receipt_layout.addWidget(self.new_sale_button)

        self.pages = QStackedWidget()
        self.pages.addWidget(pay_page)
        self.pages.addWidget(receipt_page)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)

        self.card_tender.clicked.connect(lambda: self.show_tender(TenderKind.CARD))
        self.cash_tender.clicked.connect(lambda: self.show_tender(TenderKind.CASH))
        self.charge_button.clicked.connect(self.charge)
        self.reader_button.clicked.connect(self.charge_on_reader)
        self.cancel_reader.clicked.connect(self.stop_reader)
        self.simulate_button.clicked.connect(self.simulate)
        self.methods.itemDoubleClicked.connect(lambda _i: self.charge())
        self.cash_field.textChanged.connect(self._show_change)
        self.cash_field.returnPressed.connect(self.take_cash)
        self.complete_cash.clicked.connect(self.take_cash)
        self.cancel_button.clicked.connect(self._cancel_clicked)
        self.new_sale_button.clicked.connect(self.accept)
        self._show_due()
        if self._readers is not None:
            self.reader_button.setDefault(True)
            self.charge_button.setDefault(False)
            self.reader_status.setText("The customer pays on the card reader; press Card reader to send the amount.")

    # -- what is due ------------------------------------------------------------------
    @property
    def charging(self) -> bool:
        return self._charging

    @property
    def due(self) -> Money:
        return self._due

    def _fmt(self, amount: Money) -> str:
        return amount.format(self._locale)

    def _show_due(self) -> None:
        self.due_label.setText(f"To pay: {self._fmt(self._due)}")
        paid = "; ".join(f"{t.label} {self._fmt(t.amount)}" for t in self._tenders)
        self.tenders_label.setText(f"Paid so far: {paid}" if paid else "")
        self.card_amount.setText(self._due.major_text())
        amounts = quick_amounts(self._due, self._till.rounding_step)
        for n, button in enumerate(self.quick_buttons):
            button.setVisible(n < len(amounts))
            if n < len(amounts):
                button.setText(self._fmt(amounts[n]))
                button.setProperty("minor", amounts[n].minor)
        self.cancel_button.setText("Void sale…" if self._tenders else "Cancel")
        self._show_change()

    def show_tender(self, kind: TenderKind) -> None:
        cash = kind is TenderKind.CASH
        (self.cash_tender if cash else self.card_tender).setChecked(True)
        self.tender_pages.setCurrentIndex(1 if cash else 0)
        (self.cash_field if cash else self.methods).setFocus()

    def _quick_cash(self, button: QPushButton) -> None:
        self.cash_field.setText(Money(int(button.property("minor")), self._due.currency).major_text())
        self.take_cash()

    def _parse(self, field: QLineEdit) -> Money | None:
        try:
            amount = Money.parse(field.text() or "0", self._due.currency)
        except MoneyError:
            self._say(f"Type an amount like {Money(1250, self._due.currency).major_text()}.", "error")
            return None
        return amount

    def _show_change(self) -> None:
        try:
            tendered = Money.parse(self.cash_field.text(), self._due.currency)
        except MoneyError:
            self.change_label.setText("")
            return
        cash_due = round_cash(self._due, self._till.rounding_step)
        if tendered >= cash_due:
            self.change_label.setText(f"Change: {self._fmt(tendered - cash_due)}")
        elif tendered.minor > 0:
            self.change_label.setText(f"Still to pay after this: {self._fmt(self._due - tendered)}")
        else:
            self.change_label.setText("")

    # -- tenders ------------------------------------------------------------------------
    def selected_method(self) -> str | None:
        item = self.methods.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def charge(self) -> None:
        method = self.selected_method()
        if self._charging or method is None:
            return  # one charge at a time: a second click does nothing
        amount = self._parse(self.card_amount)
        if amount is None:
            return
        self._set_charging(True, "Charging the card…")
        till, guard = self._till, self._guard
        run_in_background(
            lambda progress: guard(lambda: till.pay_card(amount, method, progress)),
            on_success=self._finished,
            on_failure=self._crashed,
            on_progress=self._progress,
        )

    def charge_on_reader(self) -> None:
        """Send the amount to the card reader and wait (on a worker) for the customer to pay."""
        readers = self._readers
        if self._charging or readers is None or readers.reader_id is None:
            return
        amount = self._parse(self.card_amount)
        if amount is None:
            return
        reader_id = readers.reader_id
        tipping = readers.tipping
        stop = self._stop_reader = threading.Event()
        self._set_charging(True, "Sending the amount to the card reader…")
        self.cancel_reader.setEnabled(True)
        self.simulate_button.setEnabled(True)
        self.reader_status.setText("Sending the amount to the card reader…")
        till, guard = self._till, self._guard
        run_in_background(
            lambda progress: guard(lambda: till.pay_on_reader(amount, reader_id, progress, stop, tipping)),
            on_success=self._reader_finished,
            on_failure=self._reader_crashed,
            on_progress=self._reader_progress,
        )

    def _reader_progress(self, text: str) -> None:
        self.reader_status.setText(text)
        self._say(text, "info")

    def stop_reader(self) -> None:
        """Cancel the reader's wait: safe at any moment (a tap that beat it still gives the receipt)."""
        if self._stop_reader is None:
            return
        self._stop_reader.set()
        self.cancel_reader.setEnabled(False)
        self.reader_status.setText("Cancelling on the card reader…")

    def _reader_done(self) -> None:
        self._stop_reader = None
        self.cancel_reader.setEnabled(False)
        self.simulate_button.setEnabled(False)

    def _reader_finished(self, result: ChargeResult) -> None:
        self._reader_done()
        if isinstance(result, (Declined, Failed, Pending, Cancelled)):
            self.reader_status.setText(result.message)
        elif isinstance(result, (Paid, PartPaid)):
            self.reader_status.setText("Paid on the card reader.")
        self._finished(result)

    def _reader_crashed(self, exc: Exception) -> None:
        self._reader_done()
        self._crashed(exc)

    def simulate(self) -> None:
        """Demo and test mode: the customer presents the chosen test card (with the tip, if any)."""
        readers = self._readers
        if readers is None or self._stop_reader is None:
            return
        tip = None
        if self.simulate_tip.text().strip():
            tip = self._parse(self.simulate_tip)
            if tip is None:
                return
        number = self.simulate_card.currentData()
        self.simulate_button.setEnabled(False)
        run_in_background(
            lambda _p: readers.simulate(number, tip),
            on_success=lambda _r: None,
            on_failure=self._simulate_failed,
        )

    def _simulate_failed(self, exc: Exception) -> None:
        self.simulate_button.setEnabled(self._stop_reader is not None)
        text = str(exc) if isinstance(exc, ReaderError) else f"The simulated card was not presented: {redact(str(exc))}"
        self._say(text, "error")

    def take_cash(self) -> None:
        if self._charging:
            return
        tendered = self._parse(self.cash_field)
        if tendered is None:
            return
        self._set_charging(True, "Recording the cash…")
        till, guard = self._till, self._guard
        run_in_background(
            lambda _progress: guard(lambda: till.pay_cash(tendered)),
            on_success=self._finished,
            on_failure=self._crashed,
        )

    def _set_charging(self, charging: bool, text: str = "") -> None:
        self._charging = charging
        self.busy.setVisible(charging)
        for widget in (
            self.methods,
            self.charge_button,
            self.reader_button,
            self.complete_cash,
            self.cash_field,
            self.card_amount,
        ):
            widget.setEnabled(not charging)
        for widget in (self.card_tender, self.cash_tender, *self.quick_buttons):
            widget.setEnabled(not charging)
        self.cancel_button.setEnabled(True)
        if charging:
            self.cancel_button.setText("Stop")
        else:
            self.cancel_button.setText("Void sale…" if self._tenders else "Cancel")
        self._say(text, "info")

    def _say(self, text: str, kind: str) -> None:
        show_message(self.message, text, kind)

    def _progress(self, text: str) -> None:
        self._say(text, "info")

    def _finished(self, result: ChargeResult) -> None:
        self._set_charging(False)
        self.result_value = result
        if isinstance(result, Paid):
            self._show_receipt(result)
            return
        if isinstance(result, PartPaid):
            self._tenders.append(result.tender)
            self._due = result.due
            if result.tender.kind is TenderKind.CASH:
                self.drawer.emit("cash part of a sale")
            self.cash_field.clear()
            self._show_due()
            self._say(f"{result.tender.label} {self._fmt(result.tender.amount)} taken.", "info")
            if not self._cancel_requested:
                return
        if self._cancel_requested:
            self._cancel_requested = False
            if self._tenders:  # part is paid: the cashier decides (void, or take the rest)
                self._say("Part of this sale is paid. Take the rest, or void the sale.", "warning")
                return
            self.reject()
            return
        if isinstance(result, (Declined, Cancelled)):
            self._say(result.message + " The cart is kept.", "error")
        elif isinstance(result, Pending):
            self._say(result.message, "warning")
        elif isinstance(result, Failed):
            self._say(
                result.message + ("" if result.money_may_have_moved else " The cart is kept."),
                "warning" if result.money_may_have_moved else "error",
            )

    def _show_receipt(self, result: Paid) -> None:
        receipt: Receipt = result.receipt
        self.paid.emit(receipt)
        cash = [t for t in receipt.tenders if t.kind is TenderKind.CASH]  # the window opens the drawer as it prints
        change = sum((t.change for t in cash if t.change), Money(0, receipt.total.currency))
        self.change_due.setText(f"Change: {self._fmt(change)}" if change else "")
        self.change_due.setVisible(bool(change))
        self.receipt_view.setPlainText(render_text(receipt, locale=self._locale))
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

    def _crashed(self, exc: Exception) -> None:
        self._set_charging(False)
        self._say(
            f"Something went wrong: {redact(str(exc))}. Nothing is lost; the till checks this sale on restart.", "error"
        )

    # -- leaving ------------------------------------------------------------------------
    def void(self) -> None:
        """Give back every paid part and close the sale (after the cashier confirms, and a manager
        approves when the cashier may not void alone)."""
        self.before_void(self._void)

    def _void(self, approved_by: str) -> None:
        self.void_approved_by = approved_by
        paid = ", ".join(f"{t.label} {self._fmt(t.amount)}" for t in self._tenders)
        if not ask_yes_no(
            self,
            "Void this sale?",
            f"Part of this sale is paid ({paid}). Voiding gives it all back: card parts are refunded "
            "through Stripe, cash is handed back from the drawer. The cart stays on the till.",
        ):
            return
        self._set_charging(True, "Giving the paid parts back…")
        till, guard = self._till, self._guard
        run_in_background(
            lambda _progress: guard(lambda: till.void_sale("voided by the cashier")),
            on_success=self._voided,
            on_failure=self._crashed,
        )

    def _voided(self, result: VoidResult) -> None:
        self._set_charging(False)
        self.result_value = result
        if not result.voided:
            self._say(result.message, "error")
            return
        if result.cash:
            self.drawer.emit("void: hand back cash")
        self._tenders = []
        super().reject()

    def _cancel_clicked(self) -> None:
        if self._charging and self._stop_reader is not None:
            # Waiting on the reader: cancel its action (a tap that beat the cancel still pays).
            self._cancel_requested = True
            self.stop_reader()
            self.cancel_button.setEnabled(False)
            return
        if self._charging:
            # The request is already with Stripe; stopping it mid-flight could lose its answer.
            # Wait for the answer, then close (a payment that went through still gets its receipt).
            self._cancel_requested = True
            self.cancel_button.setEnabled(False)
            self._say("Stopping as soon as Stripe answers…", "info")
            return
        if self._tenders:
            self.void()
            return
        super().reject()

    def reject(self) -> None:
        if self._charging or self._tenders:
            self._cancel_clicked()  # Esc: the same safe stop, and never a silent drop of a paid part
            return
        super().reject()
