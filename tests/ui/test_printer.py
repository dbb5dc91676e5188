"""The receipt printer as a cashier and an owner meet it: set up and tested in Settings, a
receipt printed after each card sale, the drawer opened by a button and recorded. The printer
is a real TCP server on loopback (tests/helpers/escpos_double.py)."""

from __future__ import annotations

import socket
import sqlite3
import unicodedata

import pytest
from PySide6.QtCore import Qt

from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.domain.printer_setup import PrinterKind
from tests.helpers.escpos_double import PrinterDouble
from .conftest import wait_idle
from .test_till import charge, open_payment, ring_up_three


@pytest.fixture
def printer():
    double = PrinterDouble()
    yield double
    double.close()


def set_up_printer(qtbot, window, kind: str, address: str):
    window.open_settings("Printer")
    dialog = window.settings_dialog
    dialog.printer_kind.setCurrentIndex(dialog.printer_kind.findData(kind))
    dialog.printer_address.setText(address)
    return dialog


def use_network_printer(qtbot, window, address: str) -> None:
    """Set up a network printer in Settings, save it, and close Settings."""
    set_up_printer(qtbot, window, "network", address).save_settings.click()
    window.settings_dialog.close()


def drawer_openings(window):
    conn = sqlite3.connect(window.session.data_dir / "pos.sqlite3")
    try:
        return conn.execute("SELECT till_id, reason, opened FROM drawer_openings ORDER BY id").fetchall()
    finally:
        conn.close()


def test_the_owner_sets_up_the_printer_tests_it_and_saves_it(qtbot, window, printer):
    dialog = set_up_printer(qtbot, window, "network", printer.address)
    qtbot.mouseClick(dialog.test_print, Qt.LeftButton)
    qtbot.waitUntil(lambda: "Test page sent" in dialog.printer_message.text())
    [job] = printer.wait_for_jobs(1)
    assert "Test print" in job.lines[0] and job.cuts == 1
    assert window.session.settings.printer_kind == ""  # a test print saves nothing
    qtbot.mouseClick(dialog.save_settings, Qt.LeftButton)
    assert dialog.settings_message.text() == "Store settings saved."
    assert window.session.settings.printer.kind is PrinterKind.NETWORK
    assert window.session.settings.printer_address == printer.address
    dialog.close()


def test_a_wrong_address_is_refused_before_anything_is_saved(qtbot, window):
    dialog = set_up_printer(qtbot, window, "usb", "epson tm-t20")
    qtbot.mouseClick(dialog.test_print, Qt.LeftButton)
    assert "is not a USB id" in dialog.printer_message.text()
    qtbot.mouseClick(dialog.save_settings, Qt.LeftButton)
    assert "is not a USB id" in dialog.settings_message.text()
    assert window.session.settings.printer_kind == ""
    dialog.close()


def test_each_card_sale_prints_its_receipt(qtbot, window, printer):
    use_network_printer(qtbot, window, printer.address)
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    charge(qtbot, dialog, "pm_card_visa")
    receipt = dialog.result_value.receipt
    [job] = printer.wait_for_jobs(1)
    assert any(line.startswith(f"Receipt {receipt.number_text}") for line in job.lines)
    assert any("VISA" in line.upper() and "4242" in line for line in job.lines)
    assert job.cuts == 1 and job.pulses == []  # a card sale does not open the drawer
    qtbot.waitUntil(lambda: f"Receipt {receipt.number_text} printed." in window.status_message.text())
    dialog.new_sale_button.click()
    wait_idle(qtbot)


def said_once(window, number: str) -> bool:
    """The status line holds the sale's words and the printer's answer for its receipt, each once."""
    text = window.status_message.text()
    return text.count(f"receipt {number} saved") == 1 and text.count(f"Receipt {number} printed.") == 1


def test_a_printers_answer_that_comes_before_the_sales_own_words_is_said_with_them(qtbot, window, printer):
    """The printer answers on its own thread: under load its answer came before "Paid ... saved."
    and was overwritten, so a printer that is off went unsaid (CI saw the 'printed' words lost).
    Here the sale's words are held back (the dialog's `paid` reaches the window only once the
    printer has answered, as a busy turn of the event loop can deliver them) and the real print runs."""
    use_network_printer(qtbot, window, printer.address)
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    dialog.paid.disconnect(window._sale_paid)
    charge(qtbot, dialog, "pm_card_visa")
    result = dialog.result_value
    number = result.receipt.number_text
    printer.wait_for_jobs(1)
    qtbot.waitUntil(lambda: f"Receipt {number} printed." in window.status_message.text())
    assert f"receipt {number} saved" not in window.status_message.text()  # the printer's answer came first
    window._sale_paid(result)  # now the sale's words, as the held signal would have said them
    assert said_once(window, number), window.status_message.text()
    dialog.new_sale_button.click()
    wait_idle(qtbot)
    assert said_once(window, number), window.status_message.text()  # closing the receipt says nothing twice


