"""Give a discount: on the selected line or the whole cart, by percent or amount, with a reason."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from pos.domain import tax
from pos.domain.cart import Cart
from pos.domain.discounts import Discount, DiscountError, DiscountKind
from pos.domain.money import Money, MoneyError

from .keypad import NumericKeypad
from .widgets import named

REASONS = ("Staff", "Loyalty", "Damaged item", "Promotion", "Price match")


class DiscountDialog(QDialog):
    def __init__(self, cart: Cart, line: int | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("discountDialog")
        self.setWindowTitle("Discount")
        self.cart, self.line = cart, line
        self.on_line = named(QRadioButton("The selected line"), "discountOnLine")
        self.on_cart = named(QRadioButton("The whole sale"), "discountOnCart")
        self.on_line.setEnabled(line is not None)
        (self.on_line if line is not None else self.on_cart).setChecked(True)
        if line is not None:
            self.on_line.setText(f"The selected line: {cart.lines[line].product.name}")
        self.kind = named(QComboBox(), "discountKind")
        self.kind.addItem("Percent (%)", DiscountKind.PERCENT.value)
        self.kind.addItem(f"Amount ({cart.currency})", DiscountKind.AMOUNT.value)
        self.value = named(QLineEdit(), "discountValue")
        self.value.setPlaceholderText("10 or 1.50")
        self.reason = named(QComboBox(), "discountReason")
        self.reason.setEditable(True)
        self.reason.addItems(REASONS)
        self.reason.setCurrentText("")
        self.message = named(QLabel(""), "discountMessage")
        self.message.setWordWrap(True)
        self.apply_button = named(QPushButton("Apply"), "applyDiscountButton")
        self.remove_button = named(QPushButton("Remove discount"), "removeDiscountButton")
        form = QFormLayout()
        form.addRow("Kind", self.kind)
        form.addRow("Value", self.value)
        form.addRow("Reason", self.reason)
        # Percent or amount, both typed with a decimal point (12.5 %, 1.50): the keypad types into Value.
        self.keypad = NumericKeypad(self.value, ".")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(self.remove_button, QDialogButtonBox.ButtonRole.ResetRole)
        buttons.addButton(self.apply_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.rejected.connect(self.reject)
        # Touch targets, as on the sale screen it opens from (44 px, issue 28).
        touch: list[QWidget] = [self.on_line, self.on_cart, self.kind, self.value, self.reason, *buttons.buttons()]
        for widget in touch:
            widget.setMinimumHeight(44)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Take off"))
        layout.addWidget(self.on_line)
        layout.addWidget(self.on_cart)
        layout.addLayout(form)
        layout.addWidget(self.keypad)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.apply_button.clicked.connect(self.apply)
        self.remove_button.clicked.connect(self.remove)

    def discount(self) -> Discount:
        """The discount as typed; DiscountError in the cashier's words if it cannot be given."""
        kind = DiscountKind(self.kind.currentData())
        text = self.value.text().strip().rstrip("%").strip()
        try:
            if kind is DiscountKind.PERCENT:
                value = tax.parse_rate(text)  # a percentage with up to two decimals, in basis points
            else:
                value = Money.parse(text, self.cart.currency).minor
        except (ValueError, MoneyError):
            raise DiscountError("Type the discount as a number, like 10 (percent) or 1.50 (an amount).") from None
        return Discount(kind, value, self.reason.currentText().strip())

    def apply(self) -> bool:
        try:
            discount = self.discount()
        except DiscountError as exc:
            self.message.setText(str(exc))
            return False
        if self.on_line.isChecked() and self.line is not None:
            self.cart.discount_line(self.line, discount)
        else:
            self.cart.discount_cart(discount)
        self.accept()
        return True

    def remove(self) -> None:
        if self.on_line.isChecked() and self.line is not None:
            self.cart.discount_line(self.line, None)
        else:
            self.cart.discount_cart(None)
        self.accept()
