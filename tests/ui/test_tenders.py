"""Cash, split tender, voids and refunds to the tender that paid, clicked through as a cashier would
(issue 13, items 1, 2 and 4), with the receipt printer a real TCP server on loopback."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from pos.domain.money import Money
from tests.helpers.escpos_double import PrinterDouble
from tests.invariants import check_invariants
from tests.services.conftest import sandbox_client

from .conftest import wait_idle
from .test_discounts import give_discount
from .test_printer import drawer_openings, use_network_printer
from .test_till import choose, open_payment, ring_up_three


@pytest.fixture
def printer():
    double = PrinterDouble()
    yield double
    double.close()


def tender_cash(qtbot, dialog, amount: str):
    qtbot.mouseClick(dialog.cash_tender, Qt.LeftButton)
    dialog.cash_field.clear()
    qtbot.keyClicks(dialog.cash_field, amount)
    qtbot.mouseClick(dialog.complete_cash, Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.charging, timeout=20000)


def tender_card(qtbot, dialog, amount: str | None, pm_id: str):
    qtbot.mouseClick(dialog.card_tender, Qt.LeftButton)
    if amount is not None:
        dialog.card_amount.setText(amount)
    choose(dialog, pm_id)
    qtbot.mouseClick(dialog.charge_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.charging, timeout=20000)


def test_a_cash_sale_with_change_opens_the_drawer_and_prints(qtbot, window, printer, sandbox, api_key):
    use_network_printer(qtbot, window, printer.address)
    ring_up_three(qtbot, window)  # $18.20
    dialog = open_payment(qtbot, window)
    assert dialog.due_label.text() == "To pay: $18.20"
    qtbot.mouseClick(dialog.cash_tender, Qt.LeftButton)
    assert dialog.tender_pages.currentIndex() == 1
    # Exact, then the notes that cover it (domain/cash.quick_amounts): three, as $2, $5 and $10 all give $20.
    assert dialog.exact_cash.text() == "Exact $18.20"
    assert [b.text() for b in dialog.quick_buttons if b.isVisible()] == ["$20.00", "$50.00", "$100.00"]
    qtbot.keyClicks(dialog.cash_field, "5O")
    qtbot.mouseClick(dialog.complete_cash, Qt.LeftButton)
    assert "Type an amount like 12.50" in dialog.message.text()
    dialog.cash_field.setText("50")
    assert dialog.change_label.text() == "Change: $31.80"
    qtbot.mouseClick(dialog.complete_cash, Qt.LeftButton)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=20000)
    assert dialog.change_due.text() == "Change: $31.80"
    text = dialog.receipt_view.toPlainText()
    assert "Cash" in text and "Tendered" in text and "$31.80" in text and "Payment pi_" not in text
    kick, job = printer.wait_for_jobs(2)
    # The drawer kicked first (cash goes in at once), then the receipt, cut.
    assert kick.pulses == [2] and kick.lines == []
    assert job.cuts == 1 and any("Change" in line for line in job.lines) and any("Cash" in x for x in job.lines)
    qtbot.waitUntil(lambda: drawer_openings(window)[-1:] == [("T1", "cash sale 0001", 1)], timeout=20000)
    dialog.new_sale_button.click()
    wait_idle(qtbot)
    assert window.till.cart.is_empty()
    assert sandbox_client(sandbox, api_key).v1.payment_intents.list().data == []
    report = window.session.reports.x_report()
    assert (report.cash_sales_minor, report.change_minor, report.card_sales_minor) == (1820, 3180, 0)
    assert report.expected_cash_minor == 1820


def test_a_cart_discount_then_exact_cash_from_its_button(qtbot, window):
    before = ring_up_three(qtbot, window)
    give_discount(qtbot, window, row=None, kind="percent", value="10", reason="Loyalty")
    total = window.till.cart.totals().total
    assert total < before
    dialog = open_payment(qtbot, window)
    qtbot.mouseClick(dialog.cash_tender, Qt.LeftButton)
    qtbot.mouseClick(dialog.exact_cash, Qt.LeftButton)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=20000)
    receipt = dialog.result_value.receipt
    assert receipt.total == total and receipt.tenders[0].amount == total and not receipt.tenders[0].change
    assert not dialog.change_due.isVisible() and "Incl. 10% Loyalty on the sale" in dialog.receipt_view.toPlainText()
    dialog.new_sale_button.click()
    wait_idle(qtbot)


def test_cash_then_a_declined_card_then_another_card(qtbot, window, data_dir, sandbox, api_key):
    ring_up_three(qtbot, window)  # $18.20
    dialog = open_payment(qtbot, window)
    tender_cash(qtbot, dialog, "5")
    assert dialog.due_label.text() == "To pay: $13.20"
    assert dialog.tenders_label.text() == "Paid so far: Cash $5.00"
    assert dialog.card_amount.text() == "13.20" and dialog.cancel_button.text() == "Void sale…"
    tender_card(qtbot, dialog, None, "pm_card_chargeDeclinedInsufficientFunds")
    assert "not enough funds" in dialog.banner.text() and dialog.pages.currentIndex() == 0
    assert "Still to pay: $13.20" in dialog.banner.text()
    tender_card(qtbot, dialog, None, "pm_card_visa")
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1)
    text = dialog.receipt_view.toPlainText()
    assert "Cash" in text and "Card VISA **** 4242" in text and "$13.20" in text
    receipt = dialog.result_value.receipt
    assert [t.amount.minor for t in receipt.tenders] == [500, 1320]
    dialog.new_sale_button.click()
    wait_idle(qtbot)
    check_invariants(data_dir / "pos.sqlite3", sandbox_client(sandbox, api_key))


def test_abandoning_a_half_paid_split_gives_the_card_part_back(
    qtbot, window, data_dir, sandbox, api_key, printer, monkeypatch
):
    use_network_printer(qtbot, window, printer.address)
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    tender_cash(qtbot, dialog, "5")
    printer.wait_for_jobs(1)  # the drawer opened for the cash part
    tender_card(qtbot, dialog, "4.00", "pm_card_visa")
    assert dialog.due_label.text() == "To pay: $9.20"
    assert dialog.tenders_label.text() == "Paid so far: Cash $5.00; Card VISA **** 4242 $4.00"
    # Esc (or Cancel) never drops a paid part: it asks; No keeps the sale open.
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.No)
    dialog.reject()
    assert dialog.isVisible()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    qtbot.mouseClick(dialog.cancel_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=20000)
    assert "SGD 4.00 given back to the card" in window.status_message.text()
    assert "hand back SGD 5.00 in cash" in window.status_message.text()
    stripe = sandbox_client(sandbox, api_key)
    (intent,) = stripe.v1.payment_intents.list().data
    assert [r.amount for r in stripe.v1.refunds.list({"payment_intent": intent.id}).data] == [400]
    printer.wait_for_jobs(2)
    # The opening is recorded once the printer has answered, on the worker: wait for that, not the bytes.
    qtbot.waitUntil(lambda: len(drawer_openings(window)) == 2, timeout=20000)
    assert [r for _t, r, _o in drawer_openings(window)] == ["cash part of a sale", "void: hand back cash"]
    assert len(window.till.cart.lines) == 3  # the cart stays: the customer may still buy
    wait_idle(qtbot)
    check_invariants(data_dir / "pos.sqlite3", stripe)


def sell_ten_cash_and_the_rest_by_card(qtbot, window):
    """Receipt 0001 of $18.20: $10.00 in cash, $8.20 by card; the till back at an empty cart."""
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    tender_cash(qtbot, dialog, "10")
    tender_card(qtbot, dialog, None, "pm_card_visa")
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1)
    dialog.new_sale_button.click()
    wait_idle(qtbot)


def test_a_split_sale_refunded_card_first_then_cash_on_request(qtbot, window, data_dir, sandbox, api_key, monkeypatch):
    sell_ten_cash_and_the_rest_by_card(qtbot, window)
    window.open_receipts()
    receipts = window.receipts_window
    receipts.search("number", "1")
    assert receipts.model.summary(0).paid_by == "VISA 4242 + cash"
    receipts.open_refund()
    refund = receipts.refund_dialog
    refund.set_line_quantity(3, 2)  # both flat whites, $11.00: $8.20 to the card, $2.80 in cash
    assert refund.preview.text() == "Refund $11.00: $8.20 to Card VISA **** 4242, $2.80 in cash"
    qtbot.mouseClick(refund.confirm, Qt.LeftButton)
    qtbot.waitUntil(lambda: not refund.busy, timeout=20000)
    assert refund.message.text() == "Refunded $8.20 to the card (refund 0001), $2.80 in cash (refund 0002)."
    refund.close()
    receipts.open_refund()
    refund = receipts.refund_dialog
    refund.by_amount.setChecked(True)
    refund.amount.setText("1.00")
    refund.in_cash.setChecked(True)
    assert refund.preview.text() == "Refund $1.00: $1.00 in cash"
    qtbot.mouseClick(refund.confirm, Qt.LeftButton)
    qtbot.waitUntil(lambda: not refund.busy, timeout=20000)
    assert "in cash (refund 0003)" in refund.message.text()
    refund.close()
    receipts.close()
    wait_idle(qtbot)
    stripe = sandbox_client(sandbox, api_key)
    (intent,) = stripe.v1.payment_intents.list().data
    assert [r.amount for r in stripe.v1.refunds.list({"payment_intent": intent.id}).data] == [820]
    report = window.session.reports.x_report()
    assert (report.card_refunds_minor, report.cash_refunds_minor) == (820, 380)
    assert report.expected_cash_minor == 1000 - 380
    assert Money(report.refunds_minor, "SGD") == Money(1200, "SGD")


def test_a_z_after_cash_sales_with_a_drawer_that_is_short(qtbot, window):
    window.open_cash_movements()
    cash = window.cash_dialog
    cash.kind.setCurrentIndex(cash.kind.findData("float"))
    cash.amount.setText("50.00")
    qtbot.mouseClick(cash.record, Qt.LeftButton)
    qtbot.waitUntil(lambda: not cash.busy)
    cash.close()
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    tender_cash(qtbot, dialog, "20")
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1)
    dialog.new_sale_button.click()
    wait_idle(qtbot)
    window.open_reports()
    reports = window.reports_dialog
    x = reports.show_x()
    assert (x.float_minor, x.cash_taken_minor, x.change_minor, x.expected_cash_minor) == (5000, 2000, 180, 6820)
    text = reports.view.toPlainText()
    assert "Cash sales" in text and "Change given" in text
    reports.counted.setText("68.00")
    z = reports.close_day()
    assert z is not None and z.over_short_minor == -20
    assert reports.message.text().endswith("The drawer is short by $0.20.")
    reports.close()


def test_the_drawer_counted_by_denomination_fills_the_count(qtbot, window):
    window.open_reports()
    reports = window.reports_dialog
    qtbot.mouseClick(reports.count_button, Qt.LeftButton)
    count = reports.count_dialog
    count.spins[Money(1000, "SGD")].setValue(3)  # three $10 notes
    count.spins[Money(50, "SGD")].setValue(5)  # five 50-cent coins
    assert count.total.text() == "Counted: $32.50"
    qtbot.mouseClick(count.use_button, Qt.LeftButton)
    assert reports.counted.text() == "32.50" and reports.counted_cash() == Money(3250, "SGD")
    reports.close()


def test_cash_a_refund_still_owes_after_a_crash_is_handed_over_at_the_drawer(
    qtbot, window, printer, data_dir, sandbox, api_key, monkeypatch
):
    """Issue 23, finding 12 in the window: a refund stopped before the drawer opened for its cash piece.
    Recovery refunds the card piece and says the cash is still owed (it never marks it handed over);
    the cashier hands it over from the receipt's refund, and only then is it numbered and the drawer kicked."""
    use_network_printer(qtbot, window, printer.address)
    sell_ten_cash_and_the_rest_by_card(qtbot, window)
    receipt_id = window.session.receipts.receipt_id_for(1, "T1")

    # The till dies right after journaling the refund (a raise stands in for the SIGKILL that
    # tests/services/test_crash_recovery.py uses: a window test cannot kill its own process).
    class Killed(Exception):
        pass

    def die(point: str) -> None:
        if point == "after_refund_recorded":
            raise Killed(point)

    monkeypatch.setattr("pos.services.refunds.crash_point", die)
    with pytest.raises(Killed):
        window.session.refunds.refund(receipt_id, lines={3: 2})  # $11.00: $8.20 to the card, $2.80 in cash
    monkeypatch.undo()
    window.run_recovery(quiet=False)
    qtbot.waitUntil(lambda: window.last_recovery != [], timeout=20000)
    assert window.last_recovery[0].startswith("Recovered refund 0001 of SGD 8.20 for receipt 0001")
    assert window.last_recovery[1].startswith("Hand over SGD 2.80 in cash for receipt 0001")
    assert not any(reason.startswith("cash refund") for _t, reason, _o in drawer_openings(window))
    assert window.session.reports.x_report().expected_cash_minor == 1000  # no cash left the drawer yet
    window.open_receipts()
    receipts = window.receipts_window
    receipts.search("number", "1")
    receipts.open_refund()
    refund = receipts.refund_dialog
    assert refund.hand_over.isVisible() and refund.hand_over.text() == "Hand over $2.80 in cash"
    qtbot.mouseClick(refund.hand_over, Qt.LeftButton)
    qtbot.waitUntil(lambda: not refund.busy, timeout=20000)
    assert refund.message.text() == "Refunded $2.80 in cash (refund 0002)."
    assert not refund.hand_over.isVisible()
    qtbot.waitUntil(lambda: ("T1", "cash refund for receipt 0001", 1) in drawer_openings(window), timeout=20000)
    refund.close()
    receipts.close()
    wait_idle(qtbot)
    assert window.session.reports.x_report().expected_cash_minor == 1000 - 280
    check_invariants(data_dir / "pos.sqlite3", sandbox_client(sandbox, api_key))


