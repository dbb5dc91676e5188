"""A return without a receipt (issue 24 item 4), clicked through: a cashier needs a manager's PIN
(refused without), it is given back in cash or as store credit only, and recorded as an UNVERIFIED
return in the refund numbering, shown in the report. Real widgets, real SQLite, the sandbox."""

from __future__ import annotations

from PySide6.QtCore import Qt

from pos.ui.staff_dialogs import ApprovalDialog
from tests.invariants import check_invariants
from tests.services.conftest import sandbox_client

from .conftest import wait_idle
from .test_staff import ANN, BOB, approve, data_dir, db_rows, sign_in  # noqa: F401 - data_dir: with Ann and Bob


def test_a_return_without_a_receipt_needs_a_manager(qtbot, window, sandbox, api_key):
    sign_in(qtbot, window, *BOB)
    window.open_receipts()
    receipts = window.receipts_window
    wait_idle(qtbot)
    # Refused without: the manager's approval is cancelled, so no return is offered and none written.
    qtbot.mouseClick(receipts.return_button, Qt.LeftButton)
    approval = receipts.findChild(ApprovalDialog, "approvalDialog")
    qtbot.waitUntil(approval.isVisible)
    approval.reject()
    wait_idle(qtbot)
    assert getattr(receipts, "return_dialog", None) is None
    # With Ann's PIN: the return dialog, cash or store credit only.
    qtbot.mouseClick(receipts.return_button, Qt.LeftButton)
    approve(qtbot, receipts, *ANN)  # the approval the receipts window opened
    dialog = receipts.return_dialog
    qtbot.waitUntil(dialog.isVisible)
    qtbot.keyClicks(dialog.note, "Teh Tarik mug")
    qtbot.keyClicks(dialog.amount, "4.50")
    dialog.in_cash.click()
    qtbot.mouseClick(dialog.confirm, Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=20000)
    assert dialog.message.text() == "Took it back: $4.50 in cash from the drawer (refund 0001)."
    slip = dialog.slip.toPlainText()
    assert "UNVERIFIED RETURN (no receipt)" in slip and "Returned: Teh Tarik mug" in slip and "Approved by Ann" in slip
    assert db_rows(
        window, "SELECT tender_kind, amount_minor, approved_by, cashier, refund_no FROM unverified_returns"
    ) == [("cash", 450, "Ann", "Bob", 1)]
    report = window.session.reports.x_report()
    assert (report.unverified_returns_count, report.unverified_returns_minor, report.cash_refunds_minor) == (
        1,
        450,
        450,
    )
    dialog.close()
    wait_idle(qtbot)
    check_invariants(window.session.data_dir / "pos.sqlite3", sandbox_client(sandbox, api_key))
