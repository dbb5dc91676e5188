"""The till's keyboard: every hotkey in one table, which the window and the payment dialog bind, the
tooltips name, and Help → Keyboard shortcuts lists (one place, so the sheet never tells a key that
does something else).

A hotkey that takes money (Cash, Exact cash, Card) only chooses what the buttons choose: the payment
dialog's own pages take it, with the same checks as a tap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pos.domain.cash import round_cash
from pos.domain.tender import TenderKind

from .widgets import named, spoken

if TYPE_CHECKING:
    from .payment_dialog import PaymentDialog
    from .search_box import SearchBox


@dataclass(frozen=True)
class Hotkey:
    keys: str  # as QKeySequence reads it (PortableText)
    what: str  # what it does, in the cashier's words
    where: str  # the screen it works on

    def sequence(self) -> QKeySequence:
        return QKeySequence(self.keys)

    def shown(self) -> str:
        """The keys as the cashier reads them on this system (Ctrl on Linux and Windows, ⌘ on a Mac)."""
        return self.sequence().toString(QKeySequence.SequenceFormat.NativeText) or self.keys


SALE = "Sale screen"
CART = "Cart (a line chosen)"
PAYMENT = "Payment"

SEARCH = Hotkey("Ctrl+F", "Search products (or just scan)", SALE)
CLEAR_SEARCH = Hotkey("Esc", "Clear the search", SALE)
GO_TO_CART = Hotkey("F4", "Go to the cart's lines", SALE)
NEW_SALE = Hotkey("Ctrl+N", "New sale: clear the cart (asks first)", SALE)
PAY = Hotkey("F12", "Pay", SALE)
SHORTCUTS = Hotkey("F1", "These keyboard shortcuts (on the payment screen too)", SALE)
MORE = Hotkey("+", "One more of the line", CART)
LESS = Hotkey("-", "One less of the line", CART)
REMOVE = Hotkey("Del", "Remove the line", CART)
CARD = Hotkey("F5", "Card", PAYMENT)
CASH = Hotkey("F6", "Cash: type what was handed over, then Enter", PAYMENT)
EXACT_CASH = Hotkey("F7", "Exact cash: the amount due, taken at once", PAYMENT)
GIFT_CARD = Hotkey("F8", "Gift card or store credit: type or scan its code", PAYMENT)
NEXT_SALE = Hotkey("Ctrl+N", "New sale, once paid", PAYMENT)

HOTKEYS: tuple[Hotkey, ...] = (
    SEARCH,
    CLEAR_SEARCH,
    GO_TO_CART,
    NEW_SALE,
    PAY,
    SHORTCUTS,
    MORE,
    LESS,
    REMOVE,
    CARD,
    CASH,
    EXACT_CASH,
    GIFT_CARD,
    NEXT_SALE,
)
OTHER_KEYS = (  # what Qt itself gives every screen, listed so the sheet is the whole story
    ("Tab / Shift+Tab", "Next / previous control", SALE),
    ("Arrow keys", "Move between products, tabs and lines", SALE),
    ("Space or Enter", "Press the control that has the focus ring", SALE),
    ("Enter", "Add what was typed or scanned; with several matches, pick one", SALE),
    ("Enter", "Take what was typed: the cash handed over, a split part in cash, a card amount on the reader", PAYMENT),
)


def tip(text: str, hotkey: Hotkey) -> str:
    """A tooltip that names its key, so the cashier learns the hotkeys from the buttons."""
    return f"{text} ({hotkey.shown()})"


def shortcut(hotkey: Hotkey, parent: QWidget, slot: Callable[[], object]) -> QShortcut:
    """The hotkey, active while the parent's window is (a dialog above it keeps its own keys)."""
    # `Qt` is imported where used: PySide6 builds all of its ~95 enums on the first touch, and the
    # window's first paint needs none of them (issue 27 item 3; tests/ui/test_first_paint_imports.py).
    from PySide6.QtCore import Qt

    bound = QShortcut(hotkey.sequence(), parent, context=Qt.ShortcutContext.WindowShortcut)
    bound.activated.connect(slot)
    return bound


