"""Count the drawer by denomination: how many of each coin and note; the total goes to the Z."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from pos.domain.cash import count_total, denominations
from pos.domain.money import Money

from .widgets import named


class CountDialog(QDialog):
    counted = Signal(object)  # the Money the count comes to

    def __init__(self, currency: str, locale: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("countDialog")
        self.setWindowTitle("Count the drawer")
        self._locale = locale
        self._currency = currency
        self.spins: dict[Money, QSpinBox] = {}
        form = QFormLayout()
        for value in reversed(denominations(currency)):  # notes first, as a drawer is counted
            spin = named(QSpinBox(), f"count{value.minor}")
            spin.setRange(0, 9999)
            spin.valueChanged.connect(self._update)
            form.addRow(value.format(locale), spin)
            self.spins[value] = spin
        self.total = named(QLabel(""), "countTotalLabel")
        self.use_button = named(QPushButton("Use this count"), "useCountButton")
        self.use_button.clicked.connect(self._use)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.total)
        layout.addWidget(self.use_button)
        self._update()

    def total_counted(self) -> Money:
        return count_total({value: spin.value() for value, spin in self.spins.items()}) or Money(0, self._currency)

    def _update(self) -> None:
        self.total.setText(f"Counted: {self.total_counted().format(self._locale)}")

    def _use(self) -> None:
        self.counted.emit(self.total_counted())
        self.accept()
