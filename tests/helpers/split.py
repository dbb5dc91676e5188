"""A till process for the split-tender crash tests: one sale of SGD 9.00, paid SGD 2.00 in cash and
the rest by a card part, through the app's own wiring.

    python -m tests.helpers.split DATA_DIR SANDBOX_URL pay|resume

`pay` rings the sale up and pays it (the test kills it at a POS_CRASH_AT point); `resume` is the till
started again: it settles what was left, reopens the half-paid sale and pays what is still due by
card. Prints `paid RECEIPT`, `due MINOR` and `nothing open`, flushed.
"""

from __future__ import annotations

import sys

from pos.app import build_context
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.services.checkout import Paid
from pos.services.settlement import settle_unfinished


def main() -> int:
    data_dir, url, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    context = build_context(data_dir, stripe_base_url=url)
    till = context.till
    for message in settle_unfinished(till, context.refunds).messages:
        print("recovered", message, flush=True)
    if mode == "pay":
        product = context.catalog.find_code("SPLIT-1") or context.catalog.save(
            Product(sku="SPLIT-1", name="Split test cake", category="Test", price=Money(450, "SGD"), tax_rate_bp=900)
        )
        till.cart.add(product, 2)
        till.pay_cash(Money(200, "SGD"))
        print(f"due {till.amount_due().minor}", flush=True)
        result = till.pay_card(till.amount_due(), "pm_card_visa")
    else:
        restored = till.restore_split_sale(context.catalog)
        if restored is None:
            print("nothing open", flush=True)
            context.close()
            return 0
        print(f"due {till.amount_due().minor}", flush=True)
        result = till.pay_card(till.amount_due(), "pm_card_visa")
    print(f"paid {result.receipt.receipt_no}" if isinstance(result, Paid) else f"not paid {result}", flush=True)
    context.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
