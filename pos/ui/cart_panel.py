"""The cart: lines with quantities, and totals that always add up."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGridLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pos.domain.money import Money
from pos.domain.cart import MAX_QUANTITY, Cart, CartError, LineTotals, parse_quantity
from pos.domain.cart_summary import Row, cart_summary, line_amount
from pos.services.staff import VoidKind

from . import keyboard
from .widgets import TouchButton, ask_yes_no, named, spoken


class CartPanel(QWidget):
    changed = Signal()
    problem = Signal(str)

    def __init__(self, cart: Cart, locale: str, parent=None):
        super().__init__(parent)
        self.cart = cart
        self._locale = locale
        # The window's guards (manager approval, voids): by default nothing is asked.
        self.before_void: Callable[[VoidKind, Money, str, Callable[[], None]], None] = lambda _k, _a, _w, go: go()
        self.check_discount: Callable[[object, Callable[[], None]], None] = lambda _before, go: go()
        # What was drawn (issue 27 item 5): the cart as of its version (every change bumps it) and
        # tax mode, and each row's line. A refresh of a cart drawn already draws nothing (a scan is
        # drawn by the panel, then heard back from the counter); a row whose line is the same is not
        # drawn again, so a scan draws its own line, not the cart.
        self._drawn_cart: tuple[int, bool, str] | None = None
        self._drawn: list[tuple[LineTotals, bool]] = []
        self.table = named(QTableWidget(0, 4), "cartTable")
        self.table.setHorizontalHeaderLabels(["Item", "Qty", "Unit price", "Line total"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            self.table.horizontalHeader().setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # In the Tab order: a line is chosen with the arrow keys and changed with + − Delete (eventFilter).
        self.table.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.table.setTabKeyNavigation(False)  # Tab leaves the cart for the line's buttons, as elsewhere
        self.table.installEventFilter(self)
        spoken(self.table, "Cart", "The sale's lines. Arrow keys choose a line; + and − change it, Delete removes it.")

        self.minus = named(TouchButton("−"), "decreaseButton")  # as narrow as a touch target allows
        self.plus = named(TouchButton("+"), "increaseButton")
        self.quantity = named(QSpinBox(), "quantitySpin")
        self.quantity.setRange(1, MAX_QUANTITY)
        # A touch target; a tap opens the keypad. Its arrows are the theme's to hide (− and + are
        # beside it): NoButtons under the theme's style sheet left the number a 1 px wide field.
        self.quantity.setMinimumSize(64, 44)
        self.quantity.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.quantity.setAccessibleName("Quantity")
        self.quantity.setToolTip("The selected line's quantity: tap for the keypad, or type it")
        self._quantity_editor = self.quantity.findChild(QLineEdit)
        if self._quantity_editor is not None:
            self._quantity_editor.installEventFilter(self)
        self.remove = named(QPushButton("Remove"), "removeLineButton")
        self.clear = named(QPushButton("Clear cart"), "clearCartButton")
        self.discount_button = named(QPushButton("Discount…"), "discountButton")
        self.discount_button.setToolTip("A discount on the selected line or the whole sale, with a reason")
        for w in (self.minus, self.plus, self.remove, self.clear, self.discount_button):
            w.setMinimumHeight(44)
        self.minus.setToolTip(keyboard.tip("One less of the selected line", keyboard.LESS))
        self.plus.setToolTip(keyboard.tip("One more of the selected line", keyboard.MORE))
        self.remove.setToolTip(keyboard.tip("Remove the selected line", keyboard.REMOVE))
        self.clear.setToolTip(keyboard.tip("Remove every line: a new sale", keyboard.NEW_SALE))
        spoken(self.minus, "One less", self.minus.toolTip())
        spoken(self.plus, "One more", self.plus.toolTip())
        line_tools = self.line_tools = QGridLayout()
        self.set_compact(False)

        self.subtotal_label = named(QLabel(), "subtotalLabel")
        self.tax_label = named(QLabel(), "taxLabel")
        self.total_label = named(QLabel(), "totalLabel")
        self.discount_label = named(QLabel(), "discountLabel")
        self.discount_caption = QLabel("Discounts")
        for label in (self.subtotal_label, self.tax_label, self.total_label, self.discount_label):
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.tax_caption = QLabel("Tax")
        self.subtotal_caption = QLabel("Subtotal")
        # Prices with tax in them: the tax inside the total, one quiet line under it (domain/cart_summary.py).
        self.includes_tax_label = named(QLabel(), "includesTaxLabel")
        self.includes_tax_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        totals = QFormLayout()
        totals.addRow(self.discount_caption, self.discount_label)
        totals.addRow(self.subtotal_caption, self.subtotal_label)
        totals.addRow(self.tax_caption, self.tax_label)
        totals.addRow(QLabel("<b>Total</b>"), self.total_label)
        totals.addRow(self.includes_tax_label)

        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(line_tools)
        layout.addLayout(totals)

        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.minus.clicked.connect(lambda: self._step(-1))
        self.plus.clicked.connect(lambda: self._step(+1))
        self.quantity.editingFinished.connect(self._quantity_typed)
        self.remove.clicked.connect(self._remove)
        self.clear.clicked.connect(self.ask_clear)
        self.discount_button.clicked.connect(self.open_discount)
        self.refresh()

    def set_compact(self, compact: bool) -> None:
        """The line's tools on one row, or on two in a narrow (800x600) window."""
        tools: tuple[QWidget, ...] = (
            self.minus,
            self.quantity,
            self.plus,
            self.remove,
            self.discount_button,
            self.clear,
        )
        for tool in tools:
            self.line_tools.removeWidget(tool)
        for n, tool in enumerate(tools):
            self.line_tools.addWidget(tool, n // 3 if compact else 0, n % 3 if compact else n)

    # -- actions ------------------------------------------------------------------
    def add(self, product) -> None:
        try:
            self.cart.add(product)
        except CartError as exc:
            self.problem.emit(str(exc))
            return
        self.refresh(select=next(i for i, line in enumerate(self.cart.lines) if line.product.sku == product.sku))
        self.changed.emit()

    def add_priced(self, product, price, measure=None) -> bool:
        """A line at a price of its own (a scale label, an open price, a custom amount); False if
        the cart refused it (its problem said why)."""
        try:
            self.cart.add_priced(product, price, measure)
        except CartError as exc:
            self.problem.emit(str(exc))
            return False
        self.refresh(select=len(self.cart.lines) - 1)
        self.changed.emit()
        return True

    def selected_row(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def set_quantity(self, row: int, quantity: int) -> None:
        fewer = self.cart.lines[row].quantity - quantity
        if quantity == 0:  # − on a line of one, or 0 typed: the line removed, so Remove's rule
            self.table.selectRow(row)
            self._remove()
            return
        if 0 < fewer:
            # Fewer of a line takes items off as Remove does: after Pay it is a void (the window's rule).
            line = self.cart.totals().lines[row]
            # The box shows the cart's quantity until the void is done (not approved: it stays), so the
            # box losing the focus to the reason's question does not ask again.
            self.refresh(select=row)
            self.before_void(
                VoidKind.LINE,
                line.unit_price * fewer,
                f"taking {fewer} × {line.name} off",
                lambda: self._set_quantity(row, quantity),
            )
            return
        self._set_quantity(row, quantity)

    def _set_quantity(self, row: int, quantity: int) -> None:
        try:
            self.cart.set_quantity(row, quantity)
        except CartError as exc:
            self.problem.emit(str(exc))
            return
        self.refresh(select=row if quantity else None)
        self.changed.emit()

    def _step(self, delta: int) -> None:
        row = self.selected_row()
        if row is not None:
            self.set_quantity(row, self.cart.lines[row].quantity + delta)

    def _quantity_typed(self) -> None:
        row = self.selected_row()
        if row is not None and self.quantity.value() != self.cart.lines[row].quantity:
            self.set_quantity(row, self.quantity.value())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._quantity_editor and event.type() == QEvent.Type.MouseButtonRelease:
            self.open_quantity()
        elif watched is self.table and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            # + − Delete on the chosen line (the table ignores them; the buttons do the same).
            step = {Qt.Key.Key_Plus: +1, Qt.Key.Key_Equal: +1, Qt.Key.Key_Minus: -1}.get(Qt.Key(event.key()))
            if step is not None:
                self._step(step)
                return True
            if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self._remove()
                return True
        return super().eventFilter(watched, event)

    def focus_lines(self) -> None:
        """The cart's lines take the keys (F4): the chosen line, or the last one rung up."""
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if self.selected_row() is None and self.cart.lines:
            self.table.selectRow(len(self.cart.lines) - 1)

    def open_quantity(self) -> None:
        """The selected line's quantity on the on-screen keypad."""
        from .open_price import QuantityDialog

        row = self.selected_row()
        if row is None:
            return
        self.quantity_dialog = QuantityDialog(
            self.cart.lines[row].product.name, parse_quantity, lambda n: self.set_quantity(row, n), self
        )
        self.quantity_dialog.open()

    def _remove(self) -> None:
        row = self.selected_row()
        if row is None:
            return

        def remove() -> None:
            self.cart.remove(row)
            self.refresh()
            self.changed.emit()

        line = self.cart.totals().lines[row]
        self.before_void(VoidKind.LINE, line.gross, f"removing {line.quantity} × {line.name}", remove)

    def open_discount(self) -> None:
        from .discount_dialog import DiscountDialog

        if self.cart.is_empty():
            return
        row = self.selected_row()
        before = self.cart.discounts_snapshot()
        self.discount_dialog = DiscountDialog(self.cart, row, self)
        self.discount_dialog.accepted.connect(lambda: self.check_discount(before, lambda: self._discounted(row)))
        self.discount_dialog.open()

    def _discounted(self, row: int | None) -> None:
        self.refresh(select=row)
        self.changed.emit()

    def ask_clear(self) -> None:
        if self.cart.is_empty():
            return
        if ask_yes_no(self, "Clear cart", "Remove every item from the cart?"):

            def clear() -> None:
                self.cart.clear()
                self.refresh()
                self.changed.emit()

            self.before_void(VoidKind.CART, self.cart.totals().total, "clearing the cart", clear)

    # -- rendering ------------------------------------------------------------------
    def _draw_row(self, row: int, line: LineTotals, amounts: list[str]) -> None:
        name = line.name
        if line.measure:
            name += f"  {line.measure.describe()}"
        if line.discount_reason:
            name += f"  (less {line.discount_reason})"
        for col, text in enumerate([name, str(line.quantity), *amounts]):
            item = self.table.item(row, col)
            if item is not None:  # a row drawn before (another line's, or this one's before a change)
                if item.text() != text:
                    item.setText(text)
                continue
            item = QTableWidgetItem(text)
            if col:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, col, item)

    def _selection_changed(self) -> None:
        row = self.selected_row()
        for w in (self.minus, self.plus, self.quantity, self.remove):
            w.setEnabled(row is not None)
        if row is not None:
            self.quantity.blockSignals(True)
            self.quantity.setValue(self.cart.lines[row].quantity)
            self.quantity.blockSignals(False)

    def refresh(self, select: int | None = None) -> None:
        """The lines and totals drawn as the cart is now, then the row `select`ed. Only what changed
        since the last refresh is drawn: nothing for a cart drawn already, else the rows whose line
        changed (a scan: its own line) and the totals."""
        cart = (self.cart.version, self.cart.tax_inclusive, self.cart.currency)
        if cart != self._drawn_cart:
            self._draw()
            self._drawn_cart = cart
        if select is not None and select < len(self.cart.lines) and select != self.selected_row():
            self.table.selectRow(select)
        self._selection_changed()

    def _draw(self) -> None:
        fmt = lambda m: m.format(self._locale)  # noqa: E731
        totals = self.cart.totals()
        inclusive = self.cart.tax_inclusive
        self.table.setRowCount(len(totals.lines))
        del self._drawn[len(totals.lines) :]
        for row, line in enumerate(totals.lines):
            if row < len(self._drawn) and self._drawn[row] == (line, inclusive):
                continue  # drawn already, as it is
            self._draw_row(row, line, [fmt(line.unit_price), fmt(line_amount(line, inclusive))])
            self._drawn[row : row + 1] = [(line, inclusive)]
        # Which rows show, and their words, are the domain's (cart_summary): with tax included the
        # total and "includes tax"; with tax added Subtotal / Tax / Total.
        rows = {r.row: r for r in cart_summary(totals, self.cart.tax_inclusive)}
        # Amounts formatted for the rows that show only (a new amount is ~0.1 ms of Babel, and a
        # scan makes new ones; with tax included, Subtotal and Tax do not show).
        self.subtotal_label.setText(fmt(totals.subtotal) if Row.SUBTOTAL in rows else "")
        self.tax_label.setText(fmt(totals.tax) if Row.TAX in rows else "")
        self.total_label.setText(fmt(totals.total))
        self.discount_label.setText("-" + fmt(totals.discount) if Row.DISCOUNTS in rows else "")
        if Row.DISCOUNTS in rows:
            self.discount_caption.setText(rows[Row.DISCOUNTS].caption)
        included = rows.get(Row.INCLUDES_TAX)
        self.includes_tax_label.setText(f"{included.caption} {fmt(included.amount)}" if included else "")
        for kind, widgets in (
            (Row.DISCOUNTS, (self.discount_label, self.discount_caption)),
            (Row.SUBTOTAL, (self.subtotal_label, self.subtotal_caption)),
            (Row.TAX, (self.tax_label, self.tax_caption)),
            (Row.INCLUDES_TAX, (self.includes_tax_label,)),
        ):
            for widget in widgets:
                widget.setVisible(kind in rows)
        self.clear.setEnabled(not self.cart.is_empty())
        self.discount_button.setEnabled(not self.cart.is_empty())
