"""Cash into or out of the drawer other than by a sale: the opening float, paid in, paid out."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pos.domain.money import Money, MoneyError
from pos.services.drawer import LABELS, CashDrawer, MovementKind, Moved, NotMoved
from pos.services.staff import Approval, Staff

from .staff_dialogs import with_approval
from .workers import run_in_background
from .widgets import named


class CashMovementDialog(QDialog):
    def __init__(self, drawer: CashDrawer, staff: Staff, currency: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.staff = staff
        self.approval_dialog: QDialog | None = None
        self.setObjectName("cashMovementDialog")
        self.setWindowTitle("Cash in or out of the drawer")
        self.drawer, self.currency = drawer, currency
        self.kind = named(QComboBox(), "cashMovementKind")
        for kind in MovementKind:
            self.kind.addItem(LABELS[kind], kind.value)
        self.amount = named(QLineEdit(), "cashMovementAmount")
        self.amount.setPlaceholderText(f"in {currency}, like 100.00")
        self.reason = named(QLineEdit(), "cashMovementReason")
        self.reason.setPlaceholderText("why: milk from the market, change from the bank…")
        self.message = named(QLabel(""), "cashMovementMessage")
        self.message.setWordWrap(True)
        self.record = named(QPushButton("Record and open the drawer"), "recordCashMovementButton")
        self.busy = False
        form = QFormLayout()
        form.addRow("What", self.kind)
        form.addRow(f"Amount ({currency})", self.amount)
        form.addRow("Reason", self.reason)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.record)
        layout.addWidget(close)
        self.record.clicked.connect(lambda: self.submit())

    def submit(self, approval: Approval | None = None) -> None:
        """Record it; when the drawer service says a manager must approve, ask, then record again."""
        if self.busy:
            return
        try:
            amount = Money.parse(self.amount.text(), self.currency)
        except MoneyError:
            self.message.setText(f"Type the amount like 100.00 ({self.currency}).")
            return
        kind, reason, drawer = MovementKind(self.kind.currentData()), self.reason.text(), self.drawer
        self.busy = True
        self.record.setEnabled(False)
        self.message.setText("Recording…")
        run_in_background(
            lambda _p: drawer.move(kind, amount, reason, approval),
            on_success=lambda result: self._done(result, approval),
            on_failure=self._failed,
        )

    def _done(self, result: Moved | NotMoved, approval: Approval | None = None) -> None:
        self.busy = False
        self.record.setEnabled(True)
        self.message.setText(result.message)
        if isinstance(result, NotMoved) and result.needs is not None and (approval is None or approval.manager):
            needs = result.needs
            what = f"{self.kind.currentText().lower()} of {self.amount.text().strip()}: {result.message}"
            self.approval_dialog = with_approval(
                self, self.staff, needs, what, lambda by: self.submit(Approval(by, needs))
            )
            return
        if isinstance(result, Moved):
            self.amount.clear()
            self.reason.clear()

    def _failed(self, exc: Exception) -> None:
        self.busy = False
        self.record.setEnabled(True)
        self.message.setText(f"Nothing was recorded: {exc}")

    def reject(self) -> None:
        if not self.busy:
            super().reject()
