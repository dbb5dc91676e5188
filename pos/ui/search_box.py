"""The sale screen's search field, which also takes scans, and what shows at it: the message of a
scan that found nothing (with a sound), and the products to pick from when a name matches several.

What Enter finds is the catalog service's rule (services/catalog.py, `Catalog.look_up`); this widget
only shows the answer. A scanner types its code and Enter into whatever has focus, so everything here
keeps the next scan working: a failed code stays selected (the next scan replaces it instead of
being appended to it), Esc clears, and a pick returns the focus to the field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from pos.domain.catalog import Product
from pos.services.catalog import Choices, Found, LabelFound, NotFound

from .feedback import show_message
from .widgets import named, spoken

if TYPE_CHECKING:
    from pos.services.catalog import SaleScreenCatalog

CHOICE_HEIGHT = 48  # a pick is a touch target (44 px and more)


class SearchBox(QWidget):
    product_chosen = Signal(object)  # Product: picked, found by its code, or the one match of a name
    label_scanned = Signal(object)  # services.catalog.Labelled
    not_found = Signal(str)  # the message shown at the field (the window repeats it in the status bar)

    def __init__(self, catalog: SaleScreenCatalog, locale: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._catalog = catalog
        self._locale = locale
        # The sound of a failed scan. A hook so a test (offscreen, where nothing sounds) sees it called.
        self.beep: Callable[[], None] = QApplication.beep
        self.field = spoken(
            named(QLineEdit(), "searchField"),
            "Search or scan",
            "Type a name, SKU or barcode and press Enter, or scan. Esc clears.",
        )
        self.field.setPlaceholderText("Search by name, SKU or barcode — or scan")
        self.field.setClearButtonEnabled(True)
        self.field.setToolTip("Type or scan, then Enter to add. Esc clears the search.")
        self.message = spoken(named(QLabel(""), "searchMessage"), "Search message", "Why the last scan added nothing")
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        self.choices = spoken(
            named(QListWidget(), "searchChoices"),
            "Matching products",
            "Several products match: pick one with the arrow keys and Enter, or tap it. Esc closes.",
        )
        self.choices.setVisible(False)
        self.choices.setUniformItemSizes(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field)
        layout.addWidget(self.message)
        layout.addWidget(self.choices)

        self.field.returnPressed.connect(self.enter)
        self.field.textEdited.connect(self._edited)
        self.choices.itemActivated.connect(self._picked)  # Enter on a row, or a double click
        self.choices.itemClicked.connect(self._picked)  # a tap
        # Esc anywhere on the sale screen clears the search (a dialog above it keeps its own Esc).
        self.escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self, context=Qt.ShortcutContext.WindowShortcut)
        self.escape.activated.connect(self.clear)
        self.field.installEventFilter(self)
        self.choices.installEventFilter(self)

    # -- what the cashier does --------------------------------------------------------
    def enter(self) -> None:
        """Enter in the field: what the catalog finds is added, offered, or said."""
        text = self.field.text().strip()
        if not text:
            return
        found = self._catalog.look_up(text)
        if isinstance(found, LabelFound):
            self.clear()
            self.label_scanned.emit(found.label)
        elif isinstance(found, Found):
            self.clear()
            self.product_chosen.emit(found.product)
        elif isinstance(found, Choices):
            self._offer(found)
        elif isinstance(found, NotFound):
            self._refuse(found.message)

    def clear(self) -> None:
        """Esc: the search, its message and its choices gone; the field ready for the next scan."""
        self.field.clear()
        self._hide_feedback()
        self.field.setFocus()

    # -- what shows -------------------------------------------------------------------
    def _refuse(self, message: str) -> None:
        self._hide_choices()
        show_message(self.message, message, "error")
        self.message.setVisible(True)
        # The failed code stays visible to read, selected: the next scan replaces it.
        self.field.selectAll()
        self.field.setFocus()
        self.beep()
        self.not_found.emit(message)

    def _offer(self, found: Choices) -> None:
        self.choices.clear()
        for product in found.products:
            item = QListWidgetItem(f"{product.name}   {product.price.format(self._locale)}")
            item.setData(Qt.ItemDataRole.UserRole, product)
            item.setSizeHint(QSize(0, CHOICE_HEIGHT))
            self.choices.addItem(item)
        rows = len(found.products)
        self.choices.setFixedHeight(min(rows, 5) * CHOICE_HEIGHT + 2 * self.choices.frameWidth())
        self.choices.setVisible(True)
        self.choices.setCurrentRow(0)
        more = " Type more of the name to see the rest." if found.more else ""
        matched = "1 product matches: pick it" if rows == 1 else f"{rows} products match: pick one"
        show_message(self.message, f"{matched}.{more}", "info")
        self.message.setVisible(True)
        self.choices.setFocus()

    def _picked(self, item: QListWidgetItem) -> None:
        product: Product = item.data(Qt.ItemDataRole.UserRole)
        self.clear()
        self.product_chosen.emit(product)

    def _edited(self, _text: str) -> None:
        self._hide_feedback()  # typing (or the next scan) starts a new search

    def _hide_feedback(self) -> None:
        self.message.setVisible(False)
        self.message.setText("")
        self._hide_choices()

    def _hide_choices(self) -> None:
        self.choices.clear()
        self.choices.setVisible(False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        if watched is self.field and event.key() == Qt.Key.Key_Down and self.choices.isVisible():
            self.choices.setFocus()  # Down from the field goes into the choices, as in any drop-down
            return True
        if watched is self.choices and event.key() == Qt.Key.Key_Up and self.choices.currentRow() <= 0:
            self.field.setFocus()  # and Up from the first match back to the field, the matches still offered
            return True
        if watched is self.choices and event.key() == Qt.Key.Key_Backspace:
            self.field.setFocus()  # correcting what was typed: the field, one character less
            self.field.deselect()
            self.field.end(False)
            self.field.backspace()
            return True
        if watched is self.choices and event.text().isprintable() and event.text().strip():
            # Typing (or the next scan) while the choices are open starts a new search in the field.
            self.clear()
            self.field.insert(event.text())
            return True
        return super().eventFilter(watched, event)
