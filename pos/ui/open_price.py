"""The price of an open-price item or a custom amount, typed by the cashier (`openPriceField`)."""

from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from pos.domain.errors import PosError
from pos.domain.money import Money

from .feedback import show_message
from .widgets import named


class OpenPriceDialog(QDialog):
    def __init__(self, what: str, parse: Callable[[str], Money], then: Callable[[Money], None], parent: QWidget):
        super().__init__(parent)
        self.setObjectName("openPriceDialog")
        self.setWindowTitle("Price")
        self._parse, self._then = parse, then
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Price of {what}:"))
        self.field = named(QLineEdit(), "openPriceField")
        self.field.setPlaceholderText("e.g. 4.50")
        layout.addWidget(self.field)
        self.message = named(QLabel(""), "openPriceMessage")
        layout.addWidget(self.message)
        row = QHBoxLayout()
        self.ok_button = named(QPushButton("Add"), "openPriceOk")
        self.ok_button.setDefault(True)
        cancel = QPushButton("Cancel")
        row.addWidget(cancel)
        row.addWidget(self.ok_button)
        layout.addLayout(row)
        self.ok_button.clicked.connect(self.take)
        cancel.clicked.connect(self.reject)

    def take(self) -> None:
        try:
            price = self._parse(self.field.text())
        except PosError as exc:
            show_message(self.message, str(exc), "error")
            return
        self.accept()
        self._then(price)
