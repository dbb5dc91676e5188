"""Small helpers every panel uses to build its widgets."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QWidget

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
