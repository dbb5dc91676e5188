"""The customer display (issue 28 item 5), clicked through: turned on from the View menu, it shows the
cart as it is rung up, the total and the change, never the cashier; the customer chooses print or no
receipt on it and the printer follows; the card reader's screen is cleared when the cart empties or
the sale ends. Real widgets (offscreen: one screen), real SQLite, the sandbox's simulated reader, the
receipt printer a real TCP server on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QMessageBox, QPushButton, QWidget

from pos.app import open_back_office
from pos.services.receipt_choice import ReceiptChoice
from pos.services.settings import CustomerDisplayMode
from tests.helpers import ui_audit
from tests.helpers.cli import ROOT
from tests.helpers.escpos_double import PrinterDouble
from tests.services.conftest import sandbox_client

from .conftest import wait_idle
from .test_printer import use_network_printer
from .test_reader import reader_action, register_reader, send_to_reader
from .test_staff import sign_in
from .test_tenders import tender_card, tender_cash
from .test_till import button_for, open_payment, ring_up_three

BOB, ANN = ("Bob Lim", "1357"), ("Ann", "2468")


@pytest.fixture
def data_dir(data_dir):
    """The demo catalog's data folder, with a cashier and a manager who sign in (`pos cashiers add`)."""
    office = open_back_office(data_dir)
    office.staff.add(BOB[0], "cashier", BOB[1])
    office.staff.add(ANN[0], "manager", ANN[1])
    office.close()
    return data_dir


@pytest.fixture
def printer():
    double = PrinterDouble()
    yield double
    double.close()


def turn_on_display(qtbot, window) -> QWidget:
    """View → Customer display (one screen here: off until the owner turns it on)."""
    display = window.findChild(QWidget, "customerDisplay")
    assert display is not None and display.isWindow() and not display.isVisible()
    action = window.findChild(QAction, "customerDisplayAction")
    assert action.isCheckable() and not action.isChecked()
    action.trigger()
    qtbot.waitUntil(display.isVisible)
    assert window.session.settings.customer_display_mode is CustomerDisplayMode.ON  # kept for this till
    assert window.counter.customer_chooses_receipt
    return display


def shown_lines(display) -> list[str]:
    lines = display.findChild(QListWidget, "customerDisplayLines")
    return [lines.item(row).text() for row in range(lines.count())]


def total_text(display) -> str:
    return display.findChild(QLabel, "customerDisplayTotal").text()


def every_text(display) -> str:
    texts = [label.text() for label in display.findChildren(QLabel) if label.isVisible()]
    texts += [b.text() for b in display.findChildren(QPushButton) if b.isVisible()]
    return "\n".join(texts + shown_lines(display) + [display.windowTitle()])


def test_the_customer_sees_the_lines_the_total_and_the_change_and_never_the_cashier(qtbot, window):
    sign_in(qtbot, window, *BOB)
    assert BOB[0] in window.cashier_label.text()
    display = turn_on_display(qtbot, window)
    assert "Welcome" in every_text(display)
    window.products.tabs.setCurrentIndex(window.products.tabs.count() - 1)
    qtbot.mouseClick(button_for(window, "Teh Tarik"), Qt.LeftButton)
    qtbot.waitUntil(lambda: shown_lines(display) == ["Teh Tarik\t$2.40"])
    assert total_text(display).startswith("Total $2.40")
    ring_up_three(qtbot, window)  # two Teh Tarik now, a croissant and two flat whites
    qtbot.waitUntil(lambda: len(shown_lines(display)) == 3)
    assert shown_lines(display)[0] == "2 × Teh Tarik\t$4.80"
    assert shown_lines(display)[2].startswith("2 × Flat White\t")
    assert total_text(display).startswith("Total $20.60")  # ring_up_three's $18.20 and one more Teh Tarik
    dialog = open_payment(qtbot, window)
    tender_cash(qtbot, dialog, "10")  # a part: what is paid, and what is still to pay
    qtbot.waitUntil(lambda: total_text(display) == "Still to pay $10.60")
    assert "Paid by cash $10.00" in every_text(display) and "Total $20.60" in every_text(display)
    tender_cash(qtbot, dialog, "50")
    change = display.findChild(QLabel, "customerDisplayChange")
    qtbot.waitUntil(change.isVisible)
    assert change.text() == "Your change $39.40"  # 50.00 for the 10.60 left
    assert "Thank you" in every_text(display)
    # Never the cashier, never a PIN field, never the store's back office.
    text = every_text(display)
    assert "Bob" not in text and "Lim" not in text and "Till" not in text
    assert display.findChildren(QLineEdit) == []
    dialog.new_sale_button.click()
    wait_idle(qtbot)
    assert change.isVisible()  # the thank-you stays for this customer until the next one's first item


