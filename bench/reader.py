"""A sale on the card reader through the till's services, as a ratio to the bare Stripe calls.

Till = Till.pay_on_reader on a worker: journal the sale, create the card_present intent, journal
the hand-off, process_payment_intent, then ask Stripe (intent, then reader) with backoff until
the tap's outcome is known, write the receipt. The customer taps as soon as the reader waits.
Baseline = the same create + process_payment_intent + present (test helper) + retrieve with the
bare `stripe` client, no storage and no polling, in the same run against the same sandbox.

Reported: the whole sale, the hand-off (Pay pressed → the reader waiting), and the tap → the
receipt (what the cashier waits for once the customer has tapped; polling decides it).

    python bench/reader.py [--rounds 40]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
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

KEY = "sk_test_benchreader"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    with running_sandbox() as sb, tempfile.TemporaryDirectory() as tmp:
        client = stripe.StripeClient(KEY, base_addresses={"api": sb.url})
        location = client.v1.terminal.locations.create({"display_name": "Bench", "address": {"country": "SG"}})
        reader = client.v1.terminal.readers.create({"registration_code": "simulated-wpe", "location": location.id}).id
        context = build_context(Path(tmp) / "till", stripe_base_url=sb.url, api_key=KEY)
        latte = context.catalog.save(
            Product(sku="L", name="Latte", category="Coffee", price=Money(580, "SGD"), tax_rate_bp=900, barcode="1")
        )

        def bare(i):
            pi = client.v1.payment_intents.create(
                {
                    "amount": 580,
                    "currency": "sgd",
                    "allowed_payment_method_types": ["card_present"],
                    "metadata": {"sale_id": f"bare-{i}", "till_id": "T1"},
                },
                {"idempotency_key": f"bare-{i}-create"},
            )
            client.v1.terminal.readers.process_payment_intent(
                reader, {"payment_intent": pi.id}, {"idempotency_key": f"bare-{i}-reader"}
            )
            client.v1.test_helpers.terminal.readers.present_payment_method(reader, {})
            client.v1.payment_intents.retrieve(pi.id, {"expand": ["latest_charge"]})

        def till(i):
            """(whole sale, hand-off, tap → receipt) in ms."""
            context.till.new_sale()
            context.till.cart.add(latte)
            waiting, tapped = threading.Event(), [0.0]

            def progress(message: str) -> None:
                if "tap" in message and not waiting.is_set():
                    waiting.set()

            start = time.perf_counter()
            result: list = []
            worker = threading.Thread(
                target=lambda: result.append(context.till.pay_on_reader(context.till.amount_due(), reader, progress))
            )
            worker.start()
            waiting.wait(30)
            handed = time.perf_counter()
            client.v1.test_helpers.terminal.readers.present_payment_method(reader, {})
            tapped[0] = time.perf_counter()
            worker.join(30)
            done = time.perf_counter()
            assert isinstance(result[0], Paid), result
            return (done - start) * 1000, (handed - start) * 1000, (done - tapped[0]) * 1000

        for i in range(5):  # warm up both paths
            bare(f"w{i}")
            till(i)
        bare_times, whole, handoff, tap_to_receipt = [], [], [], []
        for i in range(args.rounds):
            t0 = time.perf_counter()
            bare(i)
            bare_times.append((time.perf_counter() - t0) * 1000)
            w, h, r = till(i)
            whole.append(w)
            handoff.append(h)
            tap_to_receipt.append(r)
        context.close()
    rows = [
        ("bare create+process+present+retrieve", bare_times),
        ("till: whole reader sale", whole),
        ("till: Pay pressed -> reader waiting", handoff),
        ("till: tap -> receipt written", tap_to_receipt),
    ]
    print(f"reader bench, {args.rounds} rounds, stripe {stripe.VERSION}, sandbox in-process, customer taps at once")
    print(f"{'path':40} {'median ms':>10} {'p95 ms':>8}")
    for name, values in rows:
        p50, p95 = p50_p95(values)
        print(f"{name:40} {p50:>10.2f} {p95:>8.2f}")
    b50 = p50_p95(bare_times)[0]
    print(f"ratio whole/bare (median): {p50_p95(whole)[0] / b50:.2f} (the first poll waits 250 ms by design)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
