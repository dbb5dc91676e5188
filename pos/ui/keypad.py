"""The on-screen numeric keypad (`numericKeypad`): digits, 00, the decimal point when the field
takes one, backspace, clear and Enter, each a touch target of at least 44 x 44 px.

It types into the field it is bound to exactly as a keyboard would (a key event sent to the
field), so the field's validator, its returnPressed and the dialog's default button see the same
as they would from a physical keyboard; the keys never take the focus, so the field keeps its
cursor and a scanner or keyboard can go on typing into it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QGridLayout, QLineEdit, QPushButton, QSizePolicy, QWidget

from .widgets import named

KEY_SIZE = 56  # px: above the 44 px minimum, so a thumb on a counter screen hits the key it means

# Which key each button sends, and what a screen reader calls it.
_DIGITS = "789456123"
_SPECIAL = {
    "backspace": (Qt.Key.Key_Backspace, "", "⌫", "Backspace"),
    "clear": (None, "", "Clear", "Clear"),
    "enter": (Qt.Key.Key_Return, "\r", "Enter", "Enter"),
}

Target = QLineEdit | QAbstractSpinBox


class NumericKeypad(QWidget):
    """A keypad bound to one field at a time (`bind`); `decimal_point` is the character the field
    takes for decimals, or "" for a whole-number field (a quantity): then the key is not shown."""

    pressed = Signal(str)  # the key's text, after it reached the field ("Enter" once the field had it)

    def __init__(self, target: Target | None = None, decimal_point: str = ".", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("numericKeypad")
        self.setAccessibleName("Numeric keypad")
        self._target: Target | None = None
        self.keys: dict[str, QPushButton] = {}
        grid = QGridLayout(self)
        grid.setSpacing(6)
        grid.setContentsMargins(0, 0, 0, 0)
        for n, digit in enumerate(_DIGITS):
            grid.addWidget(self._key(digit, digit), n // 3, n % 3)
        grid.addWidget(self._key("00", "Double zero"), 3, 0)
        grid.addWidget(self._key("0", "0"), 3, 1)
        self.decimal_key = self._key(decimal_point or ".", "Decimal point", name="decimal")
        grid.addWidget(self.decimal_key, 3, 2)
        for col, name in enumerate(("backspace", "clear", "enter")):
            _key, _text, label, spoken = _SPECIAL[name]
            button = self._key(label, spoken, name=name)
            grid.addWidget(button, 4, col)
        self.keys["enter"].setObjectName("keypadEnter")
        self.bind(target, decimal_point)

    def _key(self, label: str, spoken: str, name: str | None = None) -> QPushButton:
        button = named(QPushButton(label), "keypadKey")
        button.setAccessibleName(spoken)
        button.setMinimumSize(KEY_SIZE, KEY_SIZE)
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the field keeps the focus and its cursor
        button.setAutoDefault(False)  # a keypad key is never a dialog's Enter
        key = name or label
        button.clicked.connect(lambda _c=False, k=key: self.press(k))
        self.keys[key] = button
        return button

    def set_key_size(self, size: int) -> None:
        """Smaller keys on a small screen (never under the 44 px minimum): the dialog's compact layout."""
        for button in self.keys.values():
            button.setMinimumSize(max(44, size), max(44, size))

    @property
    def target(self) -> Target | None:
        return self._target

    def bind(self, target: Target | None, decimal_point: str = ".") -> None:
        """Type into `target` from now on; the decimal key shows only when the field takes decimals."""
        self._target = target
        if decimal_point:
            self.decimal_key.setText(decimal_point)
        self.decimal_key.setVisible(bool(decimal_point))
        self.setEnabled(target is not None)

    def press(self, key: str) -> None:
        """One key ("0".."9", "00", "decimal", "backspace", "clear", "enter"), as if typed on a
        keyboard into the bound field."""
        target = self._target
        if target is None or not target.isEnabled():
            return
        if key == "decimal":
            if not self.decimal_key.isHidden():
                char = self.decimal_key.text()
                self._send(target, _qt_key(char), char)
        elif key == "clear":
            target.clear()
        elif key in _SPECIAL:
            qt_key, text, _label, _spoken = _SPECIAL[key]
            assert qt_key is not None
            self._send(target, qt_key, text)
        else:
            for char in key:  # "00" is two presses of 0, each checked by the field's validator
                self._send(target, _qt_key(char), char)
        self.pressed.emit(key)

    @staticmethod
    def _send(target: QWidget, key: Qt.Key, text: str) -> None:
        # Through QApplication.sendEvent, so an Enter the field does not take goes on to its
        # window (a dialog's default button), as a keyboard's would.
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(target, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, text))


def _qt_key(char: str) -> Qt.Key:
    if char.isdigit():
        return Qt.Key(Qt.Key.Key_0.value + int(char))
    return {".": Qt.Key.Key_Period, ",": Qt.Key.Key_Comma}.get(char, Qt.Key.Key_unknown)
