"""A gift card sold with an expiry says until when it is valid on its receipt (issue 27, tenth session):
the card is stamped when it is activated, after the payment, so the receipt built with the sale did
not know the day. Now the receipt shown, the one printed (a real ESC/POS server on loopback) and a
reprint each say "valid until <day>" under the card's line, in the store's locale. Real widgets, the
real till wiring on a real SQLite file; only the store's calendar day is fixed (`pos.app.today_in`)."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton

from pos.domain.giftcards import format_code, parse_code
from pos.services.receipt_printing import Printed
from tests.helpers.escpos_double import PrinterDouble

from .conftest import wait_idle
from .test_printer import use_network_printer
from .test_tenders import tender_cash
from .test_till import open_payment

SOLD_ON = date(2026, 12, 6)
VALID_UNTIL = "valid until 6 Dec 2027"  # twelve months on, as en_SG writes a day


@pytest.fixture
def printer():
    double = PrinterDouble()
    yield double
    double.close()


def sell_card(qtbot, window, amount: str) -> str:
    window.findChild(QLineEdit, "giftCardAmountField").setText(amount)
    qtbot.mouseClick(window.findChild(QPushButton, "sellGiftCardButton"), Qt.LeftButton)
    return parse_code(window.till.cart.lines[-1].product.name.split()[-1])


def card_line_then(text: str, code: str) -> str:
    """The line after the card's own on a receipt's text."""
    lines = text.splitlines()
    at = next(n for n, line in enumerate(lines) if format_code(code) in line)
    return lines[at + 1].strip()


def test_a_card_sold_with_an_expiry_says_until_when_on_screen_on_paper_and_on_a_reprint(
    qtbot, window, printer, monkeypatch
):
    monkeypatch.setattr("pos.app.today_in", lambda _zone: SOLD_ON)
    window.context.store_settings.change("gift_card_expiry_months", "12")
    use_network_printer(qtbot, window, printer.address)
    code = sell_card(qtbot, window, "25.00")
    dialog = open_payment(qtbot, window)
    tender_cash(qtbot, dialog, "30")
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=20000)
    assert card_line_then(dialog.receipt_view.toPlainText(), code) == VALID_UNTIL
    _kick, job = printer.wait_for_jobs(2)
    assert card_line_then("\n".join(job.lines), code) == VALID_UNTIL
    number = dialog.result_value.receipt.number_text
    dialog.new_sale_button.click()
    wait_idle(qtbot)
    assert window.context.gift_cards.balance(code).expires_on == "2027-12-06"

    window.open_receipts()
    receipts = window.receipts_window
    receipts.search("number", number)
    assert card_line_then(receipts.receipt_text(copy=True), code) == VALID_UNTIL
    copy = window.context.receipts.reprint(receipts.selected).receipt
    assert isinstance(window.context.printing.print_receipt(copy, copy=True), Printed)
    job = printer.wait_for_jobs(3)[2]
    assert card_line_then("\n".join(job.lines), code) == VALID_UNTIL and "*** COPY ***" in job.lines[0]
    receipts.close()


def test_a_card_with_no_expiry_prints_no_day(qtbot, window, printer):
    # The default: cards never expire, and the receipt says nothing of a day.
    use_network_printer(qtbot, window, printer.address)
    sell_card(qtbot, window, "10.00")
    dialog = open_payment(qtbot, window)
    tender_cash(qtbot, dialog, "10")
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=20000)
    assert "valid until" not in dialog.receipt_view.toPlainText()
    _kick, job = printer.wait_for_jobs(2)
    assert not any("valid until" in line for line in job.lines)
    dialog.new_sale_button.click()
    wait_idle(qtbot)
