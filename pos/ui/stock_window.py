"""Back office → Stock: on-hand of every tracked product, the low-stock alert list, a delivery
received by scanning or typing, a count whose variance is shown before a manager approves it, and
goods transferred to another location of the shop.

The widget only calls services.stock.Stock: the rules (quantities in the product's unit, a count
only with a manager's approval) are the service's and the domain's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pos.domain.errors import PosError
from pos.domain.money import Money
from pos.domain.stock import Variance, format_quantity
from pos.domain.staff import Permission

from .feedback import show_message
from .widgets import named

if TYPE_CHECKING:  # annotations only: the window's frame paints before the services load
    from pos.services.session import Session

# with_approval(permission, what, then(approved_by)): the main window's, so a manager's PIN is asked
# the same way as for any other approval.
Approve = Callable[[Permission, str, Callable[[str], None]], None]


class StockWindow(QDialog):
    def __init__(self, context: Session, approve: Approve, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stockWindow")
        self.setWindowTitle("Stock")
        self.resize(720, 640)
        self.context = context
        self.approve = approve
        self.variances: list[Variance] = []
        layout = QVBoxLayout(self)
        self.levels = named(QTableWidget(0, 5), "stockLevels")
        self.levels.setHorizontalHeaderLabels(["SKU", "Name", "Unit", "On hand", "Low at"])
        self.levels.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.levels)
        layout.addWidget(named(QLabel("Low stock (reorder):"), "lowStockTitle"))
        self.low = named(QListWidget(), "lowStockList")
        self.low.setMaximumHeight(120)
        layout.addWidget(self.low)

        form = QFormLayout()
        self.sku = named(QLineEdit(), "stockSku")
        self.sku.setPlaceholderText("scan or type the SKU")
        self.quantity = named(QLineEdit(), "stockQuantity")
        self.cost = named(QLineEdit(), "stockCost")
        self.cost.setPlaceholderText("cost per unit (optional)")
        form.addRow("Product", self.sku)
        form.addRow("Quantity", self.quantity)
        form.addRow("Cost", self.cost)
        self.transfer_to = named(QLineEdit(), "transferTo")
        self.transfer_to.setPlaceholderText("another location of the shop, for a transfer")
        form.addRow("Send to", self.transfer_to)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.receive_button = named(QPushButton("Receive delivery"), "receiveButton")
        self.check_button = named(QPushButton("Check count"), "checkCountButton")
        self.apply_button = named(QPushButton("Apply count…"), "applyCountButton")
        self.apply_button.setEnabled(False)
        self.transfer_button = named(QPushButton("Transfer out"), "transferButton")
        for button in (self.receive_button, self.check_button, self.apply_button, self.transfer_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.variance = named(QLabel(""), "countVariance")
        self.message = named(QLabel(""), "stockMessage")
        self.message.setWordWrap(True)
        layout.addWidget(self.variance)
        layout.addWidget(self.message)
        self.receive_button.clicked.connect(self.receive)
        self.transfer_button.clicked.connect(self.transfer)
        self.check_button.clicked.connect(self.check_count)
        self.apply_button.clicked.connect(self.apply_count)
        self.sku.textChanged.connect(lambda _t: self._forget_count())
        self.quantity.textChanged.connect(lambda _t: self._forget_count())
        self.reload()

    def say(self, text: str, error: bool = False) -> None:
        show_message(self.message, text, "error" if error else "info")

    def reload(self) -> None:
        stock, currency = self.context.stock, self.context.settings.currency
        levels = stock.levels()
        self.levels.setRowCount(len(levels))
        for row, level in enumerate(levels):
            cells = (
                level.sku,
                level.name,
                level.unit.value,
                format_quantity(level.on_hand_milli, level.unit),
                "" if level.low_stock_milli is None else format_quantity(level.low_stock_milli, level.unit),
            )
            for column, value in enumerate(cells):
                self.levels.setItem(row, column, QTableWidgetItem(value))
        self.low.clear()
        for level in stock.low_stock():
            last = level.last_cost_minor
            cost = "" if last is None else f", last cost {Money(last, currency).format(self.context.settings.locale)}"
            on_hand = format_quantity(level.on_hand_milli, level.unit)
            low_at = format_quantity(level.low_stock_milli or 0, level.unit)
            self.low.addItem(f"{level.name} ({level.sku}): {on_hand} {level.unit.value}, low at {low_at}{cost}")

    def on_hand(self, sku: str) -> str:
        """What the table shows for `sku` ("" if it is not listed)."""
        for row in range(self.levels.rowCount()):
            key, on_hand = self.levels.item(row, 0), self.levels.item(row, 3)
            if key is not None and on_hand is not None and key.text() == sku:
                return on_hand.text()
        return ""

    def receive(self) -> None:
        sku = self.sku.text().strip()
        try:
            self.context.stock.receive(sku, self.quantity.text(), self.cost.text().strip())
        except PosError as exc:
            self.say(f"Not received: {exc}.", error=True)
            return
        self.say(f"Received {self.quantity.text().strip()} of {sku}.")
        self.quantity.clear()
        self.reload()

    def transfer(self) -> None:
        """The quantity sent to another location: out of here now; in there once this till synced."""
        sku, to, here = self.sku.text().strip(), self.transfer_to.text().strip(), self.context.settings.location
        try:
            self.context.stock.transfer(sku, self.quantity.text(), to, here)
        except PosError as exc:
            self.say(f"Not sent: {exc}.", error=True)
            return
        self.say(f"Sent {self.quantity.text().strip()} of {sku} to {to}; it arrives there after this till's next sync.")
        self.quantity.clear()
        self.reload()

    def _forget_count(self) -> None:
        self.variances = []
        self.apply_button.setEnabled(False)
        self.variance.setText("")

    def check_count(self) -> None:
        """The variance of what was counted, shown before anything changes."""
        sku = self.sku.text().strip()
        try:
            counted = self.context.stock.counted_quantity(sku, self.quantity.text())
            self.variances = self.context.stock.count({sku: counted}, approved_by="", apply=False)
        except PosError as exc:
            self.say(f"Not counted: {exc}.", error=True)
            return
        v = self.variances[0]
        self.variance.setText(
            f"{v.sku}: the till says {format_quantity(v.expected_milli, v.unit)}, counted "
            f"{format_quantity(v.counted_milli, v.unit)}: variance {format_quantity(v.difference_milli, v.unit)}"
        )
        self.apply_button.setEnabled(True)

    def apply_count(self) -> None:
        if not self.variances:
            return
        counted = {v.sku: v.counted_milli for v in self.variances}
        staff = self.context.staff

        def apply(approved_by: str) -> None:
            # Approved by a manager's PIN, or by the signed-in person who may approve it alone.
            by = approved_by or (staff.current.name if staff.current is not None else "back office")
            try:
                done = self.context.stock.count(counted, approved_by=by, apply=True)
            except PosError as exc:
                self.say(f"Not applied: {exc}.", error=True)
                return
            self._forget_count()
            self.say(f"Count applied ({len(done)} products), approved by {by}.")
            self.reload()

        self.approve(Permission.STOCK_COUNT, "a stock count", apply)
