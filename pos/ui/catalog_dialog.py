"""Catalog management: find, add, edit, deactivate products; import and export CSV."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QWidget,
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from pos.domain import tax
from pos.domain.catalog import Product
from pos.services.catalog import NotImported, NotSaved

from .workers import run_in_background
from .widgets import named

if TYPE_CHECKING:  # annotations only: the window's frame paints before the services load
    from pos.services.session import Session

LIST_LIMIT = 200


class CatalogDialog(QDialog):
    changed = Signal()
    imported = Signal(str)

    def __init__(self, context: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("catalogWindow")
        self.setWindowTitle("Catalog")
        self.resize(1000, 640)
        self.context = context
        self.currency = context.settings.currency
        self.products: list[Product] = []
        self.editing: Product | None = None

        self.search = named(QLineEdit(), "catalogSearchField")
        self.search.setPlaceholderText("Find by name, SKU or barcode (empty: all, inactive included)")
        self.table = named(QTableWidget(0, 6), "productTable")
        self.table.setTabKeyNavigation(False)  # Tab leaves the table for the buttons; arrows move in it
        self.table.setHorizontalHeaderLabels(["SKU", "Name", "Category", "Price", "Tax %", "Active"])
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)

        self.fields = {
            name: named(QLineEdit(), f"product{name.title().replace('_', '')}Field")
            for name in ("sku", "barcode", "name", "category", "price", "tax_rate", "colour", "favourite")
        }
        self.fields["colour"].setPlaceholderText("#rrggbb, e.g. #ffd54a — empty for plain")
        self.fields["favourite"].setPlaceholderText("1 is shown first — empty if not a favourite")
        self.active = named(QCheckBox("Sold at the till"), "productActiveCheck")
        self.active.setChecked(True)
        form = QFormLayout()
        for name, label in (
            ("sku", "SKU"),
            ("barcode", "Barcode"),
            ("name", "Name"),
            ("category", "Category"),
            ("price", f"Price ({self.currency})"),
            ("tax_rate", "Tax rate (%)"),
            ("colour", "Tile colour"),
            ("favourite", "Favourites place"),
        ):
            form.addRow(label, self.fields[name])
        form.addRow("", self.active)
        self.new_button = named(QPushButton("New product"), "newProductButton")
        self.save_button = named(QPushButton("Save"), "saveProductButton")
        self.deactivate_button = named(QPushButton("Deactivate"), "deactivateProductButton")
        self.import_button = named(QPushButton("Import CSV…"), "importCsvButton")
        self.export_button = named(QPushButton("Export CSV…"), "exportCsvButton")
        self.message = named(QLabel(""), "catalogMessage")
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        for w in (self.new_button, self.save_button, self.deactivate_button):
            buttons.addWidget(w)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.export_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.message)

        if context.read_only:
            # Another till sells from this folder: its catalog is looked at here, not changed.
            for button in (self.new_button, self.save_button, self.deactivate_button, self.import_button):
                button.setEnabled(False)
        self.search.textChanged.connect(lambda _t: self.reload())
        self.table.itemSelectionChanged.connect(self._selected)
        self.new_button.clicked.connect(self.new_product)
        self.save_button.clicked.connect(self.save)
        self.deactivate_button.clicked.connect(self.deactivate)
        self.import_button.clicked.connect(self._ask_import)
        self.imported.connect(self._imported)
        self.export_button.clicked.connect(self._ask_export)
        self.reload()
        self.new_product()

    def reload(self) -> None:
        query = self.search.text().strip()
        catalog = self.context.catalog
        self.products = (
            catalog.search(query, limit=LIST_LIMIT) if query else catalog.all(include_inactive=True)[:LIST_LIMIT]
        )
        self.table.setRowCount(len(self.products))
        for row, p in enumerate(self.products):
            for col, text in enumerate(
                (
                    p.sku,
                    p.name,
                    p.category,
                    p.price.major_text(),
                    tax.format_rate(p.tax_rate_bp),
                    "yes" if p.active else "no",
                )
            ):
                self.table.setItem(row, col, QTableWidgetItem(text))

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        p = self.products[rows[0].row()]
        self.editing = p
        values = {
            "sku": p.sku,
            "barcode": p.barcode or "",
            "name": p.name,
            "category": p.category,
            "price": p.price.major_text(),
            "tax_rate": tax.format_rate(p.tax_rate_bp),
            "colour": p.colour or "",
            "favourite": "" if p.favourite is None else str(p.favourite),
        }
        for name, value in values.items():
            self.fields[name].setText(value)
        self.active.setChecked(p.active)
        self.deactivate_button.setEnabled(p.active and not self.context.read_only)

    def new_product(self) -> None:
        self.editing = None
        self.table.clearSelection()
        for field in self.fields.values():
            field.clear()
        self.fields["tax_rate"].setText(tax.format_rate(self.context.settings.default_tax_rate_bp))
        self.active.setChecked(True)
        self.deactivate_button.setEnabled(False)

    def save(self) -> Product | None:
        row = {name: field.text() for name, field in self.fields.items()}
        result = self.context.catalog.save_form(row, active=self.active.isChecked(), editing=self.editing)
        if isinstance(result, NotSaved):
            self.message.setText(result.message)
            return None
        self.message.setText(f"Saved {result.product.name}.")
        self.reload()
        self.changed.emit()
        return result.product

    def deactivate(self) -> None:
        if self.editing is None or self.editing.id is None:
            return
        self.context.catalog.deactivate(self.editing.id)
        self.message.setText(f"{self.editing.name} is no longer sold at the till (its sales stay on record).")
        self.reload()
        self.changed.emit()

    def import_csv(self, path: Path) -> bool:
        """Import a CSV file, all or nothing (may run on a worker; the list refreshes by signal)."""
        result = self.context.catalog.import_file(Path(path))
        if isinstance(result, NotImported):
            self.imported.emit(f"Nothing was imported: {result.message}.")
            return False
        self.imported.emit(result.summary.describe())
        return True

    def _imported(self, message: str) -> None:
        self.message.setText(message)
        self.reload()
        self.changed.emit()

    def export_csv(self, path: Path) -> int:
        with open(path, "w", newline="", encoding="utf-8") as handle:
            count = self.context.catalog.export(handle)
        self.message.setText(f"Exported {count} products to {path}.")
        return count

    def _ask_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import catalog", "", "CSV (*.csv)")
        if not path:
            return
        # A big file takes seconds to check and write: off the UI thread, with the buttons held.
        self.import_button.setEnabled(False)
        self.message.setText(f"Importing {path}…")

        def done(_ok: object) -> None:
            self.import_button.setEnabled(not self.context.read_only)

        def failed(exc: Exception) -> None:
            done(False)
            self.message.setText(f"Nothing was imported: {exc}.")

        run_in_background(lambda _p: self.import_csv(Path(path)), on_success=done, on_failure=failed)

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export catalog", "catalog.csv", "CSV (*.csv)")
        if path:
            self.export_csv(Path(path))
