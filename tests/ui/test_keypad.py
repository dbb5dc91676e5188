"""The on-screen numeric keypad (`numericKeypad`, issue 28 item 3): it types into its field as a
keyboard would, its keys are touch targets with names, and it is wired where a cashier types a
number on the sale screen: the custom amount, a line's quantity and a discount."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget

from pos.ui.keypad import NumericKeypad
from tests.helpers import ui_audit


def press(qtbot, keypad: NumericKeypad, *keys: str) -> None:
    for key in keys:
        qtbot.mouseClick(keypad.keys[key], Qt.LeftButton)


def _host(qtbot, field, decimal_point="."):
    top = QWidget()
    qtbot.addWidget(top)
    layout = QVBoxLayout(top)
    layout.addWidget(field)
    keypad = NumericKeypad(field, decimal_point)
    layout.addWidget(keypad)
    ui_audit.show_at(top, (320, 480))
    return top, keypad


def test_keys_type_into_the_field_and_the_field_keeps_the_focus(qtbot):
    field = QLineEdit()
    top, keypad = _host(qtbot, field)
    field.setFocus()
    press(qtbot, keypad, "1", "2", "decimal", "5", "0")
    assert field.text() == "12.50"
    press(qtbot, keypad, "backspace")
    assert field.text() == "12.5"
    press(qtbot, keypad, "clear", "00", "7")
    assert field.text() == "007"
    assert keypad.objectName() == "numericKeypad"
    assert all(key.focusPolicy() == Qt.FocusPolicy.NoFocus for key in keypad.keys.values())


def test_enter_on_the_keypad_is_enter_in_the_field(qtbot):
    field = QLineEdit()
    _top, keypad = _host(qtbot, field)
    with qtbot.waitSignal(field.returnPressed, timeout=1000):
        press(qtbot, keypad, "4", "enter")


def test_a_whole_number_field_has_no_decimal_key_and_its_validator_holds(qtbot):
    spin = QSpinBox()
    spin.setRange(1, 99)
    top, keypad = _host(qtbot, spin, decimal_point="")
    assert keypad.decimal_key.isHidden()
    press(qtbot, keypad, "clear", "4", "2", "7")  # 427 is out of range: the spin box refuses the 7
    assert spin.text() == "42"


def test_every_key_is_a_named_touch_target(qtbot):
    field = QLineEdit()
    field.setAccessibleName("Amount")
    field.setMinimumHeight(44)
    top, keypad = _host(qtbot, field)
    assert ui_audit.audit(top) == [], ui_audit.report(ui_audit.audit(top))
    assert ui_audit.accessible_name(keypad.keys["backspace"]) == "Backspace"


def test_the_custom_amount_typed_on_the_keypad(qtbot, window):
    qtbot.mouseClick(window.findChild(QPushButton, "customAmountButton"), Qt.LeftButton)
    dialog = window.open_price_dialog
    qtbot.waitUntil(dialog.isVisible)
    keypad = dialog.findChild(NumericKeypad, "numericKeypad")
    assert keypad.target is dialog.findChild(QLineEdit, "openPriceField")
    press(qtbot, keypad, "4", "decimal", "5", "0", "enter")  # Enter adds, as the Add button does
    qtbot.waitUntil(lambda: not dialog.isVisible())
    line = window.till.cart.totals().lines[0]
    assert (line.sku, line.gross.minor) == ("CUSTOM", 450)


def test_a_lines_quantity_typed_on_the_keypad(qtbot, window):
    search = window.products.search
    qtbot.keyClicks(search, "8881230000013")
    qtbot.keyClick(search, Qt.Key_Return)
    panel = window.cart_panel
    qtbot.mouseClick(panel.quantity.findChild(QLineEdit), Qt.LeftButton)  # a tap on the quantity
    dialog = panel.quantity_dialog
    qtbot.waitUntil(dialog.isVisible)
    keypad = dialog.findChild(NumericKeypad, "numericKeypad")
    assert keypad.decimal_key.isHidden()
    press(qtbot, keypad, "0", "enter")
    assert "whole number from 1 to" in dialog.message.text() and dialog.isVisible()
    press(qtbot, keypad, "clear", "3", "enter")
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert window.till.cart.lines[0].quantity == 3 and panel.quantity.value() == 3


def test_a_discount_typed_on_the_keypad(qtbot, window):
    search = window.products.search
    qtbot.keyClicks(search, "8881230000013")
    qtbot.keyClick(search, Qt.Key_Return)
    panel = window.cart_panel
    qtbot.mouseClick(panel.discount_button, Qt.LeftButton)
    dialog = panel.discount_dialog
    qtbot.waitUntil(dialog.isVisible)
    dialog.reason.setCurrentText("Loyalty")
    keypad = dialog.findChild(NumericKeypad, "numericKeypad")
    press(qtbot, keypad, "1", "0")
    assert dialog.value.text() == "10"
    qtbot.mouseClick(dialog.apply_button, Qt.LeftButton)
    assert window.till.cart.totals().discount.minor > 0


def test_the_dialogs_with_a_keypad_are_touch_sized_and_named(qtbot, window, themed):
    qtbot.mouseClick(window.findChild(QPushButton, "customAmountButton"), Qt.LeftButton)
    price = window.open_price_dialog
    qtbot.waitUntil(price.isVisible)
    assert ui_audit.audit(price) == [], ui_audit.report(ui_audit.audit(price))
    price.reject()
    search = window.products.search
    qtbot.keyClicks(search, "8881230000013")
    qtbot.keyClick(search, Qt.Key_Return)
    qtbot.mouseClick(window.cart_panel.discount_button, Qt.LeftButton)
    discount = window.cart_panel.discount_dialog
    qtbot.waitUntil(discount.isVisible)
    assert ui_audit.audit(discount) == [], ui_audit.report(ui_audit.audit(discount))
    discount.reject()
