"""Refund all or part of a receipt: by lines and quantities, or by amount; never more than is left."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QWidget,
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from pos.domain.errors import PosError
from pos.domain.money import Money, MoneyError
from pos.domain.refunds import (
    GIFT_CARD_KEPT,
    RefundError,
    RefundPart,
    RefundReceipt,
    gift_card_kept,
    lines_amount,
    plan_refund,
    render_refund_text,
)
from pos.domain.tender import TenderKind
from pos.services.receipt_printing import Printed, PrintResult
from pos.services.refunds import CashOwed, Refunded, given_to

from .widgets import ask_yes_no, named
from .workers import run_in_background

if TYPE_CHECKING:  # annotations only: the window's frame paints before the services load
    from pos.services.session import Session

REASONS = (("requested_by_customer", "Customer asked"), ("duplicate", "Charged twice"), ("fraudulent", "Fraud"))


class RefundDialog(QDialog):
    done_refund = Signal()
    exchanged = Signal(object)  # exchange mode: the counter's ExchangeResult, after the lines went back

    def __init__(
        self, context: Session, receipt_id: int, parent: QWidget | None = None, exchange: bool = False
    ) -> None:
        super().__init__(parent)
        self.setObjectName("refundDialog")
        self.setWindowTitle("Exchange" if exchange else "Refund")
        # Exchange mode: the lines chosen are taken back for the goods in the cart, in one sale (the
        # counter's exchange, services/exchanges.py); no amount, no cash or store credit choice.
        self.exchange = exchange
        self.resize(620, 560)
        self.context = context
        self.receipt_id = receipt_id
        self.locale_name = context.settings.locale
        self._busy = False
        self.basis = context.refunds.basis(receipt_id)
        left = Money(max(0, self.basis.remaining_minor - gift_card_kept(list(self.basis.lines))), self.basis.currency)

        self.by_lines = named(QRadioButton("Refund items"), "refundByLines")
        self.by_amount = named(QRadioButton("Refund an amount"), "refundByAmount")
        self.by_lines.setChecked(True)
        self.table = named(QTableWidget(len(self.basis.lines), 4), "refundLineTable")
        self.table.setHorizontalHeaderLabels(["Item", "Bought / refunded", "Refund now", "Back to stock"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            self.table.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.spins: dict[int, QSpinBox] = {}
        # Per line: back on the shelf (the default), or written off (damaged, opened, eaten).
        self.to_stock: dict[int, QCheckBox] = {}
        for row, line in enumerate(self.basis.lines):
            self.table.setItem(row, 0, QTableWidgetItem(line.name))
            self.table.setItem(row, 1, QTableWidgetItem(f"{line.quantity} / {line.refunded_quantity}"))
            spin = QSpinBox()
            spin.setRange(0, 0 if line.gift_card else line.remaining_quantity)
            spin.setEnabled(line.remaining_quantity > 0 and not line.gift_card)  # the card keeps it (refunds.py)
            if line.gift_card:
                spin.setToolTip(GIFT_CARD_KEPT)
            spin.valueChanged.connect(self._update_preview)
            self.table.setCellWidget(row, 2, spin)
            self.spins[line.line_no] = spin
            back = named(QCheckBox(), "returnToStock")
            back.setChecked(True)
            back.setToolTip("Untick to write the returned items off instead of putting them back in stock.")
            self.table.setCellWidget(row, 3, back)
            self.to_stock[line.line_no] = back
        self.amount = named(QLineEdit(), "refundAmountField")
        self.amount.setPlaceholderText(f"up to {left.major_text()}")
        self.reason = named(QComboBox(), "refundReason")
        for key, label in REASONS:
            self.reason.addItem(label, key)
        self.in_cash = named(QCheckBox("Give it all back in cash (from the drawer)"), "refundInCash")
        self.in_cash.setToolTip("Card parts are refunded to the card unless this is ticked.")
        self.to_store_credit = named(
            QCheckBox("Give it as store credit (a code the customer spends later)"), "refundToStoreCredit"
        )
        self.preview = named(QLabel(""), "refundPreview")
        self.preview.setWordWrap(True)
        self.message = named(QLabel(""), "refundMessage")
        self.message.setWordWrap(True)
        self.print_message = named(QLabel(""), "refundPrintMessage")
        self.print_message.setWordWrap(True)
        self.result_view = named(QPlainTextEdit(), "refundReceiptView")
        self.result_view.setReadOnly(True)
        self.result_view.setVisible(False)
        self.give_back = named(
            QCheckBox("Give what the returned goods come to beyond the new ones back to the tenders that paid"),
            "exchangeGiveBack",
        )
        self.give_back.setToolTip("Unticked, it stays on the store credit code.")
        self.give_back.setChecked(True)
        self.give_back.setVisible(exchange)
        self.confirm = named(QPushButton("Exchange" if exchange else "Refund"), "confirmRefundButton")
        self.confirm.setMinimumHeight(44)
        # Cash a refund still owes (it stopped, or the drawer did not open, before it was handed over).
        self.hand_over = named(QPushButton(""), "handOverCashButton")
        self._show_owed()

        form = QFormLayout()
        form.addRow("Amount", self.amount)
        form.addRow("Reason", self.reason)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Left to refund on this receipt: <b>{left.format(self.locale_name)}</b>"))
        layout.addWidget(self.by_lines)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.by_amount)
        layout.addLayout(form)
        layout.addWidget(QLabel(f"Paid by: {self._paid_by()}"))
        layout.addWidget(self.in_cash)
        layout.addWidget(self.to_store_credit)
        layout.addWidget(self.give_back)
        layout.addWidget(self.preview)
        layout.addWidget(self.message)
        layout.addWidget(self.result_view, 1)
        layout.addWidget(self.print_message)
        layout.addWidget(self.hand_over)
        layout.addWidget(self.confirm)

        self.by_lines.toggled.connect(self._mode_changed)
        self.amount.textChanged.connect(self._update_preview)
        self.in_cash.toggled.connect(self._update_preview)
        self.to_store_credit.toggled.connect(self._update_preview)
        # One or the other: the service refuses both (services/refunds.py), the boxes never offer both.
        self.in_cash.toggled.connect(lambda on: self._only(self.in_cash, on))
        self.to_store_credit.toggled.connect(lambda on: self._only(self.to_store_credit, on))
        self.confirm.clicked.connect(self.submit)
        self.give_back.toggled.connect(self._update_preview)
        for widget in (self.by_amount, self.amount, self.in_cash, self.to_store_credit):
            widget.setVisible(not exchange)
        self.hand_over.clicked.connect(self.hand_over_cash)
        self._mode_changed()

    def _only(self, ticked: QCheckBox, on: bool) -> None:
        if on:
            other = self.to_store_credit if ticked is self.in_cash else self.in_cash
            other.setChecked(False)

    def hand_over_cash(self) -> None:
        """The cash a refund still owes on this receipt: done and numbered now, the drawer opening for it."""
        if self._busy:
            return
        refunds, receipt_id = self.context.refunds, self.receipt_id
        self._busy = True
        self.hand_over.setEnabled(False)
        self.message.setText("Handing over the cash…")
        run_in_background(
            lambda _p: refunds.hand_over_cash(receipt_id), on_success=self._handed_over, on_failure=self._crashed
        )

    def _handed_over(self, result) -> None:
        self.hand_over.setEnabled(True)
        self._finished(result)

    def _show_owed(self) -> None:
        """The Hand over cash button, with what this receipt's refunds still owe in cash (hidden: nothing)."""
        owed = sum(r.cash_minor for r in self.context.refunds.cash_owed() if r.receipt_id == self.receipt_id)
        owed_text = Money(owed, self.basis.currency).format(self.locale_name)
        self.hand_over.setText(f"Hand over {owed_text} in cash")
        self.hand_over.setVisible(owed > 0)

    def _mode_changed(self) -> None:
        lines = self.by_lines.isChecked()
        self.table.setEnabled(lines)
        self.amount.setEnabled(not lines)
        self._update_preview()

    def chosen_lines(self) -> dict[int, int]:
        return {n: spin.value() for n, spin in self.spins.items() if spin.value()}

    def set_line_quantity(self, line_no: int, units: int) -> None:
        self.by_lines.setChecked(True)
        self.spins[line_no].setValue(units)

    def _paid_by(self) -> str:
        return "; ".join(
            f"{p.label} {Money(p.amount_minor, self.basis.currency).format(self.locale_name)}" for p in self.basis.parts
        )

    def _chosen_minor(self) -> int | None:
        try:
            if self.by_lines.isChecked():
                return lines_amount(list(self.basis.lines), self.chosen_lines(), self.basis.currency)
            return Money.parse(self.amount.text(), self.basis.currency).minor
        except PosError:
            return None

    def plan(self) -> list[RefundPart]:
        minor = self._chosen_minor()
        if not minor or minor <= 0:
            return []
        try:
            currency = self.basis.currency
            step = self.context.refunds.cash_step(currency)
            if self.exchange:  # what the exchange would do (services/exchanges.py): the credit pays the cart
                new = self.context.counter.amount_due().minor
                credit = min(minor, new) if self.give_back.isChecked() else minor
                return plan_refund(
                    list(self.basis.parts), minor, cash_step=step, currency=currency, store_credit_minor=credit
                )
            return plan_refund(
                list(self.basis.parts),
                minor,
                in_cash=self.in_cash.isChecked(),
                cash_step=step,
                currency=currency,
                to_store_credit=self.to_store_credit.isChecked(),
            )
        except RefundError:
            return []

    def _update_preview(self) -> None:
        plan = self.plan()
        if not plan:
            self.preview.setText("")
            return
        parts = {p.tender_id: p for p in self.basis.parts}

        def where(piece: RefundPart) -> str:
            if piece.tender_id is None:  # a new code (a store credit piece with a tender goes back onto its code)
                return "as store credit (a code to spend later)"
            if piece.given_as is TenderKind.CASH:
                return "in cash" + (" (for a card payment)" if piece.cash_for_card else "")
            return "to " + parts[piece.tender_id].label

        total = Money(sum(p.amount_minor for p in plan), self.basis.currency)
        pieces = ", ".join(
            f"{Money(p.cash_minor or p.amount_minor, self.basis.currency).format(self.locale_name)} {where(p)}"
            for p in plan
        )
        verb = "Take back" if self.exchange else "Refund"
        self.preview.setText(f"{verb} {total.format(self.locale_name)}: {pieces}")

    def submit(self) -> None:
        if self._busy:
            return
        if self.exchange:
            self._submit_exchange()
            return
        refunds, receipt_id, reason = self.context.refunds, self.receipt_id, self.reason.currentData()
        in_cash, credit = self.in_cash.isChecked(), self.to_store_credit.isChecked()
        if any(p.cash_for_card for p in self.plan()) and not ask_yes_no(
            self,
            "Cash for a card payment?",
            "Part of this was paid by card. Give it back in cash from the drawer instead of to the card? "
            "The till records that it was given in cash.",
        ):
            return
        if self.by_lines.isChecked():
            lines = self.chosen_lines()
            if not lines:
                self.message.setText("Choose at least one item to refund.")
                return
            off = frozenset(n for n, box in self.to_stock.items() if not box.isChecked())
            what: dict = {"lines": lines, "written_off": off}
        else:
            try:
                amount = Money.parse(self.amount.text(), self.basis.currency)
            except MoneyError:
                self.message.setText(f"Type an amount like 4.50 ({self.basis.currency}).")
                return
            what = {"amount": amount}

        def work(_progress):
            return refunds.refund(receipt_id, **what, reason=reason, in_cash=in_cash, to_store_credit=credit)

        self._busy = True
        self.confirm.setEnabled(False)
        self.message.setText("Refunding…")
        run_in_background(work, on_success=self._finished, on_failure=self._crashed)

    def _submit_exchange(self) -> None:
        lines = self.chosen_lines()
        if not lines:
            self.message.setText("Choose at least one item to take back.")
            return
        counter, receipt_id, give_back = self.context.counter, self.receipt_id, self.give_back.isChecked()
        self._busy = True
        self.confirm.setEnabled(False)
        self.message.setText("Taking the items back…")
        run_in_background(
            lambda _p: counter.exchange(receipt_id, lines, give_back),
            on_success=self._exchanged,
            on_failure=self._crashed,
        )

    def _exchanged(self, result) -> None:
        if result.refund is None:  # nothing taken back: choose again
            self._busy = False
            self.confirm.setEnabled(True)
            self.message.setText(result.message)
            return
        self._finished(result.refund)
        self.message.setText(result.message)
        self.exchanged.emit(result)

    @property
    def busy(self) -> bool:
        return self._busy

    def _finished(self, result) -> None:
        self._busy = False
        self._show_owed()  # a drawer that did not open leaves its cash owed, handed over from here
        if isinstance(result, Refunded):
            said = ", ".join(
                f"{r.handed_back.format(self.locale_name)} {given_to(r)} (refund {r.number_text})"
                for r in result.refunds
            )
            self.message.setText(f"Refunded {said}." + (f" {result.problem}" if result.problem else ""))
            self.result_view.setPlainText(
                "\n".join(render_refund_text(r, locale=self.locale_name) for r in result.refunds)
            )
            self.result_view.setVisible(True)
            self.confirm.setEnabled(False)
            self.done_refund.emit()
            self._print(result.refunds)
        else:
            self.message.setText(result.message)
            # Cash still owed is handed over with its own button, not refunded again.
            self.confirm.setEnabled(not isinstance(result, CashOwed))

    def _print(self, refunds: tuple[RefundReceipt, ...]) -> None:
        """The refund receipts on the receipt printer, if one is set up (the refunds are already saved;
        the drawer opened for the cash in them before each was done: services/refund_phases.py)."""
        printing = self.context.printing
        if not printing.configured:
            return

        def work(_progress) -> PrintResult:
            result: PrintResult = Printed("Nothing to print.")
            for refund in refunds:
                result = printing.print_refund(refund)
                if not isinstance(result, Printed):
                    return result
            return result

        def printed(result: PrintResult) -> None:
            self.print_message.setText(result.message)

        def failed(exc: Exception) -> None:
            self.print_message.setText(f"The refund receipt could not be printed: {exc}")

        self.print_message.setText("Printing the refund receipt…")
        run_in_background(work, on_success=printed, on_failure=failed)

    def _crashed(self, exc: Exception) -> None:
        self._busy = False
        self.confirm.setEnabled(True)
        self.message.setText(f"The refund could not be made: {exc}")

    def reject(self) -> None:
        if not self._busy:
            super().reject()
