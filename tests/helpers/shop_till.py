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
from tests.helpers.shop import sell


def main() -> int:
    data_dir, url, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    every = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    context = build_context(data_dir, stripe_base_url=url)
    assert context.shop is not None, "POS_SHOP_DB names no shop database"
    for n in range(count):
        (paid,) = sell(context, 1, start=n, cash_only=bool(os.environ.get("SHOP_TILL_CASH")))
        receipt = paid.receipt
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
