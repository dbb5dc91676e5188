"""A till process for crash tests: rings up sales through the app's own wiring, in a loop.

    python -m tests.helpers.sell DATA_DIR SANDBOX_URL COUNT [PAYMENT_METHOD | reader:READER_ID]

With `reader:READER_ID` each sale is paid on that simulated reader, a customer thread tapping as
soon as it waits (every fifth tap a declined card, then a good one).

The Stripe key comes from POS_STRIPE_API_KEY, as for a headless till. Prints
`charging N` before each charge and `paid N RECEIPT` after, flushed, so the
test that kills this process knows roughly where it was.
"""

from __future__ import annotations

import os
import sys
import threading

from pos.app import build_context
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.services.checkout import Paid
from pos.services.settlement import settle_unfinished


def main() -> int:
    data_dir, url, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    method = sys.argv[4] if len(sys.argv) > 4 else "pm_card_visa"
    context = build_context(data_dir, stripe_base_url=url)
    # A till settles what an earlier run left before selling, as the GUI does at start.
    for message in settle_unfinished(context.till, context.refunds).messages:
        print("recovered", message, flush=True)
    product = context.catalog.find_code("CRASH-1") or context.catalog.save(
        Product(sku="CRASH-1", name="Crash test coffee", category="Test", price=Money(450, "SGD"), tax_rate_bp=900)
    )
    for n in range(count):
        context.till.new_sale()
        context.till.cart.add(product, 1 + n % 3)
        print(f"charging {n}", flush=True)
        if method.startswith("reader:"):
            result = _on_reader(context.till, method.partition(":")[2], url, n)
        else:
            result = context.till.pay(method)
        if isinstance(result, Paid):
            print(f"paid {n} {result.receipt.receipt_no}", flush=True)
        else:
            print(f"not paid {n} {type(result).__name__}", flush=True)
    context.close()
    return 0


def _on_reader(till, reader_id: str, url: str, n: int):
    import stripe

    customer = stripe.StripeClient(os.environ["POS_STRIPE_API_KEY"], base_addresses={"api": url})
    cards = ["4000000000000002", "4242424242424242"] if n % 5 == 4 else ["4242424242424242"]

    def progress(message: str) -> None:
        if "tap" in message and cards:
            number = cards.pop(0)
            threading.Thread(
                target=customer.v1.test_helpers.terminal.readers.present_payment_method,
                args=(reader_id, {"card_present": {"number": number}}),
                daemon=True,
            ).start()

    result = till.pay_on_reader(till.amount_due(), reader_id, progress)
    if type(result).__name__ == "Declined" and cards:
        result = till.pay_on_reader(till.amount_due(), reader_id, progress)
    return result


if __name__ == "__main__":
    sys.exit(main())
