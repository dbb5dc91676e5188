"""Small helpers every panel uses to build its widgets."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QObject, QSize
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

W = TypeVar("W", bound=QObject)


def named(widget: W, name: str) -> W:
    """The widget with its objectName set: the name tests, styles and screen readers find it by."""
    widget.setObjectName(name)
    return widget


def shortcut_action(text: str, parent: QObject, keys: QKeySequence | QKeySequence.StandardKey) -> QAction:
    """A menu action with its keyboard shortcut."""
    action = QAction(text, parent)
    action.setShortcut(keys)
    return action


def ask_yes_no(parent: QWidget, title: str, question: str) -> bool:
    """A question that changes something: No is the default, so Enter never does it by accident."""
    answer = QMessageBox.question(
        parent,
        title,
        question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


class TouchButton(QPushButton):
    """A button at least `minimum` px each way that still grows with its text (a longer language):
    an explicit minimum width would let a layout squeeze it to that width and cut its text."""

    def __init__(self, text: str, minimum: QSize = QSize(56, 44), parent: QWidget | None = None):
        super().__init__(text, parent)
        self._minimum = minimum

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return super().sizeHint().expandedTo(self._minimum)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return super().minimumSizeHint().expandedTo(self._minimum)
