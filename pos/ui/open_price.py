"""The price of an open-price item or a custom amount, typed by the cashier (`openPriceField`), the
weight of a product sold by the kg added without a scale label (`weightField`), and a cart line's
quantity (`quantityField`); each with the on-screen keypad under its field."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from pos.domain.errors import PosError
from pos.domain.money import Money

from .feedback import show_message
from .keypad import NumericKeypad
from .widgets import named


class AskDialog(QDialog):
    """One value typed, parsed by a service's rule (its PosError shown, the dialog kept open), then
    handed on."""

    def __init__(
        self,
        prompt: str,
        parse: Callable[[str], Any],
        then: Callable[[Any], None],
        parent: QWidget,
        *,
        field: str,
        example: str,
        title: str,
        decimal_point: str = ".",
        ok_text: str = "Add",
    ):
        super().__init__(parent)
        self.setObjectName(f"{field.removesuffix('Field')}Dialog")
        self.setWindowTitle(title)
        self._parse, self._then = parse, then
        layout = QVBoxLayout(self)
        self.field = named(QLineEdit(), field)
        prompt_label = QLabel(prompt)
        prompt_label.setBuddy(self.field)  # the prompt is the field's name to a screen reader
        layout.addWidget(prompt_label)
        self.field.setPlaceholderText(example)
        self.field.setMinimumHeight(44)
        self.field.setAccessibleName(prompt.rstrip(":"))
        layout.addWidget(self.field)
        # Enter on the keypad is Enter in the field: the default button (Add) takes the value.
        self.keypad = NumericKeypad(self.field, decimal_point)
        layout.addWidget(self.keypad)
        self.message = named(QLabel(""), f"{field.removesuffix('Field')}Message")
        layout.addWidget(self.message)
        row = QHBoxLayout()
        self.ok_button = named(QPushButton(ok_text), f"{field.removesuffix('Field')}Ok")
        self.ok_button.setDefault(True)
        cancel = QPushButton("Cancel")
        for button in (self.ok_button, cancel):
            button.setMinimumHeight(44)
        row.addWidget(cancel)
        row.addWidget(self.ok_button)
        layout.addLayout(row)
        self.ok_button.clicked.connect(self.take)
        cancel.clicked.connect(self.reject)

    def take(self) -> None:
        try:
            value = self._parse(self.field.text())
        except PosError as exc:
            show_message(self.message, str(exc), "error")
            return
        self.accept()
        self._then(value)


class OpenPriceDialog(AskDialog):
    def __init__(
        self,
        what: str,
        parse: Callable[[str], Money],
        then: Callable[[Money], None],
        parent: QWidget,
        decimal_point: str = ".",
    ):
        super().__init__(
            f"Price of {what}:",
            parse,
            then,
            parent,
            field="openPriceField",
            example="e.g. 4.50" if decimal_point else "e.g. 450",
            title="Price",
            decimal_point=decimal_point,
        )


class WeightDialog(AskDialog):
    """The weight of a product sold by the kg, typed (exact, three decimals: services.catalog.weighed)."""

    def __init__(self, what: str, parse: Callable[[str], Any], then: Callable[[Any], None], parent: QWidget):
        super().__init__(
            f"Weight of {what} in kg:", parse, then, parent, field="weightField", example="e.g. 1.250", title="Weight"
        )


class QuantityDialog(AskDialog):
    """A cart line's quantity, typed on the keypad (a whole number: no decimal key)."""

    def __init__(self, what: str, parse: Callable[[str], int], then: Callable[[int], None], parent: QWidget):
        super().__init__(
            f"Quantity of {what}:",
            parse,
            then,
            parent,
            field="quantityField",
            example="e.g. 3",
            title="Quantity",
            decimal_point="",
            ok_text="Set",
        )
