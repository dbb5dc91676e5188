"""The payment dialog as a cashier uses it at a counter (issue 28 item 1): one clear action per screen,
Enter that never reaches Stop or Void, a decline that takes over the header, test tools marked and
collapsed, quick cash from the currency's notes, and targets a finger can hit. Real widgets (offscreen),
the real sandbox over HTTP and a real SQLite file."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QScreen
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from pos.domain.tender import TenderKind

from pos.ui.payment_pages.gift_card import GiftCardPage

from tests.helpers import ui_audit

from .conftest import wait_idle, wait_receipt_keys
from .test_till import charge, choose, open_payment, ring_up_three


def no_question(*_args, **_kwargs):
    raise AssertionError("the cashier was asked to void the sale")


def no_default_button(dialog) -> bool:
    return not any(b.isDefault() or b.autoDefault() for b in dialog.findChildren(QPushButton))


def test_a_cash_sale_paid_in_two_parts_with_enter_never_reaches_stop_or_void(qtbot, window, monkeypatch):
    """Finding: Enter in the cash field, with the field disabled while the cash is recorded, reached the
    Stop button (the receipt said the payment went through before it could be stopped); after a cash
    part, it reached Void ("Part of this sale is paid. Take the rest, or void the sale.")."""
    monkeypatch.setattr(QMessageBox, "question", no_question)
    ring_up_three(qtbot, window)  # $18.20
    dialog = open_payment(qtbot, window)
    qtbot.mouseClick(dialog.cash_tender, Qt.LeftButton)
    assert no_default_button(dialog)
    qtbot.keyClicks(dialog.cash_field, "1")
    qtbot.keyClick(dialog.cash_field, Qt.Key_Return)
    assert dialog.charging and no_default_button(dialog)  # Stop shows: it is not the default either
    qtbot.waitUntil(lambda: not dialog.charging, timeout=20000)
    assert dialog.tenders_label.text() == "Paid so far: Cash $1.00" and no_default_button(dialog)
    assert dialog.cash_field.hasFocus()  # the rest is typed where the first part was
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


def targets_under_44(dialog):
    """Every visible control of the dialog a finger hits (a list's rows may be a list's)."""
    small = []
    for widget in dialog.findChildren(QWidget):
        if not isinstance(widget, (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox)) or not widget.isVisible():
            continue
        if isinstance(widget.parent(), QAbstractItemView) or isinstance(widget.parent(), QAbstractScrollArea):
            continue
        if widget.width() < 44 or widget.height() < 44:
            small.append(f"{widget.objectName() or type(widget).__name__} {widget.width()}x{widget.height()}")
    return small


def test_pay_names_the_amount_and_every_target_of_the_dialog_is_44_px(qtbot, window):
    ring_up_three(qtbot, window)
    pay = window.findChild(QPushButton, "payButton")
    assert pay.text() == "Pay $18.20"
    dialog = open_payment(qtbot, window)
    dialog.resize(dialog.minimumSizeHint())  # the smallest it gets: still every target >= 44 x 44
    for page in (dialog.cash_page, dialog.card_page, dialog.split_page, dialog.pages_by_kind[TenderKind.GIFT_CARD]):
        dialog.show_page(page)
        dialog.test_tools.set_expanded(True)
        qtbot.wait(1)  # a layout pass (the pages are laid out as they show)
        assert targets_under_44(dialog) == [], type(page).__name__
    dialog.reject()


def test_test_tools_are_collapsed_marked_and_keep_their_error(qtbot, window, sandbox):
    """The demo-only row was unmarked, enabled before the reader was ready, and its error was overwritten
    at once by the reader's progress."""
    from .test_reader import register_reader, waiting_for_customer

    reader = register_reader(qtbot, window)
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    assert dialog.mode_badge.isVisible() and dialog.mode_badge.text() == "TEST"
    panel = dialog.findChild(QWidget, "testToolsPanel")
    assert panel is dialog.test_tools and not panel.expanded and "Test tools" in panel.toggle.text()
    qtbot.mouseClick(dialog.card_tender, Qt.LeftButton)  # the amount goes to the reader
    assert panel.isVisible() and not dialog.simulate_button.isVisible()  # collapsed
    qtbot.mouseClick(panel.toggle, Qt.LeftButton)
    assert dialog.simulate_button.isVisible() and dialog.methods.isVisible()
    qtbot.waitUntil(lambda: waiting_for_customer(sandbox, reader), timeout=20000)
    qtbot.waitUntil(dialog.simulate_button.isEnabled, timeout=20000)  # once the reader shows the amount
    sandbox.faults.arm("/v1/test_helpers/terminal/readers/*/present_payment_method", status=400)
    qtbot.mouseClick(dialog.simulate_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.message.text() != "", timeout=20000)
    error = panel.message.text()
    # The reader keeps reporting while it waits: its words go to its status line, the panel's error stays.
    dialog.reader_status.setText("")
    qtbot.waitUntil(lambda: dialog.reader_status.text() != "", timeout=20000)
    assert panel.message.text() == error and dialog.charging
    qtbot.mouseClick(dialog.cancel_reader, Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.charging, timeout=20000)
    assert "Nothing was charged" in dialog.banner.text()
    dialog.reject()
    wait_idle(qtbot)


