"""Create+confirm latency through the real `stripe` client against the sandbox.

Runs four cases in one process: empty and with N stored PaymentIntents, in
memory and with --db (SQLite). Prints median and p95 per case and the ratio of
each populated case to the empty one of the same storage (the baseline).

    python bench/sandbox.py [--stored 100000] [--rounds 400]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import stripe

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pos.sandbox import running_sandbox  # noqa: E402
from pos.sandbox import versions  # noqa: E402
from pos.sandbox.server import authenticate  # noqa: E402
from stats import p50_p95  # noqa: E402

KEY = "sk_test_bench"


def seed(sandbox, count: int) -> None:
    """Store `count` PaymentIntents directly (through the API layer, not HTTP, to save minutes)."""
    caller = authenticate(f"Bearer {KEY}", versions.parse(versions.CURRENT))
    api = sandbox._server.api
    with sandbox.store.lock:
        for i in range(count):
            pi = api.create_payment_intent(
                caller,
                {
                    "amount": str(1000 + i % 5000),
                    "currency": "sgd",
                    "allowed_payment_method_types": ["card"],
                    "metadata": {"sale_id": f"seed-{i}"},
                },
            )
            if i % 2:
                api.confirm_payment_intent(caller, {"payment_method": "pm_card_visa"}, pi["id"])
            if i % 5000 == 4999:
                sandbox.store.flush()
        sandbox.store.flush()


def measure(url: str, rounds: int) -> list[float]:
    client = stripe.StripeClient(KEY, base_addresses={"api": url})
    times = []
    for i in range(rounds + 20):
        start = time.perf_counter()
        pi = client.v1.payment_intents.create(
            {
                "amount": 1234,
                "currency": "sgd",
                "allowed_payment_method_types": ["card"],
                "metadata": {"sale_id": f"bench-{i}"},
            },
            {"idempotency_key": f"bench-{i}-create"},
        )
        client.v1.payment_intents.confirm(
            pi.id, {"payment_method": "pm_card_visa"}, {"idempotency_key": f"bench-{i}-confirm"}
        )
        if i >= 20:  # warm-up rounds are not counted
            times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=400)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for storage in ("memory", "sqlite"):
            baseline = None
            for stored in (0, args.stored):
                db = str(Path(tmp) / f"sb-{stored}.db") if storage == "sqlite" else None
                with running_sandbox(db=db) as sb:
                    t0 = time.perf_counter()
                    seed(sb, stored)
                    seeded = time.perf_counter() - t0
                    times = measure(sb.url, args.rounds)
                med, high = p50_p95(times)
                baseline = baseline or med
                rows.append((storage, stored, med, high, med / baseline, seeded))
    print(f"create+confirm through stripe {stripe.VERSION}, {args.rounds} rounds per case")
    print(f"{'storage':8} {'stored':>8} {'median ms':>10} {'p95 ms':>8} {'ratio':>6}  (seeding took)")
    for storage, stored, med, high, ratio, seeded in rows:
        print(f"{storage:8} {stored:>8} {med:>10.2f} {high:>8.2f} {ratio:>6.2f}  ({seeded:.1f} s)")
    ok = all(r[2] < 5 and r[4] <= 1.5 for r in rows)
    print("targets (median < 5 ms, populated <= 1.5x empty):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
