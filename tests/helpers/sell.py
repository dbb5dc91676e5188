"""A till process for crash tests: rings up sales through the app's own wiring, in a loop.

    python -m tests.helpers.sell DATA_DIR SANDBOX_URL COUNT [PAYMENT_METHOD]

The Stripe key comes from POS_STRIPE_API_KEY, as for a headless till. Prints
`charging N` before each charge and `paid N RECEIPT` after, flushed, so the
test that kills this process knows roughly where it was.
"""

from __future__ import annotations

import sys

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
        result = context.till.pay(method)
        if isinstance(result, Paid):
            print(f"paid {n} {result.receipt.receipt_no}", flush=True)
        else:
            print(f"not paid {n} {type(result).__name__}", flush=True)
    context.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
