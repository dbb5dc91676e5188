"""Paying on the card reader, clicked through as a cashier would (issue 14): the reader registered in
Settings, the cart on the reader's screen, the customer's tap (Stripe's test helper, or the
"Simulate card" panel), a decline, a cancel. Real widgets, the real sandbox's simulated reader."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt

from tests.invariants import check_invariants
from tests.services.conftest import sandbox_client

from .conftest import wait_idle
from .test_till import open_payment, ring_up_three


def register_reader(qtbot, window) -> str:
    """Settings → Card reader: register Stripe's simulated reader with its registration code."""
    window.open_settings("Reader")
    dialog = window.settings_dialog
    qtbot.waitUntil(dialog.isVisible)
    wait_idle(qtbot)
    assert "No card reader" in dialog.reader_state.text()
    qtbot.keyClicks(dialog.reader_code, "purple-cat")
    qtbot.mouseClick(dialog.register_reader, Qt.LeftButton)
    wait_idle(qtbot)
    assert "did not take that registration code" in dialog.reader_message.text()
    dialog.reader_code.clear()
    qtbot.keyClicks(dialog.reader_code, "simulated-wpe")
    qtbot.keyClicks(dialog.reader_label, "Front counter")
    assert dialog.reader_location.count() == 1  # no Stripe location yet: a new one, named after the store
    qtbot.mouseClick(dialog.register_reader, Qt.LeftButton)
    wait_idle(qtbot)
    assert "Front counter" in dialog.reader_state.text() and "online" in dialog.reader_state.text()
    dialog.close()
    reader_id = window.session.readers.reader_id
    assert reader_id and reader_id.startswith("tmr_")
    return reader_id


def reader_action(sandbox, reader_id):
    return sandbox.reader(reader_id)["action"]


def waiting_for_customer(sandbox, reader_id) -> bool:
    action = reader_action(sandbox, reader_id)
    return bool(action) and action["type"] == "process_payment_intent" and action["status"] == "in_progress"


def send_to_reader(qtbot, window, sandbox, reader_id):
    dialog = open_payment(qtbot, window)
    # The test tools are collapsed, and Simulate waits for the reader (issue 28 item 1).
    assert not dialog.test_tools.expanded and not dialog.simulate_button.isEnabled()
    # Card starts the reader, as Square and Shopify do on Charge.
    qtbot.mouseClick(dialog.card_tender, Qt.LeftButton)
    dialog.test_tools.set_expanded(True)
    assert dialog.reader_button.isVisible() and dialog.simulate_button.isVisible()
    qtbot.waitUntil(lambda: waiting_for_customer(sandbox, reader_id), timeout=20000)
    qtbot.waitUntil(lambda: "tap" in dialog.reader_status.text(), timeout=20000)
    assert dialog.charging and dialog.cancel_reader.isEnabled()
    return dialog


@pytest.fixture
def reader(qtbot, window):
    return register_reader(qtbot, window)


def test_the_customer_taps_on_the_reader_and_the_sale_ends_with_its_receipt(qtbot, window, sandbox, api_key, reader):
    stripe = sandbox_client(sandbox, api_key)
    # The registered reader is the till's, through the Stripe API.
    assert [r.id for r in stripe.v1.terminal.readers.list().data] == [reader]
    (location,) = stripe.v1.terminal.locations.list().data
    assert location.display_name == window.session.settings.store_name
    ring_up_three(qtbot, window)  # $18.20
    # The customer sees the cart on the reader as it is built.
    qtbot.waitUntil(lambda: window.reader_display_shown, timeout=20000)
    shown = reader_action(sandbox, reader)
    assert shown["type"] == "set_reader_display"
    cart = shown["set_reader_display"]["cart"]
    assert [line["description"] for line in cart["line_items"]] == ["Teh Tarik", "Almond Croissant", "Flat White"]
    assert cart["total"] == 1820
    dialog = send_to_reader(qtbot, window, sandbox, reader)
    # The customer taps (Stripe's own test helper, as a test may use it).
    stripe.v1.test_helpers.terminal.readers.present_payment_method(
        reader, {"card_present": {"number": "5555555555554444"}}
    )
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=20000)
    text = dialog.receipt_view.toPlainText()
    assert "MASTERCARD **** 4444" in text and "$18.20" in text
    pi = stripe.v1.payment_intents.list().data[0]
    assert (pi.status, pi.amount, pi.payment_method_types) == ("succeeded", 1820, ["card_present"])
    # The EMV fields Stripe returned for this charge, as card networks require on the receipt.
    emv = stripe.v1.charges.retrieve(pi.latest_charge).payment_method_details.card_present.receipt
    assert emv.dedicated_file_name == "A0000000041010" and emv.authorization_code
    for label, value in (("AID", emv.dedicated_file_name), ("Auth code", emv.authorization_code)):
        assert any(line.strip().startswith(label) and line.endswith(value) for line in text.splitlines()), text
    assert "Contactless" in text and "Mastercard" in text
    dialog.new_sale_button.click()
    wait_idle(qtbot)
    assert window.till.cart.is_empty()
    check_invariants(window.session.data_dir / "pos.sqlite3", stripe)


