"""A till process that holds its data folder, for tests of a second process on the same folder.

    python -m tests.helpers.hold DATA_DIR SANDBOX_URL

Prints `ready PID` once it owns the folder. Each line on standard input is a command:
`pay PM` rings up one product and charges it (prints the result's class name and message),
`quit` (or end of input) closes the till.
"""

from __future__ import annotations

import os
import sys

from pos.app import build_context
from pos.domain.catalog import Product
from pos.domain.money import Money


def main() -> int:
    context = build_context(sys.argv[1], stripe_base_url=sys.argv[2])
    product = context.catalog.find_code("HOLD-1") or context.catalog.save(
        Product(sku="HOLD-1", name="Held coffee", category="Test", price=Money(450, "SGD"), tax_rate_bp=900)
    )
    print(f"ready {os.getpid()}", flush=True)
    for line in sys.stdin:
        command, _, arg = line.strip().partition(" ")
        if command == "pay":
            if context.till.cart.is_empty():
                context.till.cart.add(product, 1)
            result = context.till.pay(arg or "pm_card_visa")
            print(f"{type(result).__name__} {getattr(result, 'message', '')}".strip(), flush=True)
            if type(result).__name__ == "Paid":
                context.till.new_sale()
        elif command == "quit":
            break
    context.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