def test_cash_that_would_leave_less_than_a_card_takes_is_refused_and_the_sale_still_owes_it_all(
    qtbot, window, sandbox, api_key, data_dir
):
    """Issue 23, finding 1 in the window: 17.90 cash of 18.20 left 0.30 that Stripe refused on the card,
    and the till then dropped the sale. Now the cash is refused first, saying what would work."""
    ring_up_three(qtbot, window)  # $18.20
    dialog = open_payment(qtbot, window)
    tender_cash(qtbot, dialog, "17.90")
    assert "That would leave SGD 0.30 to pay, which a card cannot take" in dialog.message.text()
    assert "SGD 17.70 in this part" in dialog.message.text()
    assert dialog.due_label.text() == "To pay: $18.20" and dialog.tenders_label.text() == ""
    tender_cash(qtbot, dialog, "17.70")
    assert dialog.due_label.text() == "To pay: $0.50" and dialog.tenders_label.text() == "Paid so far: Cash $17.70"
    tender_card(qtbot, dialog, None, "pm_card_visa")
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1)
    dialog.new_sale_button.click()
    wait_idle(qtbot)
    stripe = sandbox_client(sandbox, api_key)
    assert [pi.amount for pi in stripe.v1.payment_intents.list().data] == [50]
    check_invariants(data_dir / "pos.sqlite3", stripe)


