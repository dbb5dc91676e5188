"""A till process for the card-reader crash tests: one sale of SGD 4.50 paid on a simulated reader,
through the app's own wiring.

    python -m tests.helpers.reader DATA_DIR SANDBOX_URL READER_ID tap|wait|stop

`tap`: a customer thread taps a Visa as soon as the reader waits; `wait`: nobody taps (the test
kills the till while the reader waits, and may tap itself while the till is down); `stop`: the
cashier cancels as soon as the reader waits. Prints `waiting` once the reader waits, then `paid N`
or `not paid ...`, flushed. The Stripe key comes from POS_STRIPE_API_KEY.
"""

from __future__ import annotations

import os
import sys
import threading

import stripe

from pos.app import build_context
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.services.checkout import Paid
from pos.services.settlement import settle_unfinished


def main() -> int:
    data_dir, url, reader_id, mode = sys.argv[1:5]
    context = build_context(data_dir, stripe_base_url=url)
    for message in settle_unfinished(context.till, context.refunds).messages:
        print("recovered", message, flush=True)
    product = context.catalog.find_code("READER-1") or context.catalog.save(
        Product(sku="READER-1", name="Reader test tea", category="Test", price=Money(450, "SGD"), tax_rate_bp=900)
    )
    till = context.till
    till.cart.add(product, 1)
    stop = threading.Event()
    customer = stripe.StripeClient(os.environ["POS_STRIPE_API_KEY"], base_addresses={"api": url})
    told = threading.Event()

    def progress(message: str) -> None:
        if "tap" not in message or told.is_set():
            return
        told.set()
        print("waiting", flush=True)
        if mode == "tap":
            customer.v1.test_helpers.terminal.readers.present_payment_method(reader_id, {})
        elif mode == "stop":
            stop.set()

    result = till.pay_on_reader(till.amount_due(), reader_id, progress, stop)
    print(f"paid {result.receipt.receipt_no}" if isinstance(result, Paid) else f"not paid {result}", flush=True)
    context.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