def test_the_customer_chooses_print_and_the_receipt_prints_after_the_drawer(qtbot, window, printer):
    sign_in(qtbot, window, *ANN)  # the manager: printer and reader set up in Settings
    use_network_printer(qtbot, window, printer.address)
    display = turn_on_display(qtbot, window)
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    tender_cash(qtbot, dialog, "50")
    print_button = display.findChild(QPushButton, "receiptChoice_print")
    qtbot.waitUntil(print_button.isVisible)
    assert display.findChild(QPushButton, "receiptChoice_none").isVisible()
    for size in ((800, 600), (1024, 768), (1920, 1080)):  # a customer-facing screen, small to large
        ui_audit.show_at(display, size)
        assert ui_audit.audit(display) == [], ui_audit.report(ui_audit.audit(display))
    ui_audit.lengthen(display)  # the pseudo-locale's 40 % longer words still fit the smallest
    ui_audit.show_at(display, (800, 600))
    assert ui_audit.audit(display) == [], ui_audit.report(ui_audit.audit(display))
    [kick] = printer.wait_for_jobs(1)  # the change first: the drawer opens at once, nothing printed yet
    assert kick.pulses == [2] and kick.lines == []
    qtbot.mouseClick(print_button, Qt.LeftButton)
    _kick, receipt = printer.wait_for_jobs(2)
    assert receipt.pulses == [] and any("TOTAL" in line for line in receipt.lines)
    assert not print_button.isVisible() and "Your receipt is printing." in every_text(display)
    qtbot.waitUntil(lambda: "The customer chose: print my receipt." in window.status_message.text())


def test_the_customer_chooses_no_receipt_and_nothing_prints(qtbot, window, printer):
    sign_in(qtbot, window, *ANN)  # the manager: printer and reader set up in Settings
    use_network_printer(qtbot, window, printer.address)
    display = turn_on_display(qtbot, window)
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    tender_card(qtbot, dialog, None, "pm_card_visa")
    none_button = display.findChild(QPushButton, "receiptChoice_none")
    qtbot.waitUntil(none_button.isVisible)
    qtbot.mouseClick(none_button, Qt.LeftButton)
    assert "No receipt." in every_text(display)
    qtbot.waitUntil(lambda: "The customer chose: no receipt." in window.status_message.text())
    dialog.new_sale_button.click()
    wait_idle(qtbot)
    assert printer.printouts == []  # a card sale opens no drawer, and the customer wanted no receipt


def test_a_choice_nobody_makes_lapses_so_the_next_customer_cannot_print_it(qtbot, window, printer):
    sign_in(qtbot, window, *ANN)
    use_network_printer(qtbot, window, printer.address)
    display = turn_on_display(qtbot, window)
    display.choice_timer.setInterval(50)  # the customer_view's minute and seconds, shortened here
    display.welcome_timer.setInterval(50)
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    tender_cash(qtbot, dialog, "50")
    print_button = display.findChild(QPushButton, "receiptChoice_print")
    qtbot.waitUntil(lambda: "No receipt chosen in time for 0001" in window.status_message.text())
    assert not print_button.isVisible() and window.counter.choose_receipt(ReceiptChoice.PRINT) is None
    qtbot.waitUntil(lambda: "Welcome" in every_text(display))  # then the welcome for the next customer
    assert shown_lines(display) == [] and not display.findChild(QLabel, "customerDisplayChange").isVisible()
    dialog.new_sale_button.click()
    wait_idle(qtbot)
    [kick] = printer.wait_for_jobs(1)
    assert kick.pulses == [2] and kick.lines == [] and len(printer.printouts) == 1  # the drawer, no receipt


def reader_shows_cart(sandbox, reader_id) -> bool:
    action = reader_action(sandbox, reader_id)
    return bool(action) and action["type"] == "set_reader_display" and action["status"] == "in_progress"


