"""A full checkout through the till's services against the sandbox, as a ratio to the bare two calls.

Full checkout = Till.pay: journal the sale and its lines (SQLite, synchronous=FULL),
create the PaymentIntent, journal its id, journal the confirm attempt, confirm,
write the receipt with its gapless number, all through the Stripe adapter.
Baseline = the same create + confirm with the bare `stripe` client, no
storage, in the same run against the same sandbox.

Also timed in the same rounds: a cash sale with change (no Stripe call) and a split
sale (cash part, then a card part), against the same baseline.

    python bench/checkout.py [--rounds 300]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import stripe

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pos.app import build_context  # noqa: E402
from pos.domain.catalog import Product  # noqa: E402
from pos.domain.money import Money  # noqa: E402
from pos.sandbox import running_sandbox  # noqa: E402
from pos.services.checkout import Paid  # noqa: E402
from stats import p50_p95  # noqa: E402

KEY = "sk_test_benchcheckout"


def bare(client, i):
    pi = client.v1.payment_intents.create(
        {
            "amount": 1030,
            "currency": "sgd",
            "allowed_payment_method_types": ["card"],
            "metadata": {"sale_id": f"bare-{i}", "till_id": "T1"},
        },
        {"idempotency_key": f"bare-{i}-create"},
    )
    client.v1.payment_intents.confirm(
        pi.id,
        {"payment_method": "pm_card_visa", "expand": ["latest_charge"]},
        {"idempotency_key": f"bare-{i}-confirm-1"},
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    with running_sandbox() as sb, tempfile.TemporaryDirectory() as tmp:
        context = build_context(Path(tmp) / "till", stripe_base_url=sb.url, api_key=KEY)
        latte = context.catalog.save(
            Product(sku="L", name="Latte", category="Coffee", price=Money(580, "SGD"), tax_rate_bp=900, barcode="1")
        )
        bun = context.catalog.save(
            Product(sku="B", name="Bun", category="Bakery", price=Money(450, "SGD"), tax_rate_bp=900, barcode="2")
        )
        client = stripe.StripeClient(KEY, base_addresses={"api": sb.url})

        def full(i):
            context.till.new_sale()
            context.till.cart.add(latte)
            context.till.cart.add(bun)
            assert isinstance(context.till.pay("pm_card_visa"), Paid)

        def cash(i):
            # A cash sale with change: journal the sale, then tender and receipt in one transaction.
            context.till.new_sale()
            context.till.cart.add(latte)
            context.till.cart.add(bun)
            assert isinstance(context.till.pay_cash(Money(2000, "SGD")), Paid)

        def split(i):
            # 5.00 in cash, the rest as a card part (its own intent, the sale's own never created).
            context.till.new_sale()
            context.till.cart.add(latte)
            context.till.cart.add(bun)
            context.till.pay_cash(Money(500, "SGD"))
            assert isinstance(context.till.pay_card(context.till.amount_due(), "pm_card_visa"), Paid)

        for i in range(20):  # warm up every path
            bare(client, f"w{i}")
            full(i)
            cash(i)
            split(i)
        bare_times, full_times, cash_times, split_times = [], [], [], []
        # Interleave the two so drift on the machine hits both alike.
        for i in range(args.rounds):
            t0 = time.perf_counter()
            bare(client, i)
            t1 = time.perf_counter()
            full(i)
            t2 = time.perf_counter()
            cash(i)
            t3 = time.perf_counter()
            split(i)
            t4 = time.perf_counter()
            bare_times.append((t1 - t0) * 1000)
            full_times.append((t2 - t1) * 1000)
            cash_times.append((t3 - t2) * 1000)
            split_times.append((t4 - t3) * 1000)
        context.close()
    (b50, b95), (f50, f95) = p50_p95(bare_times), p50_p95(full_times)
    (c50, c95), (s50, s95) = p50_p95(cash_times), p50_p95(split_times)
    print(f"checkout bench, {args.rounds} rounds, stripe {stripe.VERSION}, sandbox in-process")
    print(f"{'path':34} {'median ms':>10} {'p95 ms':>8}")
    print(f"{'bare create+confirm (baseline)':34} {b50:>10.2f} {b95:>8.2f}")
    print(f"{'full checkout (journal+receipt)':34} {f50:>10.2f} {f95:>8.2f}")
    print(f"{'cash sale with change':34} {c50:>10.2f} {c95:>8.2f}")
    print(f"{'split: cash part + card part':34} {s50:>10.2f} {s95:>8.2f}")
    print(f"ratio full/bare (median): {f50 / b50:.2f}  target <= 1.5: {'met' if f50 / b50 <= 1.5 else 'NOT met'}")
    print(f"ratio cash/bare (median): {c50 / b50:.2f}; split/bare: {s50 / b50:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
