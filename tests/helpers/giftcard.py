"""A till process for the gift card crash tests: one sale of SGD 45.00 (a cake), paid SGD 20.00 by a
gift card and the rest by card, through the app's own wiring.

    python -m tests.helpers.giftcard DATA_DIR SANDBOX_URL issue|pay|resume|sell|balance

`issue` sells the till-only card (prints `code CODE`); `pay` rings the sale up, takes SGD 5.00 in cash
and then the card (the test kills it at a POS_CRASH_AT point); `resume` is the till started again:
it settles what was left, reopens the half-paid sale and pays what is still due by card. Prints
`due MINOR`, `paid RECEIPT` and `nothing open`, flushed. `sell` sells a new SGD 30.00 card for cash
(prints `sold CODE`); `balance` settles what was left and prints `card CODE BALANCE` for each card.
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
    try:
        if mode == "issue":
            print(f"code {context.gift_cards.issue(Money(2000, 'SGD'), 'sold-at-the-counter').code}", flush=True)
            return 0
        for message in settle_unfinished(till, context.refunds).messages:
            print("recovered", message, flush=True)
        if mode == "sell":
            till.sell_gift_card(Money(3000, "SGD"))
            print(f"sold {till.cart.lines[0].product.sku.split(':')[1]}", flush=True)
            print(f"cash {till.pay_cash(Money(5000, 'SGD'))}", flush=True)
            return 0
        if mode == "balance":
            for card in context.gift_cards.cards():
                print(f"card {card.code} {card.balance.minor}", flush=True)
            return 0
        if mode == "pay":
            code = context.gift_cards.cards()[0].code
            cake = context.catalog.find_code("CAKE") or context.catalog.save(
                Product(sku="CAKE", name="Cake", category="Test", price=Money(4500, "SGD"), tax_rate_bp=900)
            )
            till.cart.add(cake, 1)
            till.pay_cash(Money(500, "SGD"))
            print(f"gift {till.pay_gift_card(code)}", flush=True)
        else:
            restored = till.restore_split_sale(context.catalog)
            if restored is None:
                print("nothing open", flush=True)
                return 0
        print(f"due {till.amount_due().minor}", flush=True)
        result = till.pay_card(till.amount_due(), "pm_card_visa")
        print(f"paid {result.receipt.receipt_no}" if isinstance(result, Paid) else f"not paid {result}", flush=True)
        return 0
    finally:
        context.close()


if __name__ == "__main__":
    sys.exit(main())