def refund_of_receipt_1(window):
    """Receipts, receipt 0001 found, its refund dialog open: (the receipts window, the dialog)."""
    window.open_receipts()
    receipts = window.receipts_window
    receipts.search("number", "1")
    receipts.open_refund()
    return receipts, receipts.refund_dialog


def confirm_refund(qtbot, refund) -> str:
    """Press Refund and wait for the answer: the dialog's message."""
    qtbot.mouseClick(refund.confirm, Qt.LeftButton)
    qtbot.waitUntil(lambda: not refund.busy, timeout=20000)
    return refund.message.text()


def test_the_refund_dialog_gives_back_cash_by_the_stores_rounding(qtbot, window):
    """Issue 23, finding 8 in the window: a 4.53 sale paid 4.55 in cash (rounding 0.05) is refunded
    4.55 in cash, as the preview says before the cashier confirms; 0.01 in cash is refused."""
    from dataclasses import replace

    from pos.domain.catalog import Product

    session = window.session
    session.store_settings.save(replace(session.settings, cash_rounding="0.05"))
    session.till.apply_store_terms("SGD", True, "0.05")  # as the window does when Settings are saved
    muffin = session.catalog.save(
        Product(sku="MUF", name="Muffin", category="Bakery", price=Money(453, "SGD"), tax_rate_bp=900)
    )
    session.till.new_sale()
    session.till.cart.add(muffin, 1)
    assert session.till.pay_cash(Money(455, "SGD")).receipt.rounding == Money(2, "SGD")
    receipts, refund = refund_of_receipt_1(window)
    refund.by_amount.setChecked(True)
    refund.amount.setText("0.01")
    assert refund.preview.text() == ""  # no cash piece can be made of it
    assert confirm_refund(qtbot, refund) == "SGD 0.01 rounds to SGD 0.00 in cash: the smallest cash refund is SGD 0.03."
    refund.by_lines.setChecked(True)
    refund.set_line_quantity(1, 1)
    assert refund.preview.text() == "Refund $4.53: $4.55 in cash"
    assert confirm_refund(qtbot, refund) == "Refunded $4.55 in cash (refund 0001)."
    refund.close()
    receipts.close()
    wait_idle(qtbot)
    report = session.reports.x_report()
    assert (report.cash_refunds_minor, report.rounding_minor, report.expected_cash_minor) == (455, 0, 0)


