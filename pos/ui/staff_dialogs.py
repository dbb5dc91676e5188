"""Who is at the till: the sign-in screen, and a manager's approval for what a cashier may not do alone.

PINs are checked on a worker (a salted slow hash takes a moment by design), never logged, and
cleared from the field as soon as they are read.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pos.domain.staff import PIN_MAX, Cashier, Permission
from pos.services.staff import Approval, Staff, StaffError

from .feedback import show_message
from .widgets import named
from .workers import run_in_background


def _pin_field(name: str) -> QLineEdit:
    field = named(QLineEdit(), name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMaxLength(PIN_MAX)
    field.setValidator(QRegularExpressionValidator(r"\d{0,8}"))
    field.setPlaceholderText("PIN")
    field.setMinimumHeight(40)
    return field


def _people(list_widget: QListWidget, people: list[Cashier]) -> None:
    list_widget.clear()
    for person in people:
        item = QListWidgetItem(f"{person.name}  ({person.role})")
        item.setData(Qt.ItemDataRole.UserRole, person.name)
        list_widget.addItem(item)
    if people:
        list_widget.setCurrentRow(0)


class SignInDialog(QDialog):
    """The till's sign-in screen: pick your name, type your PIN. It cannot be dismissed: the till
    sells only with someone signed in (while the shop has cashiers)."""

    def __init__(self, staff: Staff, parent: QWidget | None = None, *, locked: bool = False):
        super().__init__(parent)
        self.setObjectName("signInDialog")
        self.setWindowTitle("Sign in")
        self.setModal(True)
        self._staff = staff
        self._checking = False
        self.cashiers = named(QListWidget(), "cashierList")
        _people(self.cashiers, [c for c in staff.cashiers() if c.active])
        self.pin = _pin_field("pinField")
        self.sign_in_button = named(QPushButton("Sign in"), "signInButton")
        self.sign_in_button.setMinimumHeight(44)
        self.sign_in_button.setDefault(True)
        self.message = named(QLabel(""), "signInMessage")
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        title = QLabel("<b>The till is locked.</b> Sign in to go on." if locked else "<b>Who is at the till?</b>")
        layout.addWidget(title)
        layout.addWidget(self.cashiers, 1)
        row = QHBoxLayout()
        row.addWidget(self.pin, 1)
        row.addWidget(self.sign_in_button)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self.sign_in_button.clicked.connect(self.sign_in)
        self.pin.returnPressed.connect(self.sign_in)
        self.cashiers.itemDoubleClicked.connect(lambda _i: self.pin.setFocus())
        self.resize(380, 420)
        self.pin.setFocus()

    def chosen(self) -> str | None:
        item = self.cashiers.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def sign_in(self) -> None:
        name = self.chosen()
        if self._checking or name is None:
            return
        pin = self.pin.text()
        self.pin.clear()  # the PIN lives no longer than the check
        self._checking = True
        self.sign_in_button.setEnabled(False)
        staff = self._staff
        run_in_background(lambda _p: staff.sign_in(name, pin), on_success=self._signed_in, on_failure=self._refused)

    def _signed_in(self, _cashier: Cashier) -> None:
        self._checking = False
        self.accept()

    def _refused(self, exc: Exception) -> None:
        self._checking = False
        self.sign_in_button.setEnabled(True)
        text = str(exc) if isinstance(exc, StaffError) else "The PIN could not be checked (details are in the log)."
        show_message(self.message, text, "error")
        self.pin.setFocus()

    def reject(self) -> None:
        # Esc does not get past the sign-in screen.
        show_message(self.message, "Sign in to use the till.", "warning")


class ApprovalDialog(QDialog):
    """A manager (or the owner) approves, with their PIN, what the signed-in cashier may not do alone."""

    def __init__(
        self, staff: Staff, permission: Permission, what: str, on_approved: Callable[[Approval], None], parent=None
    ):
        super().__init__(parent)
        self.setObjectName("approvalDialog")
        self.setWindowTitle("Manager approval")
        self.setModal(True)
        self._staff, self._permission, self._what = staff, permission, what
        self._on_approved = on_approved
        self._checking = False
        cashier = staff.current.name if staff.current else "This cashier"
        question = named(QLabel(f"{cashier} may not {permission} alone:<br><b>{what}</b>"), "approvalQuestion")
        question.setWordWrap(True)
        self.approvers = named(QListWidget(), "approverList")
        _people(self.approvers, staff.approvers(permission))
        self.pin = _pin_field("approvalPinField")
        self.approve_button = named(QPushButton("Approve"), "approveButton")
        self.approve_button.setMinimumHeight(44)
        self.approve_button.setDefault(True)
        self.cancel_button = named(QPushButton("Cancel"), "cancelApprovalButton")
        self.message = named(QLabel(""), "approvalMessage")
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(question)
        layout.addWidget(self.approvers, 1)
        layout.addWidget(self.pin)
        row = QHBoxLayout()
        row.addWidget(self.cancel_button)
        row.addWidget(self.approve_button)
        layout.addLayout(row)
        layout.addWidget(self.message)
        if not self.approvers.count():
            show_message(self.message, "No one here may approve this: add a manager (pos cashiers add).", "error")
            self.approve_button.setEnabled(False)
        self.approve_button.clicked.connect(self.approve)
        self.pin.returnPressed.connect(self.approve)
        self.cancel_button.clicked.connect(self.reject)
        self.resize(400, 360)
        self.pin.setFocus()

    def approve(self) -> None:
        item = self.approvers.currentItem()
        if self._checking or item is None:
            return
        name = item.data(Qt.ItemDataRole.UserRole)
        pin = self.pin.text()
        self.pin.clear()
        self._checking = True
        self.approve_button.setEnabled(False)
        staff, permission, what = self._staff, self._permission, self._what
        run_in_background(
            lambda _p: staff.approve(name, pin, permission, what), on_success=self._approved, on_failure=self._refused
        )

    def _approved(self, approval: Approval) -> None:
        self._checking = False
        self.accept()
        self._on_approved(approval)

    def _refused(self, exc: Exception) -> None:
        self._checking = False
        self.approve_button.setEnabled(True)
        text = str(exc) if isinstance(exc, StaffError) else "The PIN could not be checked (details are in the log)."
        show_message(self.message, text, "error")


def with_approval(
    parent: QWidget, staff: Staff, permission: Permission, what: str, then: Callable[[str], None]
) -> ApprovalDialog | None:
    """Run `then(approved_by)` at once if the signed-in cashier may do this (or the shop has no
    cashiers: approved_by ""), else after a manager approves; the dialog is returned for tests."""
    if not staff.needs_approval(permission):
        then("")
        return None
    dialog = ApprovalDialog(staff, permission, what, lambda approval: then(approval.manager), parent)
    # A child of `parent`, so Qt keeps it alive while it is open (and a test finds it by name).
    dialog.open()
    return dialog