def test_a_decline_on_the_reader_keeps_the_cart_then_a_tip_through_the_simulate_panel(
    qtbot, window, sandbox, api_key, reader
):
    stripe = sandbox_client(sandbox, api_key)
    window.open_settings("Reader")  # Settings → Reader: "Offer the customer a tip on the reader"
    settings = window.settings_dialog
    qtbot.waitUntil(settings.isVisible)
    wait_idle(qtbot)
    assert not settings.reader_tipping.isChecked()
    qtbot.mouseClick(settings.reader_tipping, Qt.LeftButton)
    assert window.session.settings.reader_tipping and "tip screen" in settings.reader_message.text()
    settings.close()
    ring_up_three(qtbot, window)
    dialog = send_to_reader(qtbot, window, sandbox, reader)
    assert dialog.simulate_tip.isVisible()
    dialog.simulate_card.setCurrentIndex(dialog.simulate_card.findData("4000000000009995"))
    qtbot.mouseClick(dialog.simulate_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.charging, timeout=20000)
    # Said once, in the header: not on the message line, not again (in another colour) on the reader's.
    assert "not enough funds" in dialog.banner.text() and "The cart is kept" in dialog.banner.text()
    assert "not enough funds" not in dialog.message.text() + dialog.reader_status.text()
    assert dialog.pages.currentIndex() == 0 and len(window.till.cart.lines) == 3
    # The next try, with a $2 tip the customer adds on the reader.
    qtbot.mouseClick(dialog.reader_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: waiting_for_customer(sandbox, reader), timeout=20000)
    qtbot.waitUntil(dialog.simulate_button.isEnabled, timeout=20000)
    dialog.simulate_card.setCurrentIndex(0)
    dialog.simulate_tip.setText("2")
    qtbot.mouseClick(dialog.simulate_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=20000)
    text = dialog.receipt_view.toPlainText()
    assert "Tip" in text and "$2.00" in text and "$20.20" in text
    intents = stripe.v1.payment_intents.list().data
    assert len(intents) == 1 and intents[0].amount == 2020  # one intent: declined once, then paid with the tip
    dialog.new_sale_button.click()
    wait_idle(qtbot)
    report = window.session.reports.x_report()
    assert report.card_sales_minor == 1820 and report.tips_minor == 200
    check_invariants(window.session.data_dir / "pos.sqlite3", stripe)


def test_cancel_leaves_nothing_charged_and_the_reader_idle(qtbot, window, sandbox, api_key, reader):
    stripe = sandbox_client(sandbox, api_key)
    ring_up_three(qtbot, window)
    dialog = send_to_reader(qtbot, window, sandbox, reader)
    qtbot.mouseClick(dialog.cancel_reader, Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.charging, timeout=20000)
    assert "Nothing was charged" in dialog.banner.text()
    action = reader_action(sandbox, reader)
    assert (action["status"], action["failure_code"]) == ("failed", "canceled")
    # Send it again and leave with the dialog's own Cancel (Esc): the reader is cancelled first.
    qtbot.mouseClick(dialog.reader_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: waiting_for_customer(sandbox, reader), timeout=20000)
    qtbot.mouseClick(dialog.cancel_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=20000)
    wait_idle(qtbot)
    assert not waiting_for_customer(sandbox, reader)
    assert all(pi.status != "succeeded" for pi in stripe.v1.payment_intents.list().data)
    assert len(window.till.cart.lines) == 3
    check_invariants(window.session.data_dir / "pos.sqlite3", stripe)


def test_demo_mode_sets_up_a_simulated_reader_by_itself(qtbot, data_dir, monkeypatch):
    from pos.app import create_main_window

    monkeypatch.delenv("POS_STRIPE_KEY", raising=False)
    win = create_main_window(data_dir)  # no key, no base URL: demo on the embedded sandbox
    win.show()
    qtbot.waitExposed(win)
    deadline = time.monotonic() + 20
    qtbot.waitUntil(lambda: win.session.readers.reader_id is not None or time.monotonic() > deadline, timeout=25000)
    wait_idle(qtbot)
    status = win.session.readers.status()
    assert status.ready and "Demo reader" in status.message
    win.close()
    win.deleteLater()