# -- the payment dialog -----------------------------------------------------------------------------
def bind_payment_keys(dialog: PaymentDialog, search: SearchBox | None = None) -> None:
    """Card, Cash, Exact cash, Gift card and New sale on the payment dialog's keys, named in its tooltips;
    with the sale screen's search box, what is typed on a paid sale's receipt goes there (ReceiptKeys)."""
    if TenderKind.CARD in dialog.pages_by_kind:
        shortcut(CARD, dialog, lambda: _choose(dialog, TenderKind.CARD))
        dialog.tender_buttons[type(dialog.pages_by_kind[TenderKind.CARD])].setToolTip(tip("Pay by card", CARD))
    if TenderKind.CASH in dialog.pages_by_kind:
        shortcut(CASH, dialog, lambda: _choose(dialog, TenderKind.CASH))
        shortcut(EXACT_CASH, dialog, lambda: exact_cash(dialog))
        dialog.tender_buttons[type(dialog.pages_by_kind[TenderKind.CASH])].setToolTip(tip("Pay in cash", CASH))
    if TenderKind.GIFT_CARD in dialog.pages_by_kind:
        shortcut(GIFT_CARD, dialog, lambda: _choose(dialog, TenderKind.GIFT_CARD))
        button = dialog.tender_buttons[type(dialog.pages_by_kind[TenderKind.GIFT_CARD])]
        button.setToolTip(tip("Pay with a gift card or store credit", GIFT_CARD))
    shortcut(NEXT_SALE, dialog, lambda: _next_sale(dialog))
    dialog.new_sale_button.setToolTip(tip("Close the receipt and start the next sale", NEXT_SALE))
    # F1 in the dialog too: it is modal, so the window's Help action never saw the key there.
    shortcut(SHORTCUTS, dialog, lambda: ShortcutsSheet(dialog).open())
    if search is not None:
        forward = ReceiptKeys(dialog, search)
        for widget in (dialog, *dialog.findChildren(QWidget)):
            widget.installEventFilter(forward)


class ReceiptKeys(QObject):
    """On a paid sale's receipt (it stays up, with the focus, until the next item is rung up), what is
    typed or scanned is the next sale's: it goes to the sale screen's search field, and its Enter
    adds it there (the receipt then steps aside), instead of being lost in the receipt."""

    def __init__(self, dialog: PaymentDialog, search: SearchBox) -> None:
        super().__init__(dialog)
        self._dialog, self._search = dialog, search

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if self._dialog.pages.currentIndex() != 1:
            return False
        field = self._search.field
        if event.text().isprintable() and event.text().strip():
            field.window().activateWindow()
            field.setFocus()
            field.insert(event.text())
            return True
        from PySide6.QtCore import Qt

        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and field.text().strip():
            self._search.enter()
            return True
        return False


def _on_pay_page(dialog: PaymentDialog) -> bool:
    return dialog.pages.currentIndex() == 0 and not dialog.charging


def _choose(dialog: PaymentDialog, kind: TenderKind) -> None:
    """What a tap on the tender's button does (the button's own signal, so the two never differ)."""
    button = dialog.tender_buttons[type(dialog.pages_by_kind[kind])]
    if _on_pay_page(dialog) and button.isEnabled():
        button.click()


def exact_cash(dialog: PaymentDialog) -> None:
    """The cash due (rounded to the store's cash step, as a note and coins pay it), taken at once:
    the cash page's Exact button when it has one, else the same amount typed and taken."""
    if not _on_pay_page(dialog):
        return
    _choose(dialog, TenderKind.CASH)
    exact_button = dialog.cash_page.findChild(QPushButton, "exactCashButton")
    if exact_button is not None:
        if exact_button.isEnabled():
            exact_button.click()
        return
    exact = round_cash(dialog.due, dialog.till.rounding_step)
    dialog.cash_page.field.setText(exact.major_text())
    dialog.cash_page.take()


def _next_sale(dialog: PaymentDialog) -> None:
    if dialog.pages.currentIndex() == 1:
        dialog.new_sale_button.click()


# -- Help → Keyboard shortcuts ----------------------------------------------------------------------
def help_menu(window: QMainWindow) -> QMenu:
    """The window's Help menu (About this till shares it): the one already on the menu bar, by its
    title, whichever part of the window made it; else made here, last."""
    for action in window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and action.text().replace("&", "") == "Help":
            return menu
    return window.menuBar().addMenu("&Help")


def add_shortcuts_sheet(window: QMainWindow) -> QAction:
    """Help → Keyboard shortcuts (F1): the sheet, opened over the window."""
    action = QAction("&Keyboard shortcuts", window)
    action.setShortcut(SHORTCUTS.sequence())
    action.triggered.connect(lambda: ShortcutsSheet(window).open())
    help_menu(window).addAction(action)
    window.addAction(action)
    return action


class ShortcutsSheet(QDialog):
    """Every hotkey, where it works, and what it does (the table above, nothing typed twice)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsSheet")
        self.setWindowTitle("Keyboard shortcuts")
        from PySide6.QtCore import Qt

        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(620, 640)
        rows = [(h.shown(), h.what, h.where) for h in HOTKEYS] + list(OTHER_KEYS)
        self.table = spoken(
            named(QTableWidget(len(rows), 3), "shortcutsTable"),
            "Keyboard shortcuts",
            "Each key, what it does, and where it works",
        )
        self.table.setHorizontalHeaderLabels(["Key", "What it does", "Where"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for col in (0, 2):
            self.table.horizontalHeader().setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        for row, cells in enumerate(rows):
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))
        intro = QLabel("Every action on the till has a key. Tab moves between controls; the focused one has a ring.")
        intro.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.table.setFocus()

    def keys(self) -> list[str]:
        return [item.text() for row in range(self.table.rowCount()) if (item := self.table.item(row, 0))]
