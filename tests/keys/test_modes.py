"""Modes never mix (issue 11, finding 5). Before the fix a configured till whose keyring was
unavailable at start fell back to demo mode silently, and a demo sale took the next number of the
real receipt sequence and counted in `pos report`."""

from __future__ import annotations

import keyring
import keyring.backends.fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from pos.adapters.db.reports import ReportsRepo
from pos.adapters.db.storage import open_engine
from pos.app import create_main_window
from pos.services.checkout import Paid
from tests.ui.conftest import wait_idle

from .test_keyring import open_settings, profile, secret_service, type_key  # noqa: F401 - fixtures


def test_a_configured_till_whose_keyring_is_gone_says_so_and_never_turns_demo(
    qtbot,
    tmp_path,
    sandbox,
    profile,  # noqa: F811 - the profile fixture
    api_key,
):
    data = tmp_path / "till"
    first = create_main_window(data, stripe_base_url=sandbox.url)
    qtbot.addWidget(first)
    dialog = open_settings(qtbot, first)
    type_key(qtbot, dialog, api_key)  # stored in the real Secret Service
    assert first.context.key_state.source == "keyring"
    wait_idle(qtbot)
    first.close()

    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())  # the keyring is gone at the next start
    try:
        win = create_main_window(data, stripe_base_url=sandbox.url)
        qtbot.addWidget(win)
        win.show()
        qtbot.waitUntil(win.key_bar.isVisible)
        assert not win.context.demo and win.context.key_state.unavailable
        assert win.mode_label.text() == "KEY UNAVAILABLE" and not win.demo_banner.isVisible()
        assert "will not switch to demo mode" in win.key_bar_text.text()
        win.till.cart.add(win.context.catalog.all()[0])
        win.pay()
        assert "No payments" in win.status_message.text() and win.payment_dialog is None
        # Even through the service, nothing reaches Stripe without the key.
        result = win.till.pay("pm_card_visa")
        assert not isinstance(result, Paid) and "cannot be read" in result.message
        keyring.set_keyring(previous)  # the cashier unlocks it, and retries
        qtbot.mouseClick(win.findChild(QPushButton, "retryKeyringButton"), Qt.LeftButton)
        assert win.context.key_state.source == "keyring" and not win.key_bar.isVisible()
        assert isinstance(win.till.pay("pm_card_visa"), Paid)
        wait_idle(qtbot)
        win.close()
    finally:
        keyring.set_keyring(previous)


def test_demo_sales_have_their_own_sequence_and_reports(qtbot, tmp_path, sandbox, profile, api_key):  # noqa: F811
    data = tmp_path / "till"
    demo = create_main_window(data)  # no key: demo mode on the embedded sandbox
    qtbot.addWidget(demo)
    assert demo.context.demo and demo.context.till_id == "DEMO-T1"
    demo.till.cart.add(demo.context.catalog.all()[0])
    demo_sale = demo.till.pay("pm_card_visa")
    assert isinstance(demo_sale, Paid) and demo_sale.receipt.till_id == "DEMO-T1"
    wait_idle(qtbot)
    demo.close()

    real = create_main_window(data, stripe_base_url=sandbox.url, api_key=api_key)
    qtbot.addWidget(real)
    assert not real.context.demo and real.context.till_id == "T1"
    real.till.cart.add(real.context.catalog.all()[0])
    sale = real.till.pay("pm_card_visa")
    assert isinstance(sale, Paid) and (sale.receipt.till_id, sale.receipt.receipt_no) == ("T1", 1)
    assert real.context.reports.x_report().sales_count == 1  # the demo sale is not in it
    reports = ReportsRepo(open_engine(data, read_only=True))
    assert reports.x_report("DEMO-T1", "SGD").sales_count == 1
    wait_idle(qtbot)
    real.close()
