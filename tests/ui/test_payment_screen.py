"""The payment dialog as a cashier uses it at a counter (issue 28 item 1): one clear action per screen,
Enter that never reaches Stop or Void, a decline that takes over the header, test tools marked and
collapsed, quick cash from the currency's notes, and targets a finger can hit. Real widgets (offscreen),
the real sandbox over HTTP and a real SQLite file."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from pos.ui.payment_pages.gift_card import GiftCardPage

from .conftest import wait_idle
from .test_till import open_payment, ring_up_three


def no_question(*_args, **_kwargs):
    raise AssertionError("the cashier was asked to void the sale")


def test_a_cash_sale_paid_in_two_parts_with_enter_never_reaches_stop_or_void(qtbot, window, monkeypatch):
    """Finding: Enter in the cash field, with the field disabled while the cash is recorded, reached the
    Stop button (the receipt said the payment went through before it could be stopped); after a cash
    part, it reached Void ("Part of this sale is paid. Take the rest, or void the sale.")."""
    monkeypatch.setattr(QMessageBox, "question", no_question)
    ring_up_three(qtbot, window)  # $18.20
    dialog = open_payment(qtbot, window)
    qtbot.mouseClick(dialog.cash_tender, Qt.LeftButton)
    qtbot.keyClicks(dialog.cash_field, "1")
    qtbot.keyClick(dialog.cash_field, Qt.Key_Return)
    qtbot.waitUntil(lambda: not dialog.charging, timeout=20000)
    assert dialog.tenders_label.text() == "Paid so far: Cash $1.00"
    assert "Part of this sale is paid" not in dialog.message.text() and dialog.isVisible()
    qtbot.keyClicks(dialog.cash_field, "20")
    qtbot.keyClick(dialog.cash_field, Qt.Key_Return)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=20000)
    assert dialog.receipt_note.text() == ""  # not "went through before it could be stopped"
    assert dialog.change_due.text() == "Change: $2.80"
    # Enter after the cash is taken completes the sale.
    qtbot.keyClick(dialog, Qt.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    wait_idle(qtbot)
    assert window.till.cart.is_empty()


def test_a_whole_cash_sale_with_enter_gives_the_receipt_and_enter_again_a_new_sale(qtbot, window, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", no_question)
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    qtbot.mouseClick(dialog.cash_tender, Qt.LeftButton)
    qtbot.keyClicks(dialog.cash_field, "50")
    qtbot.keyClick(dialog.cash_field, Qt.Key_Return)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=20000)
    assert dialog.receipt_note.text() == "" and dialog.change_due.text() == "Change: $31.80"
    qtbot.keyClick(dialog, Qt.Key_Enter)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    wait_idle(qtbot)
    assert window.till.cart.is_empty()


def tab_to(qtbot, dialog, target, presses=20):
    """Tab through the dialog from where the focus is until `target` has it (as a keyboard-only cashier)."""
    for _ in range(presses):
        if QApplication.focusWidget() is target:
            return
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Tab)
    raise AssertionError(f"{target.objectName()} is not in the Tab order")


def test_space_on_cash_puts_the_typing_in_the_cash_field(qtbot, window):
    """Finding: in a keyboard-only run Cash was not in the Tab order and Space on Cash left the focus in
    the card amount, so the typed cash went to the card."""
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    tab_to(qtbot, dialog, dialog.card_tender)
    qtbot.keyClick(dialog.card_tender, Qt.Key_Space)
    assert dialog.tender_pages.currentWidget() is dialog.card_page
    tab_to(qtbot, dialog, dialog.cash_tender)
    qtbot.keyClick(dialog.cash_tender, Qt.Key_Space)
    assert dialog.tender_pages.currentWidget() is dialog.cash_page
    qtbot.keyClicks(QApplication.focusWidget(), "20")
    assert dialog.cash_field.text() == "20" and dialog.card_amount.text() == "18.20"
    for button in (dialog.split_tender, dialog.tender_buttons[GiftCardPage]):
        tab_to(qtbot, dialog, button)  # every tender of the row is in the Tab order
    dialog.reject()
