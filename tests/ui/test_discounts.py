"""Discounts as a cashier gives them: on a line and on the whole sale, with a reason, paid by card,
printed on the receipt, refunded at what was paid, counted in the report and the export."""

from __future__ import annotations

import csv
import io
from datetime import date

from PySide6.QtCore import Qt

from pos.domain.money import Money
from pos.services.refunds import Refunded
from tests.cli.test_cli import pos

from .conftest import wait_idle
from .test_till import charge, open_payment, ring_up_three


def give_discount(qtbot, window, *, row, kind, value, reason):
    panel = window.cart_panel
    if row is None:
        panel.table.clearSelection()
    else:
        panel.table.selectRow(row)
    qtbot.mouseClick(panel.discount_button, Qt.LeftButton)
    dialog = panel.discount_dialog
    (dialog.on_line if row is not None else dialog.on_cart).setChecked(True)
    dialog.kind.setCurrentIndex(dialog.kind.findData(kind))
    dialog.value.setText(value)
    dialog.reason.setCurrentText(reason)
    qtbot.mouseClick(dialog.apply_button, Qt.LeftButton)
    return dialog


def test_a_line_and_a_sale_discount_paid_by_card_then_the_line_refunded(qtbot, window, data_dir):
    before = ring_up_three(qtbot, window)  # Teh Tarik, Almond Croissant, 2 x Flat White
    dialog = give_discount(qtbot, window, row=None, kind="percent", value="abc", reason="Loyalty")
    assert "Type the discount as a number" in dialog.message.text() and dialog.isVisible()
    dialog.reject()
    give_discount(qtbot, window, row=1, kind="amount", value="1.00", reason="Damaged item")
    give_discount(qtbot, window, row=None, kind="percent", value="10", reason="Loyalty")
    totals = window.till.cart.totals()
    croissant = totals.lines[1]
    assert croissant.line_discount == Money(100, "SGD") and croissant.discount_reason == "Damaged item"
    expected_off = 100 + (before.minor - 100) // 10  # 1.00, then 10% of the rest (rounded half up)
    assert abs(totals.discount.minor - expected_off) <= 1 and totals.total.minor == before.minor - totals.discount.minor
    panel = window.cart_panel
    assert panel.discount_label.isVisible() and panel.discount_label.text() == "-" + totals.discount.format("en_SG")
    assert "less Damaged item" in panel.table.item(1, 0).text()
    assert panel.total_label.text() == totals.total.format("en_SG")

    dialog = open_payment(qtbot, window)
    charge(qtbot, dialog, "pm_card_visa")
    receipt = dialog.result_value.receipt
    assert receipt.total == totals.total and receipt.discount == totals.discount
    text = dialog.receipt_view.toPlainText()
    assert "less Damaged item" in text and "Incl. 10% Loyalty on the sale" in text and "You saved" in text
    dialog.new_sale_button.click()
    wait_idle(qtbot)
    assert window.till.cart.discount is None  # the next sale starts without it

    # The croissant back: what was paid for it, not its shelf price.
    receipt_id = window.session.receipts.receipt_id_for(receipt.receipt_no, receipt.till_id)
    refunded = window.session.refunds.refund(receipt_id, lines={2: 1})
    assert isinstance(refunded, Refunded) and refunded.refund.amount == receipt.lines[1].gross
    assert refunded.refund.amount < receipt.lines[1].unit_price

    report = window.session.reports.x_report()
    assert report.discounts_minor == totals.discount.minor and report.gross_minor == totals.total.minor
    exported = pos("--data-dir", str(data_dir), "receipts", "export")
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert rows[0]["discount_minor"] == str(totals.discount.minor)
    day = pos("--data-dir", str(data_dir), "report", "--date", date.today().isoformat(), "--format", "json")
    assert f'"discounts_minor": {totals.discount.minor}' in day.stdout
