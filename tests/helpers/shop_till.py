"""A till process of a shop with several tills: sells, refunds now and then, and syncs.

    python -m tests.helpers.shop_till DATA_DIR SANDBOX_URL COUNT [SYNC_EVERY]

The Stripe key comes from POS_STRIPE_API_KEY and the shop database from POS_SHOP_DB, as for a
headless till. Odd sales are paid by card (through the sandbox), even ones in cash; every seventh
receipt is refunded in part. Every SYNC_EVERY sales (default 5) it runs a sync round, as the
GUI's background sync would, and once more at the end; a sync that finds the shop away is
reported and selling goes on. Prints `paid N RECEIPT` and `sync OK|AWAY …`, flushed.
SHOP_TILL_CASH=1 takes every sale in cash (a quick day of thousands of sales). SHOP_TILL_GATE=PATH
holds the till after its first sync until PATH exists (a test cuts the shop's server meanwhile).
"""

from __future__ import annotations

import os
import sys
import time

from pos.app import build_context
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.services.outcomes import Paid


def main() -> int:
    data_dir, url, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    every = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    context = build_context(data_dir, stripe_base_url=url)
    assert context.shop is not None, "POS_SHOP_DB names no shop database"
    product = context.catalog.find_code("SHOP-1") or context.catalog.save(
        Product(sku="SHOP-1", name="Flat white", category="Coffee", price=Money(550, "SGD"), tax_rate_bp=900)
    )
    for n in range(count):
        context.till.new_sale()
        context.till.cart.add(product, 1 + n % 3)
        by_card = n % 2 and not os.environ.get("SHOP_TILL_CASH")
        result = context.till.pay("pm_card_visa") if by_card else context.till.pay_cash(context.till.amount_due())
        if not isinstance(result, Paid):
            print(f"not paid {n} {type(result).__name__}", flush=True)
            continue
        receipt = result.receipt
        print(f"paid {n} {receipt.receipt_no}", flush=True)
        if receipt.receipt_no % 7 == 0:
            receipt_id = context.receipts.receipt_id_for(receipt.receipt_no, receipt.till_id)
            assert receipt_id is not None
            context.refunds.refund(receipt_id, lines={1: 1})
        if (n + 1) % every == 0:
            _sync(context)
            gate = os.environ.pop("SHOP_TILL_GATE", None)
            while gate and not os.path.exists(gate):
                time.sleep(0.05)  # a condition, not a clock: the test opens the gate
    _sync(context)
    context.close()
    return 0


def _sync(context) -> None:
    result = context.shop.round()
    state = "OK" if result.problem is None else "AWAY"
    print(f"sync {state} sent={result.pushed.receipts} waiting={result.waiting.receipts}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
