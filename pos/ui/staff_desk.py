"""The main window's part that knows who is at the till: sign-in, the idle lock, dialogs opened on
someone's rights, and the manager's approvals the window asks for (the rules are the staff service's
and the counter's; this part shows the dialogs and timers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QDialog, QWidget

from pos.domain.errors import PosError
from pos.domain.staff import Permission

from . import accessible
from .window_parts import WindowParts

if TYPE_CHECKING:  # annotations only: the window's frame paints before the money and staff services load
    from pos.domain.money import Money
    from pos.services.staff import VoidKind


class StaffDesk(WindowParts):
    """Mixed into MainWindow (pos/ui/main_window.py), which builds the widgets and timers named here."""

    def require_sign_in(self, locked: bool = False) -> None:
        """Once the shop has cashiers, nobody sells without signing in (no cashiers: nothing asked)."""
        staff = self.session.staff
        self._show_cashier()
        if not staff.required or staff.current is not None:
            self._restart_idle()
            return
        if self.sign_in_dialog is not None and self.sign_in_dialog.isVisible():
            return
        from .staff_dialogs import SignInDialog

        self.sign_in_dialog = SignInDialog(staff, self, locked=locked)
        self.sign_in_dialog.accepted.connect(self._signed_in)
        self.sign_in_dialog.open()

    def _signed_in(self) -> None:
        self.counter.signed_in()
        self._show_cashier()
        self._restart_idle()
        current = self.session.staff.current
        if current is not None:
            self.say(f"Signed in: {current.name} ({current.role}).")
        self.products.search.setFocus()

    def _show_cashier(self) -> None:
        current = self.session.staff.current
        self.cashier_label.setText(f"Cashier: {current.name}" if current else "")
        self.sign_out_button.setVisible(current is not None)

    def sign_out(self) -> None:
        """Sign out (or switch cashier): the till waits on the sign-in screen."""
        try:
            self.counter.sign_out()
        except PosError as exc:
            self.say(str(exc), error=True)
            return
        self.close_revoked()
        self.require_sign_in()

    def check_staff(self) -> None:
        """The signed-in cashier still stands (not disabled, same PIN), else signed out at once."""
        if self._closed or self.context is None:
            return
        staff = self.session.staff
        why = staff.recheck()
        if why is not None:
            self.say(why, error=True)
        if staff.current is None and staff.required:
            self.require_sign_in()  # also when a worker's check signed them out (it shows nothing)
        self.close_revoked()

    def keep_granted(self, dialog: QDialog, approved_by: str = "") -> None:
        """A dialog opened on the signed-in cashier's rights or a manager's approval: closed when
        that no longer stands (`Staff.stands`)."""
        self._granted.append((dialog, self.session.staff.grant(approved_by)))

    def close_revoked(self) -> None:
        staff, kept = self.session.staff, []
        for dialog, grant in self._granted:
            if not dialog.isVisible():
                continue
            if not staff.stands(grant):
                # A busy dialog stays until its work answers: tried again next check. One that asks
                # before discarding edits (Settings) has `revoke`: no one here may answer it now.
                getattr(dialog, "revoke", dialog.reject)()
            if dialog.isVisible():
                kept.append((dialog, grant))
        self._granted = kept

    def lock_idle(self) -> None:
        staff = self.session.staff
        if staff.current is None or not staff.required:
            return
        if self.counter.taking_payment:
            self._restart_idle()  # never in the middle of a payment
            return
        who = staff.current.name
        self.counter.sign_out(locked=True)
        self.close_revoked()
        self.require_sign_in(locked=True)
        self.say(f"The till locked after {self.session.settings.idle_lock_minutes} idle minutes ({who} signed out).")

    def _restart_idle(self) -> None:
        minutes = self.session.settings.idle_lock_minutes
        if minutes and self.session.staff.current is not None:
            self.idle_timer.start(self.idle_interval_ms or minutes * 60_000)
        else:
            self.idle_timer.stop()

    def eventFilter(self, watched, event) -> bool:
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress) and self.idle_timer.isActive():
            self.idle_timer.start()  # the same interval again: someone is at the till
        elif event.type() == QEvent.Type.Polish and isinstance(watched, QWidget):
            accessible.describe(watched)  # what a screen reader says of it (ui/accessible.py)
        return False

    def with_approval(self, permission, what: str, then) -> None:
        from .staff_dialogs import with_approval

        self.approval_dialog = with_approval(self, self.session.staff, permission, what, then)

    def void_then(self, kind: VoidKind, amount: Money, what: str, go) -> None:
        """Removing a line or clearing the cart after Pay was pressed is a void: a reason, recorded,
        and a manager's approval when the cashier may not do it alone. Before Pay: just done."""
        if not self.counter.change_is_a_void():
            go()
            return

        def recorded(approved_by: str) -> None:
            from PySide6.QtWidgets import QInputDialog  # after the window's first paint (issue 27 item 3)

            reasons = ["Customer changed their mind", "Wrong item", "Price check", "Other"]
            reason, ok = QInputDialog.getItem(self, "Why?", f"Void: {what}. Reason:", reasons, 0, True)
            if not ok or not reason.strip():
                self.say("Nothing was removed: a void needs a reason.", error=True)
                return
            try:
                self.counter.record_void(kind, amount, reason, approved_by)
            except PosError as exc:
                self.say(str(exc), error=True)
                return
            go()
            self.say(f"Voided ({what}): {reason}." + (f" Approved by {approved_by}." if approved_by else ""))

        self.with_approval(Permission.VOID_AFTER_PAY, what, recorded)

    def approve_discount(self, before, go) -> None:
        """A discount above the store's limit needs a manager (the counter says when); refused, the
        earlier discounts come back."""
        what = self.counter.discount_needs_approval()
        if what is None:
            go()
            return
        self.with_approval(Permission.DISCOUNT_ABOVE_LIMIT, what, lambda _by: go())
        dialog = self.approval_dialog
        if dialog is not None:
            dialog.rejected.connect(lambda: self._undo_discount(before))

    def _undo_discount(self, before) -> None:
        self.counter.refuse_discount(before)  # the cart redraws on the counter's CartChanged
        self.say("The discount was not approved; the earlier discounts stand.", error=True)
