"""EMV receipts (issue 25, item 5): a reader sale keeps, prints and reprints the fields Stripe returned
for its charge (`payment_method_details.card_present`: read_method and receipt). The real adapter
over HTTP against the sandbox's simulated reader, a real SQLite file, the ESC/POS printer double."""

from __future__ import annotations

import sqlite3
import subprocess

from pos.adapters.db.receipts import ReceiptsRepo
from pos.adapters.db.storage import SCHEMA_VERSION, open_engine
from pos.adapters.escpos_printer import EscposPrinter
from pos.domain.printer_setup import PrinterSetup
from pos.domain.receipt import render_text
from pos.services.checkout import Paid
from pos.services.receipt_printing import Printed, Printing
from tests.helpers.layouts import as_numbered_layout
from tests.helpers.escpos_double import PrinterDouble
from tests.invariants import check_invariants

from .conftest import Shop
from .test_reader import Paying, reader  # noqa: F401 - the fixture


class NoDrawer:
    def record_opening(self, till_id: str, reason: str, opened: bool, message: str) -> None:
        pass


def charge_of(shop, payment_intent: str):
    pi = shop.stripe.v1.payment_intents.retrieve(payment_intent, {"expand": ["latest_charge"]})
    return pi.latest_charge.payment_method_details.card_present


def test_a_reader_sale_prints_the_aid_and_authorization_code_stripe_returned(shop, reader, qtbot, tmp_path):  # noqa: F811
    shop.cart_of((shop.latte, 1))
    paying = Paying(shop, reader)
    paying.customer_taps("4001007020000002")  # Stripe's test card that asks for an online PIN
    paid = paying.outcome()
    assert isinstance(paid, Paid)
    (card,) = paid.receipt.tenders
    stripe_said = charge_of(shop, card.payment_intent)
    emv = card.card_present
    assert emv is not None
    assert emv.aid == stripe_said.receipt.dedicated_file_name == "A0000000031010"
    assert emv.authorization_code == stripe_said.receipt.authorization_code
    assert emv.application_name == stripe_said.receipt.application_preferred_name == "Visa Credit"
    assert (emv.read_method, emv.verification) == ("contactless_emv", "online_pin")
    assert (emv.arc, emv.tvr, emv.tsi) == (
        stripe_said.receipt.authorization_response_code,
        stripe_said.receipt.terminal_verification_results,
        stripe_said.receipt.transaction_status_information,
    )
    screen = render_text(paid.receipt)
    assert stripe_said.receipt.dedicated_file_name in screen and stripe_said.receipt.authorization_code in screen
    assert "Contactless" in screen and "PIN" in screen
    # Reprinted from the till's database: the same fields, kept with the tender.
    repo = ReceiptsRepo(shop.engine)
    again = repo.receipt(repo.receipt_id_for(paid.receipt.receipt_no, "T1"))
    assert again.tenders[0].card_present == emv
    # On paper, through python-escpos to the printer double.
    printer = PrinterDouble()
    try:
        setup = PrinterSetup.parse("network", printer.address)
        printing = Printing(EscposPrinter, lambda: setup, NoDrawer(), lambda: "T1", lambda: "en_SG")
        assert isinstance(printing.print_receipt(again, copy=True), Printed)
        [job] = printer.wait_for_jobs(1)
    finally:
        printer.close()
    lines = [line.strip() for line in job.lines]
    assert any(line.startswith("AID") and line.endswith(emv.aid) for line in lines), job.text
    assert any(line.startswith("Auth code") and line.endswith(emv.authorization_code) for line in lines), job.text
    # As a PDF (Receipts → Export PDF), read back with poppler's pdftotext.
    from pos.ui.printing import export_pdf

    pdf = export_pdf(tmp_path / "receipt.pdf", render_text(again, copy=True), "80mm")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert emv.aid in text and emv.authorization_code in text and "Contactless" in text
    check_invariants(shop.data_dir / "pos.sqlite3", shop.stripe)


def test_a_layout_9_database_gets_the_emv_column_and_its_receipts_still_read(tmp_path, sandbox, api_key):
    data = tmp_path / "data"
    shop = Shop(data, sandbox, api_key)
    shop.cart_of((shop.latte, 1))
    assert isinstance(shop.till.pay("pm_card_visa"), Paid)
    shop.engine.dispose()
    conn = sqlite3.connect(data / "pos.sqlite3")
    with conn:  # as a till of layout 9 left it
        conn.execute("ALTER TABLE tenders DROP COLUMN card_present")
    conn.close()
    as_numbered_layout(data / "pos.sqlite3", 9)
    engine = open_engine(data)
    try:
        repo = ReceiptsRepo(engine)
        receipt = repo.receipt(repo.receipt_id_for(1, "T1"))
        assert receipt.tenders[0].card_present is None and receipt.tenders[0].card_last4 == "4242"
    finally:
        engine.dispose()
    conn = sqlite3.connect(data / "pos.sqlite3")
    assert "card_present" in {row[1] for row in conn.execute("PRAGMA table_info(tenders)")}
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()
