"""Help → About this till: the technical facts (versions, data folder, Stripe's address and API
version, why the keyring cannot keep the key) in one place, off the selling screen and out of the way
in Settings. Selectable, and copied in one click for a support request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .widgets import named, touch_sized

if TYPE_CHECKING:
    from pos.services.session import Session


class AboutDialog(QDialog):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About this till")
        self.rows = session.about().rows(f"{qVersion()} (PySide6 {pyside_version})")
        form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for label, value in self.rows:
            shown = named(QLabel(value), "about" + "".join(word.capitalize() for word in label.split()))
            shown.setWordWrap(True)
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            shown.setAccessibleName(label)
            self.values[label] = shown
            form.addRow(label, shown)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = named(QPushButton("Copy"), "copyAboutButton")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self.copy)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        touch_sized(self)
        self.resize(560, self.sizeHint().height())

    def text(self) -> str:
        return "\n".join(f"{label}: {value}" for label, value in self.rows)

    def copy(self) -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(self.text())
