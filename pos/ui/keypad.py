"""An on-screen numeric keypad (issue 28 item 3) for amounts and quantities on a touch screen.

Minimal until d2's keypad lands (the lead keeps one): digits, 00, backspace and clear, typed into
a target QLineEdit as if the cashier pressed the keys (the field's own validation and signals run).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QGridLayout, QLineEdit, QPushButton, QWidget

from .widgets import named

_KEYS = ("7", "8", "9", "4", "5", "6", "1", "2", "3", "00", "0", "⌫")


class NumericKeypad(QWidget):
    def __init__(self, target: QLineEdit | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("numericKeypad")
        self.target = target
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        for index, key in enumerate((*_KEYS, "C")):
            button = named(QPushButton(key), f"keypad_{_name(key)}")
            button.setAccessibleName({"⌫": "Backspace", "C": "Clear"}.get(key, key))
            button.setMinimumSize(56, 44)
            button.setAutoDefault(False)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the target keeps the focus (and Enter)
            button.clicked.connect(lambda _checked=False, k=key: self.press(k))
            if key == "C":
                grid.addWidget(button, 0, 3, 4, 1)
            else:
                grid.addWidget(button, index // 3, index % 3)
            self.buttons[key] = button

    def press(self, key: str) -> None:
        target = self.target
        if target is None or not target.isEnabled():
            return
        if key == "C":
            target.clear()
            return
        if key == "⌫":
            _send(target, Qt.Key.Key_Backspace, "")
            return
        for digit in key:
            _send(target, Qt.Key(Qt.Key.Key_0 + int(digit)), digit)


def _send(target: QLineEdit, key: Qt.Key, text: str) -> None:
    for kind in (QKeyEvent.Type.KeyPress, QKeyEvent.Type.KeyRelease):
        QApplication.sendEvent(target, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, text))


def _name(key: str) -> str:
    return {"⌫": "backspace", "C": "clear"}.get(key, key)