def test_cash_keyed_on_the_keypad_and_a_split_of_cash_then_card(qtbot, window):
    ring_up_three(qtbot, window)  # $18.20
    dialog = open_payment(qtbot, window)
    keypad = dialog.cash_page.findChild(QWidget, "numericKeypad")
    for key in ("5", "00", "backspace", "0"):  # 5, 500, 50, 500 ... then Clear and 20
        qtbot.mouseClick(keypad.keys[key], Qt.LeftButton)
    assert dialog.cash_field.text() == "500"
    qtbot.mouseClick(keypad.keys["clear"], Qt.LeftButton)
    for key in ("2", "0"):
        qtbot.mouseClick(keypad.keys[key], Qt.LeftButton)
    assert dialog.cash_field.text() == "20" and dialog.change_label.text() == "Change: $1.80"
    # Split instead: $10 in cash, then the rest by card.
    qtbot.mouseClick(dialog.split_tender, Qt.LeftButton)
    split = dialog.split_page
    split_keypad = split.findChild(QWidget, "numericKeypad")
    for key in ("1", "0"):
        qtbot.mouseClick(split_keypad.keys[key], Qt.LeftButton)
    qtbot.mouseClick(split.cash, Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.charging, timeout=20000)
    assert dialog.tenders_label.text() == "Paid so far: Cash $10.00" and split.amount.text() == ""
    assert dialog.due_label.text() == "To pay: $8.20"
    choose(dialog, "pm_card_visa")  # no reader here: a test payment method
    assert dialog.card_amount.text() == "8.20"
    qtbot.mouseClick(dialog.charge_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=20000)
    assert [t.amount.minor for t in dialog.result_value.receipt.tenders] == [1000, 820]
    qtbot.keyClick(dialog, Qt.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    wait_idle(qtbot)


def test_enter_in_the_split_amount_takes_the_part_in_cash_as_the_keypads_enter_does(qtbot, window, monkeypatch):
    """Issue 28 leftover: Enter in the Split page's amount did nothing (a keyboard could not finish a
    split). It takes the part as the page's first choice, Cash, does; never Void or Stop."""
    monkeypatch.setattr(QMessageBox, "question", no_question)
    ring_up_three(qtbot, window)  # $18.20
    dialog = open_payment(qtbot, window)
    qtbot.mouseClick(dialog.split_tender, Qt.LeftButton)
    split = dialog.split_page
    qtbot.keyClicks(split.amount, "10")
    qtbot.keyClick(split.amount, Qt.Key_Return)
    qtbot.waitUntil(lambda: dialog.tenders_label.text() == "Paid so far: Cash $10.00", timeout=20000)
    qtbot.waitUntil(lambda: not dialog.charging, timeout=20000)
    assert dialog.due_label.text() == "To pay: $8.20" and split.amount.text() == ""
    keypad = split.findChild(QWidget, "numericKeypad")
    for key in ("8", "decimal", "2", "0", "enter"):  # the rest on the keypad, its Enter too
        qtbot.mouseClick(keypad.keys[key], Qt.LeftButton)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=20000)
    assert [(t.kind, t.amount.minor) for t in dialog.result_value.receipt.tenders] == [
        (TenderKind.CASH, 1000),
        (TenderKind.CASH, 820),
    ]
    qtbot.keyClick(dialog, Qt.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    wait_idle(qtbot)


def test_a_paid_sale_needs_no_tap_to_finish_the_next_item_starts_the_next_sale(qtbot, window):
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    qtbot.mouseClick(next(b for b in dialog.quick_buttons if b.isVisible()), Qt.LeftButton)  # $20
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=20000)
    assert dialog.change_due.text() == "Change: $1.80"
    # The till is ready at once: the cart is the next sale's, the receipt stays up and lets the window be used.
    qtbot.waitUntil(window.till.cart.is_empty)
    assert dialog.isVisible() and not dialog.isModal() and "receipt 0001 saved" in window.status_message.text()
    qtbot.mouseClick(window.products.buttons()[0], Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert len(window.till.cart.lines) == 1
    assert window.findChild(QPushButton, "payButton").text() == f"Pay {window.till.cart.totals().total.format('en_SG')}"
    wait_idle(qtbot)
    assert window.session.reports.x_report().cash_sales_minor == 1820  # the paid sale once, the new one open


def test_without_a_test_mode_there_are_no_test_tools_and_no_badge(qtbot, window):
    """services/payment_screen.offers_test_tools: with real payments (no badge) the test payment methods
    and the simulated customer are not offered at all."""
    from pos.ui.payment_dialog import PaymentDialog

    ring_up_three(qtbot, window)
    counter = window.counter
    dialog = PaymentDialog(counter, counter.total(), counter.amount_due(), (), "en_SG", parent=window, badge="")
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.show_page(dialog.card_page)
    assert not dialog.mode_badge.isVisible() and not dialog.test_tools.isVisible()
    assert not dialog.charge_button.isVisible() and not dialog.simulate_button.isVisible()
    dialog.close()


def test_esc_on_the_receipt_of_a_sale_paid_in_parts_never_offers_to_void_it(qtbot, window, monkeypatch):
    """Finding (h1): the dialog kept the paid parts after the sale was paid, so Esc (or the window's close
    button) on the receipt of a sale paid in two parts asked "Void this sale? Part of this sale is paid
    (Cash $1.00)" about a finished sale. On the receipt Esc closes it, as New sale does."""
    monkeypatch.setattr(QMessageBox, "question", no_question)
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    qtbot.keyClicks(dialog.cash_field, "1")
    qtbot.keyClick(dialog.cash_field, Qt.Key_Return)
    qtbot.waitUntil(lambda: not dialog.charging, timeout=20000)
    qtbot.keyClicks(dialog.cash_field, "20")
    qtbot.keyClick(dialog.cash_field, Qt.Key_Return)
    wait_receipt_keys(qtbot, dialog)  # before it, the window's Esc would take the key (CI lost that race)
    qtbot.keyClick(dialog, Qt.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    wait_idle(qtbot)
    assert window.till.cart.is_empty() and "receipt 0001 saved" in window.status_message.text()
    assert window.session.reports.x_report().cash_sales_minor == 1820


def test_the_payment_dialog_fits_an_800x600_screen_with_every_control_named(qtbot, window, themed, monkeypatch):
    """Finding (h1): the dialog needed 657 px at the least (the keypad's five rows of 56 px keys), so on an
    800x600 screen its keypad's Enter and Cancel ran off the bottom; and the card page's amount field had
    no accessible name. The screen's size is told to the dialog (the test's offscreen screen is 800x800)."""
    monkeypatch.setattr(QScreen, "availableGeometry", lambda _screen: QRect(0, 0, 800, 600))
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    dialog.test_tools.set_expanded(True)
    pages = (dialog.cash_page, dialog.card_page, dialog.pages_by_kind[TenderKind.GIFT_CARD])
    for page in (*pages, dialog.split_page):
        dialog.show_page(page)
        QApplication.processEvents()
        assert dialog.minimumSizeHint().height() <= 600 - 40 and dialog.height() <= 600 - 40  # a title bar's room
        assert not ui_audit.audit(dialog), ui_audit.report(ui_audit.audit(dialog))
    ui_audit.lengthen(dialog)
    for page in (*pages, dialog.split_page):
        dialog.show_page(page)
        QApplication.processEvents()
        assert not ui_audit.audit(dialog), ui_audit.report(ui_audit.audit(dialog))
    dialog.test_tools.set_expanded(False)  # collapsed, the card page is as narrow as the dialog gets
    dialog.show_page(dialog.card_page)
    QApplication.processEvents()
    assert not ui_audit.audit(dialog), ui_audit.report(ui_audit.audit(dialog))
    dialog.reject()


def test_a_decline_on_an_800x600_screen_keeps_the_dialog_on_it(qtbot, window, themed, monkeypatch):
    """Finding (h1): on an 800x600 screen a decline's header made the dialog 603 px at the least, and the
    test tools opened to charge the card grew it to 704 px, which it kept once they were folded away:
    Cancel and the keypad's Enter off the bottom. (The test's offscreen screen is 800x800: told 600.)"""
    monkeypatch.setattr(QScreen, "availableGeometry", lambda _screen: QRect(0, 0, 800, 600))
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    charge(qtbot, dialog, "pm_card_chargeDeclinedInsufficientFunds")  # the test tools opened for it
    assert dialog.banner.isVisible()
    dialog.test_tools.set_expanded(False)
    dialog.show_page(dialog.cash_page)
    qtbot.waitUntil(lambda: dialog.height() <= 600 - 40)
    assert dialog.minimumSizeHint().height() <= 600 - 40
    assert not ui_audit.audit(dialog), ui_audit.report(ui_audit.audit(dialog))
    dialog.reject()
    wait_idle(qtbot)


def after_a_decline(qtbot, window, monkeypatch):
    """The payment dialog of three items ($18.20) after a declined card: (dialog, the header's text)."""
    monkeypatch.setattr(QMessageBox, "question", no_question)
    ring_up_three(qtbot, window)  # $18.20
    dialog = open_payment(qtbot, window)
    charge(qtbot, dialog, "pm_card_chargeDeclinedInsufficientFunds")
    declined = dialog.banner.text()
    assert dialog.banner.isVisible() and "Still to pay" in declined
    return dialog, declined


def test_an_empty_enter_in_the_cash_field_leaves_a_decline_in_the_header(qtbot, window, monkeypatch):
    """Issue 28 leftover: Enter with nothing typed in the cash field was taken as a try (a cash part of
    0), which cleared the decline's header. Nothing typed is no new try: the decline stays, one line
    says what to do, and the cash typed next is taken."""
    dialog, declined = after_a_decline(qtbot, window, monkeypatch)
    dialog.show_page(dialog.cash_page)
    assert dialog.cash_field.text() == ""
    qtbot.keyClick(dialog.cash_field, Qt.Key_Return)
    assert not dialog.charging
    assert dialog.banner.isVisible() and dialog.banner.text() == declined
    assert dialog.message.text() == "Type the cash handed over, or choose an amount above."
    qtbot.keyClicks(dialog.cash_field, "20")
    qtbot.keyClick(dialog.cash_field, Qt.Key_Return)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=20000)
    assert dialog.change_due.text() == "Change: $1.80"
    qtbot.keyClick(dialog, Qt.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    wait_idle(qtbot)


def test_quick_cash_and_the_keypad_in_currencies_of_no_and_three_decimals(qtbot, window):
    """JPY has no decimals (no decimal key, whole yen), KWD three (0.750 offers 0.800 / 1 / 2 / 5
    dinars, not 5 / 10 / 20 / 50: domain/cash.quick_amounts). Shown on the dialog, nothing paid."""
    from pos.domain.money import Money
    from pos.ui.payment_dialog import PaymentDialog

    shown = {}
    for due in (Money(1130, "JPY"), Money(750, "KWD")):
        dialog = PaymentDialog(window.counter, due, due, (), "en_SG", parent=window)
        dialog.show()
        qtbot.waitExposed(dialog)
        keypad = dialog.cash_page.keypad
        quick = [b.text() for b in dialog.quick_buttons if b.isVisible()]
        shown[due.currency] = (quick, keypad.decimal_key.isVisible())
        for key in ("1", "decimal", "5"):
            qtbot.mouseClick(keypad.keys[key], Qt.LeftButton)
        shown[due.currency] += (dialog.cash_field.text(),)
        dialog.close()
    assert shown["JPY"] == (["JP¥2,000", "JP¥5,000", "JP¥10,000"], False, "15")
    assert shown["KWD"] == (["KWD0.800", "KWD1.000", "KWD2.000", "KWD5.000"], True, "1.5")


def test_the_dialog_opens_with_the_cash_field_ready_for_what_was_handed_over(qtbot, window, monkeypatch):
    """Finding (h1): the dialog opened on the Cash page with the focus on the Card button, so a keyboard
    cashier's "20" and Enter after Pay went nowhere (and Space would have started the card reader)."""
    monkeypatch.setattr(QMessageBox, "question", no_question)
    ring_up_three(qtbot, window)  # $18.20
    dialog = open_payment(qtbot, window)
    qtbot.waitUntil(lambda: dialog.focusWidget() is not None)  # the dialog's first focus, once shown
    focused = dialog.focusWidget()
    assert focused is dialog.cash_field
    qtbot.keyClicks(focused, "20")
    qtbot.keyClick(focused, Qt.Key_Return)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=20000)
    assert dialog.change_due.text() == "Change: $1.80"
    qtbot.keyClick(dialog, Qt.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    wait_idle(qtbot)


def test_checking_a_gift_card_keeps_the_focus_off_cancel(qtbot, window):
    """Finding (h1): a gift card code scanned (its Enter checks the balance) disabled the code field for the
    check, so Qt handed the focus to Cancel and left it there: the next Space cancelled the payment and a
    second scan was lost. The code field keeps the focus, its text selected so the next scan replaces it."""
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    qtbot.mouseClick(dialog.tender_buttons[GiftCardPage], Qt.LeftButton)
    page = dialog.tender_pages.currentWidget()
    qtbot.waitUntil(lambda: dialog.focusWidget() is page.code)
    qtbot.keyClicks(page.code, "GC-NOPE-1234")
    qtbot.keyClick(page.code, Qt.Key_Return)
    assert dialog.focusWidget() is page.code  # while the balance is looked up, too
    qtbot.waitUntil(lambda: page.balance.text() != "", timeout=20000)
    assert dialog.focusWidget() is page.code and page.code.selectedText() == "GC-NOPE-1234"
    dialog.reject()
    wait_idle(qtbot)


def test_after_a_decline_the_card_page_clips_nothing_in_the_pseudo_locale(qtbot, window, themed):
    """Finding (h1): with no reader set up, the card page's "No card reader is set up for this till
    (Settings, Reader)." was one unwrapped line: ~40 % longer, it clipped (650 px of text in 618)."""
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    choose(dialog, "pm_card_chargeDeclinedInsufficientFunds")
    qtbot.mouseClick(dialog.charge_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: dialog.banner.isVisible(), timeout=20000)
    dialog.test_tools.set_expanded(False)
    ui_audit.lengthen(dialog)
    QApplication.processEvents()
    assert not ui_audit.audit(dialog), ui_audit.report(ui_audit.audit(dialog))
    dialog.reject()
    wait_idle(qtbot)