def test_a_cash_refund_whose_drawer_does_not_open_is_handed_over_when_it_does(qtbot, window, printer):
    """Issue 23, finding 12 (first pass) in the window: the printer is off when a cash refund is made.
    The drawer's opening is recorded as failed, the cash stays owed (Hand over cash shows it, Refund is
    not offered again); with the printer on, Hand over cash opens the drawer and then numbers it."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as off:
        off_address = f"127.0.0.1:{off.getsockname()[1]}"
    use_network_printer(qtbot, window, off_address)
    session = window.session
    session.till.new_sale()
    session.till.cart.add(session.catalog.find_code("8881230000044"), 1)
    session.till.pay_cash(session.till.amount_due())
    receipts, refund = refund_of_receipt_1(window)
    refund.set_line_quantity(1, 1)
    assert confirm_refund(qtbot, refund).startswith("The drawer did not open")
    assert refund.hand_over.isVisible() and not refund.confirm.isEnabled()
    assert drawer_openings(window) == [("T1", "cash refund for receipt 0001", 0)]
    refund.close()
    use_network_printer(qtbot, window, printer.address)
    receipts.open_refund()
    refund = receipts.refund_dialog
    qtbot.mouseClick(refund.hand_over, Qt.LeftButton)
    qtbot.waitUntil(lambda: not refund.busy, timeout=20000)
    assert refund.message.text().startswith("Refunded") and "in cash (refund 0001)" in refund.message.text()
    assert not refund.hand_over.isVisible()
    assert drawer_openings(window)[-1] == ("T1", "cash refund for receipt 0001", 1)
    refund.close()
    receipts.close()
    wait_idle(qtbot)
