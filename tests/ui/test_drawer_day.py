"""The drawer's day: an opening float, cash paid out with a reason, and a Z where the counted
drawer comes up short (issue 13, item 5 in part: no cash sales yet, so expected cash is the
float plus paid in less paid out)."""

from __future__ import annotations

import json
import sqlite3

import pytest
from PySide6.QtCore import Qt

from tests.helpers.escpos_double import PrinterDouble

from .conftest import wait_idle
from .test_printer import use_network_printer


@pytest.fixture
def printer():
    double = PrinterDouble()
    yield double
    double.close()


def record(qtbot, dialog, kind, amount, reason=""):
    dialog.kind.setCurrentIndex(dialog.kind.findData(kind))
    dialog.amount.setText(amount)
    dialog.reason.setText(reason)
    qtbot.mouseClick(dialog.record, Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy)
    return dialog.message.text()


def test_float_paid_out_and_a_short_drawer_at_the_z(qtbot, window, printer):
    use_network_printer(qtbot, window, printer.address)
    window.open_cash_movements()
    cash = window.cash_dialog
    assert record(qtbot, cash, "float", "100.00") == "Opening float of SGD 100.00 recorded."
    assert record(qtbot, cash, "paid_out", "12.50") == "Say why (paid out is kept with its reason)."
    assert record(qtbot, cash, "paid_out", "twelve", "Milk") == "Type the amount like 100.00 (SGD)."
    assert record(qtbot, cash, "paid_out", "12.50", "Milk from the market") == "Paid out of SGD 12.50 recorded."
    jobs = printer.wait_for_jobs(2)
    assert [job.pulses for job in jobs] == [[2], [2]]  # the drawer opened for each
    cash.close()

    window.open_reports()
    reports = window.reports_dialog
    x = reports.show_x()
    assert (x.float_minor, x.paid_out_minor, x.expected_cash_minor) == (10000, 1250, 8750)
    assert "Expected in the drawer" in reports.view.toPlainText()
    reports.counted.setText("87.00")
    z = reports.close_day()
    assert z is not None and (z.counted_cash_minor, z.over_short_minor) == (8700, -50)
    assert reports.message.text().endswith("The drawer is short by $0.50.")
    assert "Short" in reports.view.toPlainText()
    # The next period starts empty; the Z keeps its count.
    assert reports.show_x().expected_cash_minor == 0
    conn = sqlite3.connect(window.session.data_dir / "pos.sqlite3")
    try:
        counted, figures = conn.execute("SELECT counted_cash_minor, figures FROM z_reports").fetchone()
        reasons = [r for (r,) in conn.execute("SELECT reason FROM drawer_openings ORDER BY id")]
    finally:
        conn.close()
    assert counted == 8700 and json.loads(figures)["over_short_minor"] == -50
    assert reasons == ["opening float: opening float", "paid out: Milk from the market"]
    reports.close()
    wait_idle(qtbot)


def test_a_count_that_is_not_an_amount_keeps_the_day_open(qtbot, window):
    window.open_reports()
    reports = window.reports_dialog
    reports.counted.setText("about ninety")
    assert reports.close_day() is None
    assert "The day is still open" in reports.message.text()
    assert window.session.reports.x_report().kind == "X"
    reports.close()
