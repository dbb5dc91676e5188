"""The card page: a card on the till's Stripe Terminal reader (kind card_present), started as the
cashier chooses Card when one is set up; in demo or test mode, a test payment method (kind card) and
the simulated customer, in a collapsed "Test tools" panel. An amount less than due splits the bill."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem
from PySide6.QtWidgets import QPushButton, QToolButton, QVBoxLayout, QWidget

from pos.domain.demo_cards import ON_READER, PAYMENT_METHODS
from pos.domain.money import Money
from pos.domain.redaction import redact
from pos.domain.tender import TenderKind
from pos.services.checkout import Cancelled, ChargeResult, Declined, Failed, Paid, PartPaid, Pending
from pos.services.readers import CardReaders, ReaderError

from ..feedback import show_message
from ..widgets import named
from ..workers import run_in_background
from . import TEST_MARK, TenderPage, page

if TYPE_CHECKING:
    from pos.ui.payment_dialog import PaymentDialog


class TestToolsPanel(QFrame):
    """Stripe's test world only (demo, or a test key): collapsed, marked, and apart from the cashier's
    own actions. What is inside is enabled only while it can work; its own message line keeps its errors
    (the reader's progress does not write over them)."""

    def __init__(self, badge: str):
        super().__init__()
        self.setObjectName("testToolsPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(f"QFrame#testToolsPanel {{ border: 2px dashed {TEST_MARK}; border-radius: 6px; }}")
        self.setAccessibleName("Test tools")
        self.toggle = named(QToolButton(), "testToolsToggle")
        self.toggle.setText(f"Test tools ({badge}: no real money)")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setMinimumHeight(44)
        self.body = QWidget()
        self.body.setVisible(False)
        self.message = named(QLabel(""), "testToolsMessage")
        self.message.setWordWrap(True)
        self.content = QVBoxLayout(self.body)
        self.content.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 6)
        layout.addWidget(self.toggle)
        layout.addWidget(self.body, 1)
        self.toggle.toggled.connect(self.set_expanded)

    @property
    def expanded(self) -> bool:
        return self.toggle.isChecked()

    def set_expanded(self, expanded: bool) -> None:
        self.toggle.setChecked(expanded)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.body.setVisible(expanded)


@page
class CardPage(TenderPage):
    kinds = (TenderKind.CARD, TenderKind.CARD_PRESENT)
    position = 0
    button_name = "cardTenderButton"

    def __init__(self, dialog: PaymentDialog):
        super().__init__(dialog)
        readers: CardReaders | None = dialog.readers
        self._all_readers = dialog.all_readers  # the reader service even with no reader set up (tip setting)
        self._readers = readers
        self._stop: threading.Event | None = None  # set while the reader waits for the customer
        self.amount = named(QLineEdit(), "cardAmountField")
        self.amount.setPlaceholderText("amount to charge to this card")
        self.amount.setAccessibleName("Amount to charge to the card")
        self.methods = named(QListWidget(), "paymentMethodList")
        for card in PAYMENT_METHODS:
            item = QListWidgetItem(card.label)
            item.setData(Qt.ItemDataRole.UserRole, card.payment_method)
            self.methods.addItem(item)
        self.methods.setCurrentRow(0)
        self.methods.setMinimumHeight(88)
        self.methods.setMaximumHeight(132)
        self.methods.setToolTip("Stripe's test payment methods: no card numbers are ever entered.")
        self.methods.setAccessibleName("Test payment method")
        self.charge_button = named(QPushButton("Charge test card"), "chargeButton")
        self.charge_button.setMinimumHeight(48)
        # The card reader (Stripe Terminal): the customer taps, inserts or swipes on it.
        self.reader_button = named(QPushButton("Send to reader"), "cardReaderButton")
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
        for card in ON_READER:
            self.simulate_card.addItem(card.label, card.number)
        self.simulate_tip = named(QLineEdit(), "simulateTipField")
        self.simulate_tip.setPlaceholderText("tip (optional)")
        self.simulate_tip.setMaximumWidth(120)
        self.simulate_tip.setVisible(self._all_readers is not None and self._all_readers.tipping)  # no tip screen
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
        self.reader_box.setVisible(readers is not None)
        self.simulate_row.setVisible(readers is not None and readers.can_simulate)

        # The test tools: only in demo or test mode (the dialog's badge says which), collapsed.
        self.tools = TestToolsPanel(dialog.badge)
        self.tools.content.addWidget(self.simulate_row)
        test_method = QHBoxLayout()
        test_method.addWidget(self.methods, 1)
        test_method.addWidget(self.charge_button, 0, Qt.AlignmentFlag.AlignTop)
        self.tools.content.addLayout(test_method)
        self.tools.content.addWidget(self.tools.message)
        self.tools.setVisible(bool(dialog.badge))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Charge to the card (less than due splits the bill):"))
        layout.addWidget(self.amount)
        layout.addWidget(self.reader_box)
        if readers is None:
            no_reader = QLabel("No card reader is set up for this till (Settings, Reader).")
            no_reader.setWordWrap(True)  # a longer language wraps it rather than clip it
            layout.addWidget(no_reader)
        layout.addWidget(self.tools)
        layout.addStretch(1)

        self.charge_button.clicked.connect(self.charge)
        self.reader_button.clicked.connect(self.charge_on_reader)
        self.cancel_reader.clicked.connect(self.stop_reader)
        self.simulate_button.clicked.connect(self.simulate)
        self.methods.itemDoubleClicked.connect(lambda _i: self.charge())
        self.amount.returnPressed.connect(self.charge_on_reader)
        if readers is not None:
            self.reader_status.setText("The customer pays on the reader: Send to reader sends the amount.")

    def chosen(self) -> None:
        """Card chosen in the row: the amount goes to the reader at once, when one is set up."""
        self.charge_on_reader()

    def focus(self) -> None:
        self.amount.setFocus()

    def show_due(self, due: Money) -> None:
        self.amount.setText(due.major_text())

    def set_busy(self, busy: bool) -> None:
        for widget in (self.methods, self.charge_button, self.reader_button, self.amount):
            widget.setEnabled(not busy)

    # -- a test payment method (kind card) ------------------------------------------------
    def selected_method(self) -> str | None:
        item = self.methods.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def charge(self) -> None:
        method = self.selected_method()
        if self.dialog.charging or method is None:
            return  # one charge at a time: a second click does nothing
        amount = self.dialog.parse(self.amount)
        if amount is None:
            return
        self.dialog.take(lambda till, progress: till.pay_card(amount, method, progress), "Charging the card…")

    # -- the card reader (kind card_present) ----------------------------------------------
    def charge_on_reader(self) -> None:
        """Send the amount to the card reader and wait (on a worker) for the customer to pay."""
        readers = self._readers
        if self.dialog.charging or readers is None or readers.reader_id is None:
            return
        amount = self.dialog.parse(self.amount)
        if amount is None:
            return
        reader_id = readers.reader_id
        tipping = readers.tipping
        stop = self._stop = threading.Event()
        self.cancel_reader.setEnabled(True)
        self.tools.message.setText("")
        self.reader_status.setText("Sending the amount to the card reader…")
        self.dialog.take(
            lambda till, progress: till.pay_on_reader(amount, reader_id, progress, stop, tipping),
            "Sending the amount to the card reader…",
            progress=self._reader_progress,
            stop=self.stop_reader,
            done=self._reader_done,
        )

    def _reader_progress(self, text: str) -> None:
        self.reader_status.setText(text)  # said here only (not again on the dialog's message line)
        self.dialog.say("", "info")
        # The simulated customer can present a card once the reader shows the amount.
        self.simulate_button.setEnabled(self._stop is not None and not self._stop.is_set())

    def stop_reader(self) -> None:
        """Cancel the reader's wait: safe at any moment (a tap that beat it still gives the receipt)."""
        if self._stop is None:
            return
        self._stop.set()
        self.cancel_reader.setEnabled(False)
        self.reader_status.setText("Cancelling on the card reader…")

    def _reader_done(self, result: ChargeResult | None) -> None:
        self._stop = None
        self.cancel_reader.setEnabled(False)
        self.simulate_button.setEnabled(False)
        if isinstance(result, (Declined, Failed, Pending, Cancelled)):
            # What happened is said once, by the dialog (the header's banner or its message line).
            self.reader_status.setText("The reader is free: Send to reader to try again.")
        elif isinstance(result, (Paid, PartPaid)):
            self.reader_status.setText("Paid on the card reader.")

    def simulate(self) -> None:
        """Demo and test mode: the customer presents the chosen test card (with the tip, if any)."""
        readers = self._readers
        if readers is None or self._stop is None:
            return
        tip = None
        if self.simulate_tip.text().strip():
            tip = self.dialog.parse(self.simulate_tip)
            if tip is None:
                return
        number = self.simulate_card.currentData()
        self.simulate_button.setEnabled(False)
        self.tools.message.setText("")
        run_in_background(
            lambda _p: readers.simulate(number, tip),
            on_success=lambda _r: None,
            on_failure=self._simulate_failed,
        )

    def _simulate_failed(self, exc: Exception) -> None:
        self.simulate_button.setEnabled(self._stop is not None)
        text = str(exc) if isinstance(exc, ReaderError) else f"The simulated card was not presented: {redact(str(exc))}"
        show_message(self.tools.message, text, "error")  # the panel's own line: progress does not overwrite it