def test_the_readers_display_is_cleared_when_the_cart_empties_or_the_sale_ends(
    qtbot, window, sandbox, api_key, monkeypatch
):
    sign_in(qtbot, window, *ANN)  # the manager: printer and reader set up in Settings
    reader_id = register_reader(qtbot, window)
    # Clear cart: the reader's screen goes back to its splash (Stripe's cancel_action: action null).
    ring_up_three(qtbot, window)
    qtbot.waitUntil(lambda: reader_shows_cart(sandbox, reader_id), timeout=20000)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)  # "Clear the cart?" answered
    qtbot.mouseClick(window.cart_panel.clear, Qt.LeftButton)
    qtbot.waitUntil(lambda: reader_action(sandbox, reader_id) is None, timeout=20000)
    # A cash sale ends: cleared before the cashier even starts the next sale.
    ring_up_three(qtbot, window)
    qtbot.waitUntil(lambda: reader_shows_cart(sandbox, reader_id), timeout=20000)
    dialog = open_payment(qtbot, window)
    tender_cash(qtbot, dialog, "50")
    qtbot.waitUntil(lambda: reader_action(sandbox, reader_id) is None, timeout=20000)
    dialog.new_sale_button.click()
    wait_idle(qtbot)
    # A card sale on the reader: the payment takes the screen over, and clearing never cancels it.
    ring_up_three(qtbot, window)
    qtbot.waitUntil(lambda: reader_shows_cart(sandbox, reader_id), timeout=20000)
    dialog = send_to_reader(qtbot, window, sandbox, reader_id)
    sandbox_client(sandbox, api_key).v1.test_helpers.terminal.readers.present_payment_method(
        reader_id, {"card_present": {"number": "4242424242424242"}}
    )
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=20000)
    wait_idle(qtbot)
    action = reader_action(sandbox, reader_id)
    assert (action["type"], action["status"]) == ("process_payment_intent", "succeeded")
    dialog.new_sale_button.click()
    wait_idle(qtbot)
    assert not reader_shows_cart(sandbox, reader_id)


SCREENS = {
    "synchronousWindowSystemEvents": False,
    "windowFrameMargins": False,
    "screens": [
        {"name": "Cashier", "x": 0, "y": 0, "width": 1280, "height": 800, "logicalDpi": 96, "dpr": 1},
        {"name": "Customer", "x": 1280, "y": 0, "width": 1024, "height": 768, "logicalDpi": 96, "dpr": 1},
    ],
}


@pytest.mark.parametrize(
    ("mode", "shown"),
    [("auto", True), ("on", True), ("off", False)],
)
def test_with_a_second_screen_the_display_opens_full_screen_on_it(tmp_path, sandbox, api_key, mode, shown):
    """Two screens, as Qt's offscreen platform is told of them at start (tests/helpers/two_screens.py,
    its own process): the display fills the second one unless the owner turned it off."""
    config = tmp_path / "screens.json"
    config.write_text(json.dumps(SCREENS), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "tests.helpers.two_screens", str(tmp_path / "till"), sandbox.url, mode],
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}", "POS_STRIPE_API_KEY": api_key},
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["screens"] == ["Cashier", "Customer"]
    assert seen["visible"] is shown and seen["customer_chooses_receipt"] is shown
    if shown:
        assert seen["full_screen"] and seen["screen"] == "Customer"
        assert seen["geometry"] == [1280, 0, 1024, 768]


def test_the_customers_tap_never_takes_the_cashiers_keyboard(qtbot, window, printer):
    """Hostile pass (h2): the customer display is a window of its own; shown, or tapped by the customer
    (print my receipt), it took the keyboard, so the cashier's next scan went into it and was lost.
    A window manager activates a window that is clicked; `activateWindow()` stands in for it here
    (offscreen has no window manager). The display now never takes the focus."""
    from PySide6.QtWidgets import QApplication

    from .test_keyboard import press, type_text

    sign_in(qtbot, window, *ANN)
    use_network_printer(qtbot, window, printer.address)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    display = turn_on_display(qtbot, window)
    # Shown beside the till without taking its keys: what a window manager reads (offscreen activates
    # every window shown, whatever it asks, so the show itself is not seen here).
    assert display.windowFlags() & Qt.WindowDoesNotAcceptFocus
    assert display.testAttribute(Qt.WA_ShowWithoutActivating)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    tender_cash(qtbot, dialog, "50")
    print_button = display.findChild(QPushButton, "receiptChoice_print")
    qtbot.waitUntil(print_button.isVisible)
    qtbot.waitUntil(dialog.isActiveWindow)  # the receipt has the keys
    display.activateWindow()  # the customer's tap, as a window manager takes it
    wait_idle(qtbot)
    qtbot.mouseClick(print_button, Qt.LeftButton)
    wait_idle(qtbot)
    assert QApplication.activeWindow() is not display
    assert QApplication.focusWidget() is None or QApplication.focusWidget().window() is not display
    type_text(qtbot, "8881230000013")  # the next customer's Espresso, scanned at once
    press(qtbot, Qt.Key_Return)
    qtbot.waitUntil(lambda: [line.product.name for line in window.till.cart.lines] == ["Espresso"])
