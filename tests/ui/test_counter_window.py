"""The window on the Counter (issue 24 item 1): it redraws from the counter's events and writes no
record itself. Real widgets (offscreen), the sandbox over HTTP, a real SQLite file."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from pos.domain.money import Money
from pos.services.counter_events import CartChanged
from pos.services.sales import StorageError
from pos.services.staff import Staff

from .conftest import wait_idle
from .test_tenders import tender_cash
from .test_till import open_payment, ring_up_three


def test_a_sale_voided_in_the_payment_dialog_is_on_record_even_if_a_later_write_would_fail(
    qtbot, window, data_dir, monkeypatch
):
    """Before issue 24 the window recorded the voided sale itself after the void, in a second write
    (`Staff.record_void`): that write failing (or the till dying) left a void with no record. Here that
    second write fails; the void's record is there all the same, written with the void."""

    def fails(*_args, **_kwargs):
        raise StorageError("The till's data could not be written.")

    monkeypatch.setattr(Staff, "record_void", fails)
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    tender_cash(qtbot, dialog, "5")
    sale_id = window.till.sale_id
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    qtbot.mouseClick(dialog.cancel_button, Qt.LeftButton)  # part is paid: cancelling is a void
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=20000)
    assert "hand back SGD 5.00 in cash" in window.status_message.text()
    wait_idle(qtbot)
    with sqlite3.connect(data_dir / "pos.sqlite3") as conn:
        voids = conn.execute("SELECT kind, reason FROM voids WHERE sale_id = ?", (sale_id,)).fetchall()
        state = conn.execute("SELECT state FROM sales WHERE id = ?", (sale_id,)).fetchone()[0]
    assert state == "abandoned"
    assert voids == [("sale", "sale voided: paid parts given back")]


def test_the_window_redraws_from_the_counters_events(qtbot, window):
    """Whatever changes the cart (here the counter itself, as a later customer display or a restored
    sale does), the cart panel and Pay follow from the CartChanged event."""
    heard = []
    window.counter.subscribe(heard.append)
    assert not window.pay_button.isEnabled()
    product = window.session.catalog.find_code("8881230000044")
    window.counter.add(product, 2)
    assert [type(e) for e in heard] == [CartChanged]
    assert window.pay_button.isEnabled()
    assert window.cart_panel.table.rowCount() == 1
    assert window.cart_panel.total_label.text() == Money(heard[0].total.minor, "SGD").format(window.locale_name)
    window.counter.clear()
    assert not window.pay_button.isEnabled() and window.cart_panel.table.rowCount() == 0
