"""A till process for refund crash tests: sells one sale, then refunds part of it.

    python -m tests.helpers.refund DATA_DIR SANDBOX_URL [split]

`split`: the sale is paid 3.00 in cash and 6.00 by card, and refunded in full (a card piece, then a
cash piece). `cash`: the sale is paid in cash and 4.50 of it refunded in cash. `credit`: the sale
is paid by card and 4.50 of it given as store credit (printed: the code, on a line `credit CODE`).
`return`: no sale; SGD 4.50 taken back without a receipt, as store credit (no cashiers: no approval).
`exchange`: the sale is paid by card, then one of its teas is exchanged for a new one at the counter
(services/exchanges.py: the tea's SGD 4.50 as store credit, redeemed on the new sale).

POS_CRASH_AT names a refund recovery point to die at (SIGKILL). The key comes
from POS_STRIPE_API_KEY.
"""

from __future__ import annotations

import sys

from pos.app import build_context
from pos.domain.catalog import Product
from pos.domain.money import Money


def main() -> int:
    context = build_context(sys.argv[1], stripe_base_url=sys.argv[2])
    if sys.argv[3:] == ["return"]:
        returns = context.refunds.returns
        assert returns is not None
        print(returns.give_back(Money(450, "SGD"), "Mug", to_store_credit=True), flush=True)
        context.close()
        return 0
    product = context.catalog.save(
        Product(sku="R-1", name="Refund test tea", category="Test", price=Money(450, "SGD"), tax_rate_bp=900)
    )
    context.till.cart.add(product, 2)
    split, cash, credit = sys.argv[3:] == ["split"], sys.argv[3:] == ["cash"], sys.argv[3:] == ["credit"]
    if cash:
        receipt = context.till.pay_cash(Money(900, "SGD")).receipt
    elif split:
        context.till.pay_cash(Money(300, "SGD"))
        receipt = context.till.pay_card(Money(600, "SGD"), "pm_card_visa").receipt
    else:
        receipt = context.till.pay("pm_card_visa").receipt
    print(f"paid {receipt.receipt_no}", flush=True)
    receipt_id = context.receipts.receipt_id_for(receipt.receipt_no, receipt.till_id)
    if sys.argv[3:] == ["exchange"]:
        context.counter.new_sale()
        context.counter.add(product)
        print(context.counter.exchange(receipt_id, {1: 1}).message, flush=True)
    elif credit:
        given = context.refunds.refund(receipt_id, amount=Money(450, "SGD"), to_store_credit=True)
        print(f"credit {getattr(getattr(given, 'refund', None), 'store_credit_code', None)}", flush=True)
    elif split or cash:
        print(context.refunds.refund(receipt_id, amount=Money(900 if split else 450, "SGD")), flush=True)
    else:
        print(context.refunds.refund(receipt_id, lines={1: 1}), flush=True)
    context.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