def test_a_printers_answer_that_comes_after_the_sales_own_words_joins_them(qtbot, window, printer):
    """The usual order on a quiet machine: "Paid ... receipt N saved." first, then the printer's
    answer, which replaced them (the cashier lost "Paid" and the receipt number, issue 27's printer
    words). Here the counter's events (the Paid that starts the print) are held until the sale's
    words are on the status line, then delivered in order; the real print runs after."""
    use_network_printer(qtbot, window, printer.address)
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    held: list[object] = []
    window.counter_bridge.heard.disconnect(window.on_counter_event)
    window.counter_bridge.heard.connect(held.append)
    charge(qtbot, dialog, "pm_card_visa")
    number = dialog.result_value.receipt.number_text
    assert f"receipt {number} saved" in window.status_message.text() and printer.jobs == []
    window.counter_bridge.heard.disconnect(held.append)
    window.counter_bridge.heard.connect(window.on_counter_event)
    for event in held:
        window.on_counter_event(event)
    printer.wait_for_jobs(1)
    qtbot.waitUntil(lambda: f"Receipt {number} printed." in window.status_message.text())
    assert said_once(window, number), window.status_message.text()
    dialog.new_sale_button.click()
    wait_idle(qtbot)


def test_a_printer_that_is_off_never_costs_the_sale(qtbot, window):
    with socket.socket() as probe:  # a port nobody listens on: the printer is off
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    use_network_printer(qtbot, window, address)
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    charge(qtbot, dialog, "pm_card_visa")
    assert dialog.receipt_view.isVisible()  # the sale is complete and shown
    number = dialog.result_value.receipt.number_text
    qtbot.waitUntil(lambda: "was saved but not printed" in window.status_message.text(), timeout=15000)
    assert f"Receipt {number}" in window.status_message.text() and "Reprint it" in window.status_message.text()
    dialog.new_sale_button.click()
    wait_idle(qtbot)


def test_the_drawer_button_kicks_the_drawer_and_every_opening_is_recorded(qtbot, window, printer):
    qtbot.mouseClick(window.open_drawer_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "No receipt printer is set up" in window.status_message.text())
    use_network_printer(qtbot, window, printer.address)
    qtbot.mouseClick(window.open_drawer_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.status_message.text() == "Drawer opened.")
    [job] = printer.wait_for_jobs(1)
    assert job.pulses == [2] and job.lines == []
    assert drawer_openings(window) == [("T1", "no sale", 0), ("T1", "no sale", 1)]


def test_a_refund_prints_its_refund_receipt(qtbot, window, printer):
    use_network_printer(qtbot, window, printer.address)
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    charge(qtbot, dialog, "pm_card_visa")
    printer.wait_for_jobs(1)  # the sale's receipt
    dialog.new_sale_button.click()
    window.open_receipts()
    receipts = window.receipts_window
    receipts.search("number", "1")
    receipts.open_refund()
    refund = receipts.refund_dialog
    refund.set_line_quantity(1, 1)
    qtbot.mouseClick(refund.confirm, Qt.LeftButton)
    qtbot.waitUntil(lambda: refund.print_message.text() == "Refund 0001 printed.", timeout=15000)
    job = printer.wait_for_jobs(2)[1]
    assert "*** REFUND ***" in job.lines[1] and job.cuts == 1
    assert job.lines[3].startswith("Refund 0001") and "For receipt 0001" in job.lines
    refund.close()
    receipts.close()
    wait_idle(qtbot)


def test_settings_refuse_printer_commands_in_the_store_name_and_footer(qtbot, window):
    """Issue 23, finding 3: `store_name` and `receipt_footer` took control bytes, printed raw on
    every receipt. Settings now says which field holds one, and saves nothing."""
    window.open_settings()
    dialog = window.settings_dialog
    before = window.context.settings
    for field in (dialog.store_name, dialog.footer):
        field.setText("Kopi\x1bp\x00\x19\xfa")
        dialog.save_settings.click()
        assert "holds a control character (ESC)" in dialog.settings_message.text()
        assert window.context.settings == before
        field.setText(before.store_name if field is dialog.store_name else before.receipt_footer)
    dialog.close()


def test_a_card_sale_of_a_product_named_with_printer_commands_opens_no_drawer(qtbot, window, printer):
    """Issue 23, finding 3, as the shop met it: a product whose name holds ESC p and GS V (kept
    before the doors checked: saved here without the catalog's rules) is sold by card. The printer
    gets one cut and no drawer pulse, nothing is recorded as a drawer opening, and the receipt on
    screen shows no control character."""
    tea = window.context.catalog.save(
        Product(
            sku="TEA-X",
            name="Tea\x1bp\x00\x19\xfa\x1dV\x00",
            category="Tea",
            price=Money(350, "SGD"),
            tax_rate_bp=900,
            barcode="9990000000017",
        )
    )
    use_network_printer(qtbot, window, printer.address)
    search = window.products.search
    qtbot.keyClicks(search, tea.barcode)
    qtbot.keyClick(search, Qt.Key_Return)
    assert [line.product.sku for line in window.till.cart.lines] == ["TEA-X"]
    dialog = open_payment(qtbot, window)
    charge(qtbot, dialog, "pm_card_visa")
    [job] = printer.wait_for_jobs(1)
    assert job.cuts == 1 and job.pulses == []  # before: a pulse on pin 2 and a second cut
    assert any(line.startswith("TeapúV") for line in job.lines)
    shown = dialog.receipt_view.toPlainText()
    assert "TeapúV" in shown and not any(unicodedata.category(c) == "Cc" for c in shown.replace("\n", ""))
    qtbot.waitUntil(lambda: "printed." in window.status_message.text())
    assert drawer_openings(window) == []
    dialog.new_sale_button.click()
    wait_idle(qtbot)
