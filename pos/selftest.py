"""`pos self-test`: ring up a sale in a throwaway till and prove every layer works, frozen or not.

Offscreen, in a temporary data folder, on the embedded sandbox: two products
through the real widgets, paid with pm_card_visa; the receipt must be in SQLite
and the sandbox must show the PaymentIntent succeeded for the same amount.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def run() -> int:
    started = time.perf_counter()
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    from sqlalchemy import select

    from pos.adapters.db import core
    from pos.adapters.db.schema import receipts
    from pos.adapters.db.storage import open_engine
    from pos.adapters.stripe_gateway import StripeGateway
    from pos.app import DEMO_KEY, build_context
    from pos.services.checkout import Paid
    from pos.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(prefix="pos-self-test-") as tmp:
        context = build_context(Path(tmp) / "till", demo=True)
        window = MainWindow(context)
        try:
            window.show()
            buttons = window.products.buttons()
            if len(buttons) < 2:
                raise AssertionError("the demo catalog did not load")
            buttons[0].click()
            buttons[1].click()
            window.pay()
            dialog = window.payment_dialog
            if dialog is None:
                raise AssertionError("Pay did not open the payment dialog")
            dialog.methods.setCurrentRow(0)
            if dialog.selected_method() != "pm_card_visa":
                raise AssertionError("pm_card_visa is not the first payment method")
            dialog.charge()
            deadline = time.monotonic() + 60
            while dialog.charging and time.monotonic() < deadline:
                app.processEvents()
                time.sleep(0.005)
            result = dialog.result_value
            if not isinstance(result, Paid):
                raise AssertionError(f"the payment did not succeed: {result}")
            receipt = result.receipt
            # Read back from the file on a connection of its own: what was committed, not what was shown.
            stored = select(receipts.c.total_minor, receipts.c.payment_intent).where(
                receipts.c.receipt_no == receipt.receipt_no
            )
            engine = open_engine(Path(tmp) / "till", read_only=True)
            try:
                with core.reading(engine) as conn:
                    row = conn.execute(stored).first()
            finally:
                engine.dispose()
            if row is None or tuple(row) != (receipt.total.minor, receipt.payment_intent):
                raise AssertionError(f"receipt {receipt.number_text} is not in SQLite as shown: {row}")
            # Asked of the sandbox afresh, as Stripe's dashboard would show it.
            if receipt.payment_intent is None:
                raise AssertionError(f"receipt {receipt.number_text} was not paid by one card")
            intent = StripeGateway(DEMO_KEY, context.endpoint).retrieve_payment_intent(receipt.payment_intent)
            if (intent.status, intent.amount) != ("succeeded", receipt.total.minor):
                raise AssertionError(f"the sandbox shows {intent.status} for {intent.amount}")
            dialog.new_sale_button.click()
            app.processEvents()
            printed = _print_on_loopback(receipt)
        finally:
            window.close()
    print(
        f"self-test ok: receipt {receipt.number_text}, {receipt.total} paid by "
        f"{receipt.card_brand} {receipt.card_last4}, {receipt.payment_intent} succeeded in the sandbox, "
        f"printed as {printed} bytes of ESC/POS, {time.perf_counter() - started:.2f} s"
    )
    return 0


def _print_on_loopback(receipt) -> int:
    """Print the receipt through python-escpos to a network printer stand-in on loopback: proves the
    packaged app carries everything a real receipt printer needs. Returns the bytes received."""
    import socket
    import threading

    from pos.adapters.escpos_printer import EscposPrinter
    from pos.domain.printer_setup import PrinterSetup
    from pos.domain.receipt import render_text

    received: list[bytes] = []
    with socket.create_server(("127.0.0.1", 0)) as server:

        def accept() -> None:
            conn, _ = server.accept()
            with conn:
                while chunk := conn.recv(65536):
                    received.append(chunk)

        listener = threading.Thread(target=accept, daemon=True)
        listener.start()
        setup = PrinterSetup.parse("network", f"127.0.0.1:{server.getsockname()[1]}")
        EscposPrinter(setup).print_text(render_text(receipt))
        listener.join(10)
    data = b"".join(received)
    if f"Receipt {receipt.number_text}".encode() not in data or b"\x1dV" not in data:
        raise AssertionError(f"the receipt printer got {len(data)} bytes without the receipt and its cut")
    return len(data)


def main() -> int:
    try:
        return run()
    except Exception as exc:  # any failure is a failed self-test, said in one line
        print(f"self-test FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
