"""Back office → Stock, clicked through (issue 26): a sale of tracked products lowers on-hand, a
refund back to stock raises it and a write-off (returnToStock unticked) does not, and a count's
variance is shown first and applied only once a manager approved it. Real widgets, the real sandbox
(cash sales never call it), a real SQLite file."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox

from pos.app import open_back_office
from pos.domain.stock import StockItem

from .conftest import wait_idle
from .test_staff import ANN, BOB, approve, db_rows as rows, sign_in
from .test_tenders import tender_cash
from .test_till import open_payment, ring_up_three

FLAT_WHITE = "COF-004"  # rung up twice by ring_up_three, line 3


def stocked(data_dir, *, staff: bool) -> None:
    office = open_back_office(data_dir)
    office.stock.set_item(FLAT_WHITE, StockItem(track_stock=True, low_stock_milli=9000))
    office.stock.receive(FLAT_WHITE, "10", "1.10")
    if staff:
        office.staff.add(ANN[0], "manager", ANN[1])
        office.staff.add(BOB[0], "cashier", BOB[1])
    office.close()


def pay_cash(qtbot, window):
    dialog = open_payment(qtbot, window)
    tender_cash(qtbot, dialog, "20")
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=20000)
    dialog.new_sale_button.click()
    wait_idle(qtbot)


def refund_one(qtbot, window, *, to_stock: bool):
    window.open_receipts()
    receipts = window.receipts_window
    wait_idle(qtbot)
    receipts.table.selectRow(0)
    wait_idle(qtbot)
    receipts.open_refund()
    refund = receipts.refund_dialog
    qtbot.waitUntil(refund.isVisible)
    boxes = refund.findChildren(QCheckBox, "returnToStock")
    assert len(boxes) == 3 and all(box.isChecked() for box in boxes)  # back to stock unless unticked
    refund.set_line_quantity(3, 1)
    refund.to_stock[3].setChecked(to_stock)
    refund.submit()
    wait_idle(qtbot)
    refund.accept()
    receipts.close()


class TestWithoutCashiers:
    @pytest.fixture
    def data_dir(self, data_dir):
        stocked(data_dir, staff=False)
        return data_dir

    def test_a_sale_lowers_on_hand_a_refund_to_stock_raises_it_a_write_off_does_not(self, qtbot, window):
        ring_up_three(qtbot, window)
        pay_cash(qtbot, window)
        window.open_stock()
        stock = window.stock_window
        qtbot.waitUntil(stock.isVisible)
        assert stock.objectName() == "stockWindow"
        assert stock.on_hand(FLAT_WHITE) == "8"
        assert stock.low.count() == 1 and "Flat White (COF-004): 8 each, low at 9" in stock.low.item(0).text()
        stock.close()
        refund_one(qtbot, window, to_stock=True)
        refund_one(qtbot, window, to_stock=False)
        assert rows(window, "SELECT kind, quantity_milli FROM stock_movements ORDER BY id") == [
            ("delivery", 10000),
            ("sale", -2000),
            ("refund", 1000),
            ("write_off", 0),
        ]
        window.open_stock()
        assert window.stock_window.on_hand(FLAT_WHITE) == "9"
        assert window.session.audit.verify() is None


class TestWithCashiers:
    @pytest.fixture
    def data_dir(self, data_dir):
        stocked(data_dir, staff=True)
        return data_dir

    def test_a_count_shows_its_variance_and_is_applied_once_a_manager_approves(self, qtbot, window):
        sign_in(qtbot, window, *BOB)
        window.open_stock()
        approve(qtbot, window, *ANN)  # a cashier opens Stock with a manager's PIN
        stock = window.stock_window
        qtbot.waitUntil(stock.isVisible)
        qtbot.keyClicks(stock.sku, FLAT_WHITE)
        qtbot.keyClicks(stock.quantity, "7")
        qtbot.mouseClick(stock.check_button, Qt.LeftButton)
        assert stock.variance.text() == "COF-004: the till says 10, counted 7: variance -3"
        assert stock.on_hand(FLAT_WHITE) == "10"  # nothing changed yet
        qtbot.mouseClick(stock.apply_button, Qt.LeftButton)
        approve(qtbot, window, *ANN)  # the count itself needs a manager
        assert "approved by Ann" in stock.message.text()
        assert stock.on_hand(FLAT_WHITE) == "7"
        counts = "SELECT kind, quantity_milli, who, approved_by FROM stock_movements WHERE kind = 'count'"
        assert rows(window, counts) == [("count", -3000, "Bob", "Ann")]
        assert window.session.audit.verify() is None
