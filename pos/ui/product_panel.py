"""Products: category tabs, a grid of large buttons, and a search field that also takes scans."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from typing import TYPE_CHECKING

from pos.domain.catalog import Product
from pos.domain.errors import PosError

from .widgets import named

if TYPE_CHECKING:
    from pos.services.catalog import SaleScreenCatalog

COLUMNS = 4
SEARCH_DELAY_MS = 40  # coalesce a scanner's burst of keystrokes into one search


class ProductPanel(QWidget):
    product_chosen = Signal(object)  # Product
    label_scanned = Signal(object)  # services.catalog.Labelled: a scale label's product, price, weight
    label_refused = Signal(str)  # why a scale label was not read (its check digit)
    code_not_found = Signal(str)

    def __init__(self, catalog: "SaleScreenCatalog", locale: str, parent=None):
        super().__init__(parent)
        self._catalog = catalog
        self._locale = locale
        self.search = named(QLineEdit(), "searchField")
        self.search.setPlaceholderText("Search by name, SKU or barcode — or scan")
        self.search.setClearButtonEnabled(True)
        self.tabs = named(QTabBar(), "categoryTabs")
        self.tabs.setExpanding(False)
        self.grid_host = named(QWidget(), "productGrid")
        self.grid = QGridLayout(self.grid_host)
        self.grid.setSpacing(8)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.empty = named(QLabel(""), "productGridEmpty")
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid_host)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.tabs)
        layout.addWidget(self.empty)
        layout.addWidget(scroll, 1)

        self._timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._timer.timeout.connect(self._run_search)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.search.returnPressed.connect(self._enter_pressed)
        self.tabs.currentChanged.connect(lambda _i: self._show_category())
        self.reload()

    def reload(self) -> None:
        self.tabs.blockSignals(True)
        while self.tabs.count():
            self.tabs.removeTab(0)
        for name in self._catalog.categories():
            self.tabs.addTab(name)
        self.tabs.blockSignals(False)
        self._show_category()

    def _show_category(self) -> None:
        if self.search.text().strip():
            return self._run_search()
        index = self.tabs.currentIndex()
        products = self._catalog.in_category(self.tabs.tabText(index)) if index >= 0 else []
        self._fill(products, "No products yet: import a catalog (pos catalog import FILE.csv).")

    def _run_search(self) -> None:
        query = self.search.text().strip()
        if not query:
            return self._show_category()
        self._fill(self._catalog.search(query), f"Nothing matches “{query}”.")

    def _enter_pressed(self) -> None:
        """Enter on an exact barcode or SKU (typed or scanned) adds that product."""
        code = self.search.text().strip()
        if not code:
            return
        self._timer.stop()
        try:
            label = self._catalog.find_label(code)
        except PosError as exc:  # a misread label: scan it again
            self.label_refused.emit(str(exc))
            return
        if label is not None:
            self.search.clear()
            self.label_scanned.emit(label)
            return
        product = self._catalog.find_code(code)
        if product is None:
            matches = self._catalog.search(code, limit=2)
            if len(matches) == 1:
                product = matches[0]
        if product is None:
            self.code_not_found.emit(code)
            return
        self.search.clear()
        self.product_chosen.emit(product)

    def _fill(self, products: list[Product], empty_text: str) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.empty.setText("" if products else empty_text)
        self.empty.setVisible(not products)
        for n, product in enumerate(products):
            button = QPushButton(f"{product.name}\n{product.price.format(self._locale)}")
            button.setObjectName("productButton")
            button.setProperty("sku", product.sku)
            button.setMinimumSize(140, 72)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep focus in the search field for the scanner
            button.setToolTip(
                f"{product.name} — SKU {product.sku}" + (f", barcode {product.barcode}" if product.barcode else "")
            )
            button.clicked.connect(lambda _c=False, p=product: self.product_chosen.emit(p))
            self.grid.addWidget(button, n // COLUMNS, n % COLUMNS)

    def buttons(self) -> list[QPushButton]:
        items = (self.grid.itemAt(i) for i in range(self.grid.count()))
        return [w for item in items if item is not None and isinstance(w := item.widget(), QPushButton)]
