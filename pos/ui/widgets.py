"""Small helpers every panel uses to build its widgets."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject, QSize
from PySide6.QtWidgets import QPushButton, QWidget

if TYPE_CHECKING:
    from PySide6.QtGui import QAction, QKeySequence

W = TypeVar("W", bound=QObject)


def named(widget: W, name: str) -> W:
    """The widget with its objectName set: the name tests and the theme (resources/theme.qss) find it
    by. Screen readers never read an objectName: what they say is the accessible name (`spoken`)."""
    widget.setObjectName(name)
    return widget


QW = TypeVar("QW", bound=QWidget)


def spoken(widget: QW, name: str, description: str = "") -> QW:
    """The widget with what a screen reader says of it (Qt's accessibility): its accessible name,
    and a description of what it does. A control with a visible text is read by that text; a
    field, list, table or symbol button (−, +) has none, so it gets one here."""
    widget.setAccessibleName(name)
    if description:
        widget.setAccessibleDescription(description)
    return widget


def shortcut_action(text: str, parent: QObject, keys: QKeySequence | QKeySequence.StandardKey) -> QAction:
    """A menu action with its keyboard shortcut."""
    # PySide6 builds a Qt class, with its enums, on its first use: QAction, QKeySequence and
    # QMessageBox are imported where used, after the window's first paint (issue 27 item 3).
    from PySide6.QtGui import QAction

    action = QAction(text, parent)
    action.setShortcut(keys)
    return action


def ask_yes_no(parent: QWidget, title: str, question: str) -> bool:
    """A question that changes something: No is the default, so Enter never does it by accident."""
    from PySide6.QtWidgets import QMessageBox  # see shortcut_action

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


TOUCH_TARGET = 44  # px (WCAG 2.5.5): what a finger on a counter screen hits reliably


def touch_sized(root: QWidget) -> None:
    """Every button, field, drop-down and spin box under `root` at least TOUCH_TARGET px tall: a
    back-office dialog is tapped on the same screen as the sale. Heights only: an explicit minimum
    width would let a layout squeeze a button below its text (TouchButton's note); the dialogs'
    buttons carry words wider than 44 px."""
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit

    for widget in root.findChildren(QWidget):
        if isinstance(widget, (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox)):
            if isinstance(widget.parent(), (QComboBox, QAbstractSpinBox)):
                continue  # a combo's or spin box's own editor: the composite is the target
            widget.setMinimumHeight(max(TOUCH_TARGET, widget.minimumHeight()))
