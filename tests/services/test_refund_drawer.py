"""A refund's cash is done only when the drawer opened for it (issue 23, finding 12, first pass):
the drawer opens (its opening recorded) before the cash piece is numbered, a drawer that does not
open leaves the cash owed, and a till killed between the two leaves it owed with the opening on
record. The receipt printer is the loopback ESC/POS double (tests/helpers/escpos_double.py) behind
python-escpos over TCP; the rest is the app's own wiring on a real SQLite file and the sandbox."""

from __future__ import annotations

import socket
import sqlite3
from dataclasses import replace

import pytest

from pos.adapters.db.drawer import SqlDrawerLog
from pos.adapters.db.receipts import ReceiptsRepo
from pos.adapters.db.refunds import SqlRefunds
from pos.adapters.escpos_printer import EscposPrinter
from pos.app import open_back_office
from pos.domain.money import Money
from pos.domain.printer_setup import PrinterSetup
from pos.services.receipt_printing import Printing
from pos.services.refunds import CashOwed, Refunded, Refunds
from tests.helpers.escpos_double import PrinterDouble
from tests.invariants import check_invariants
from tests.services.conftest import sandbox_client
from tests.services.test_crash_recovery import recover_cli, refund_killed_at


def sgd(minor: int) -> Money:
    return Money(minor, "SGD")


@pytest.fixture
def printer():
    double = PrinterDouble()
    yield double
    double.close()


def closed_port() -> str:
    """A loopback address nothing listens on: a printer that is off."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        return f"127.0.0.1:{server.getsockname()[1]}"


def rows(path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_the_drawer_opens_before_a_cash_refund_is_done_and_one_that_does_not_open_leaves_it_owed(shop, printer):
    setup = {"now": PrinterSetup.parse("network", closed_port())}  # the printer is off at first
    printing = Printing(EscposPrinter, lambda: setup["now"], SqlDrawerLog(shop.engine), lambda: "T1", lambda: "en_SG")
    refunds = Refunds(SqlRefunds(shop.engine, shop.settings), shop.gateway, drawer=printing)
    shop.cart_of((shop.latte, 2))  # 11.60
    receipt = shop.till.pay_cash(sgd(2000)).receipt
    receipt_id = ReceiptsRepo(shop.engine).receipt_id_for(receipt.receipt_no, "T1")
    db = shop.data_dir / "pos.sqlite3"
    owed = refunds.refund(receipt_id, amount=sgd(580))
    assert isinstance(owed, CashOwed), owed
    assert (
        owed.message.startswith("The drawer did not open") and "SGD 5.80 in cash is still to be handed" in owed.message
    )
    assert rows(db, "SELECT state, refund_no FROM refunds") == [("sent", None)]
    assert rows(db, "SELECT reason, opened FROM drawer_openings") == [("cash refund for receipt 0001", 0)]
    # The printer is on again: the cashier hands it over; the drawer opens, then it is done.
    setup["now"] = PrinterSetup.parse("network", printer.address)
    handed = refunds.hand_over_cash(receipt_id)
    assert isinstance(handed, Refunded) and handed.refund.refund_no == 1 and handed.refund.in_cash
    (job,) = printer.wait_for_jobs(1)
    assert job.pulses  # the drawer was kicked
    assert rows(db, "SELECT reason, opened FROM drawer_openings ORDER BY id") == [
        ("cash refund for receipt 0001", 0),
        ("cash refund for receipt 0001", 1),
    ]
    assert rows(db, "SELECT state, refund_no FROM refunds") == [("succeeded", 1)]
    check_invariants(db, shop.stripe)


def test_no_printer_set_up_a_cash_refund_is_done_with_no_drawer_to_kick(shop):
    printing = Printing(EscposPrinter, PrinterSetup, SqlDrawerLog(shop.engine), lambda: "T1", lambda: "en_SG")
    refunds = Refunds(SqlRefunds(shop.engine, shop.settings), shop.gateway, drawer=printing)
    shop.cart_of((shop.latte, 1))
    receipt = shop.till.pay_cash(sgd(580)).receipt
    given = refunds.refund(ReceiptsRepo(shop.engine).receipt_id_for(receipt.receipt_no, "T1"), amount=sgd(580))
    assert isinstance(given, Refunded) and given.refund.in_cash  # the cashier opens the drawer by key
    assert rows(shop.data_dir / "pos.sqlite3", "SELECT count(*) FROM drawer_openings") == [(0,)]


def test_killed_between_the_drawer_opening_and_the_cash_refund_it_stays_owed(tmp_path, sandbox, api_key, printer):
    data_dir = tmp_path / "till"
    office = open_back_office(data_dir)
    try:
        office.store_settings.save(replace(office.settings, printer_kind="network", printer_address=printer.address))
    finally:
        office.close()
    refund_killed_at("after_refund_drawer_opened", data_dir, sandbox, api_key, "cash")
    db = data_dir / "pos.sqlite3"
    # The drawer opened (on record), the cash piece is not done: owed, never counted as handed over.
    assert rows(db, "SELECT reason, opened FROM drawer_openings") == [("cash refund for receipt 0001", 1)]
    assert rows(db, "SELECT tender_kind, state, refund_no FROM refunds") == [("cash", "sent", None)]
    done = recover_cli(data_dir, sandbox, api_key)
    assert done.returncode == 1 and "Hand over SGD 4.50 in cash for receipt 0001" in done.stdout
    check_invariants(db, sandbox_client(sandbox, api_key))
