"""A full checkout through the till's services against the sandbox, as a ratio to the bare two calls.

Full checkout = Till.pay: journal the sale and its lines (SQLite, synchronous=FULL),
create the PaymentIntent, confirm it, then write the intent's id, the confirm attempt
and the receipt with its gapless number in one transaction (issue 27: two commits a
card sale), all through the Stripe adapter.
Baseline = the same create + confirm with the bare `stripe` client, no
storage, in the same run against the same sandbox. A second baseline, "lean bare", sends
the same two requests with the client built the way the app's adapter builds it (its
`requests` session reads the environment once, the answers are read as JSON through
`raw_request`, not turned into StripeObjects): the app's own two calls cost about that, so
full/bare counts the adapter's leanness as a gain and full/lean bare does not.

Also timed in the same rounds: a cash sale with change (no Stripe call) and a split
sale (cash part, then a card part), against the same baseline. Each path's durable commits per
sale are counted on the till's own connections (bench/commits.py). --path runs one path alone.

    python bench/checkout.py [--rounds 300] [--path card|cash|split|all] [--latency MS] [--profile N]

--latency MS: the sandbox waits MS milliseconds before it takes each API request (the bare calls'
and the till's alike, a sleep that holds no lock): a Stripe across a network rather than on
loopback, where work the till does while a request is out (issue 27: the create sent while the
sale commits) could hide behind the wait. The requests so delayed are counted and printed.

--profile N: after the timed rounds, N more sales of each path under cProfile (the sandbox's server
threads are not profiled); prints the functions with the most time of their own and the most calls.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

import stripe

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pos.adapters.stripe_gateway import DEFAULT_TIMEOUT, SDK_USAGE, lean_http_client  # noqa: E402
from pos.app import build_context  # noqa: E402
from pos.domain.catalog import Product  # noqa: E402
from pos.domain.money import Money  # noqa: E402
from pos.sandbox import running_sandbox  # noqa: E402
from pos.services.checkout import Paid  # noqa: E402
from commits import CommitCounter  # noqa: E402
from stats import p50_p95  # noqa: E402

KEY = "sk_test_benchcheckout"
EVERY_REQUEST = 10**9  # a delay rule's count: never used up in a bench


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


def lean_bare(client, i):
    """The same two requests as `bare`, as the app's adapter sends them (`StripeGateway._send`)."""
    pi = client.raw_request(
        "post",
        "/v1/payment_intents",
        usage=SDK_USAGE,
        idempotency_key=f"lean-{i}-create",
        amount=1030,
        currency="sgd",
        allowed_payment_method_types=["card"],
        metadata={"sale_id": f"lean-{i}", "till_id": "T1"},
    ).data
    client.raw_request(
        "post",
        f"/v1/payment_intents/{pi['id']}/confirm",
        usage=SDK_USAGE,
        idempotency_key=f"lean-{i}-confirm-1",
        payment_method="pm_card_visa",
        expand=["latest_charge"],
    )


PATHS = ("card", "cash", "split")
LABELS = {
    "card": "full checkout (journal+receipt)",
    "cash": "cash sale with change",
    "split": "split: cash part + card part",
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20, help="rounds of every path before the timed ones")
    parser.add_argument(
        "--path",
        choices=(*PATHS, "all"),
        default="all",
        help="time one path alone (so its system calls can be counted, e.g. strace -f -c), or all of them",
    )
    parser.add_argument(
        "--latency", type=int, default=0, metavar="MS", help="the sandbox waits MS ms before each API request"
    )
    parser.add_argument("--profile", type=int, default=0, help="then profile N more sales of each path (cProfile)")
    args = parser.parse_args()
    paths = PATHS if args.path == "all" else (args.path,)
    commits = CommitCounter.install()  # before the till's engine opens: each connection is traced
    with running_sandbox() as sb, tempfile.TemporaryDirectory() as tmp:
        # The sandbox's own fault rule (pos/sandbox/faults.py), armed for every API request.
        delay = sb.faults.arm("/v1/*", count=EVERY_REQUEST, delay_ms=args.latency) if args.latency else None
        context = build_context(Path(tmp) / "till", stripe_base_url=sb.url, api_key=KEY)
        latte = context.catalog.save(
            Product(sku="L", name="Latte", category="Coffee", price=Money(580, "SGD"), tax_rate_bp=900, barcode="1")
        )
        bun = context.catalog.save(
            Product(sku="B", name="Bun", category="Bakery", price=Money(450, "SGD"), tax_rate_bp=900, barcode="2")
        )
        client = stripe.StripeClient(KEY, base_addresses={"api": sb.url})
        lean = stripe.StripeClient(
            KEY, base_addresses={"api": sb.url}, http_client=lean_http_client(sb.url, DEFAULT_TIMEOUT)
        )

        def card(i):
            context.till.new_sale()
            context.till.cart.add(latte)
            context.till.cart.add(bun)
            assert isinstance(context.till.pay("pm_card_visa"), Paid)

        def cash(i):
            # A cash sale with change: the sale, its tender and its receipt in one transaction.
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

        sale = {"card": card, "cash": cash, "split": split}
        for i in range(args.warmup):  # warm up every path timed
            bare(client, f"w{i}")
            lean_bare(lean, f"w{i}")
            for name in paths:
                sale[name](i)
        times: dict[str, list[float]] = {"bare": [], "lean": [], **{name: [] for name in paths}}
        # CPU of this thread alone: the till's own Python (and the client's), not the in-process
        # sandbox's server threads, and far less moved by the machine's load than wall time.
        cpu: dict[str, list[float]] = {name: [] for name in times}
        counted = dict.fromkeys(paths, 0)

        def timed(name, run, i):
            t0, c0 = time.perf_counter(), time.thread_time()
            run(i)
            times[name].append((time.perf_counter() - t0) * 1000)
            cpu[name].append((time.thread_time() - c0) * 1000)

        # Interleave them so drift on the machine hits all alike.
        for i in range(args.rounds):
            timed("bare", lambda i: bare(client, i), i)
            timed("lean", lambda i: lean_bare(lean, i), i)
            for name in paths:
                before = commits.count
                timed(name, sale[name], i)
                counted[name] += commits.count - before
        delayed = EVERY_REQUEST - delay.count if delay else 0
        profile = _profile(sale, paths, args.profile) if args.profile else ""
        context.close()
    commits.remove()
    b50, b95 = p50_p95(times["bare"])
    l50, l95 = p50_p95(times["lean"])
    c50 = {name: p50_p95(values)[0] for name, values in cpu.items()}
    print(f"checkout bench, {args.rounds} rounds, stripe {stripe.VERSION}, sandbox in-process, path {args.path}")
    if args.latency:
        rounds = args.rounds + args.warmup
        print(f"latency {args.latency} ms before each API request: {delayed} requests delayed ({rounds} rounds)")
    print(f"{'path':35} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>7} {'commits/sale':>13}")
    print(f"{'bare create+confirm (baseline)':35} {b50:>10.2f} {b95:>8.2f} {c50['bare']:>7.2f} {0:>13.2f}")
    print(f"{'lean bare (client built as the app)':35} {l50:>10.2f} {l95:>8.2f} {c50['lean']:>7.2f} {0:>13.2f}")
    for name in paths:
        m50, m95 = p50_p95(times[name])
        print(f"{LABELS[name]:35} {m50:>10.2f} {m95:>8.2f} {c50[name]:>7.2f} {counted[name] / args.rounds:>13.2f}")
    for name in paths:
        ratio = p50_p95(times[name])[0] / b50
        target = f"  target <= 1.3: {'met' if ratio <= 1.3 else 'NOT met'}" if name == "card" else ""
        print(f"ratio {name}/bare (median): {ratio:.2f}{target}")
        print(f"ratio {name}/lean bare (median): {p50_p95(times[name])[0] / l50:.2f}")
        print(f"CPU ratio {name}/bare (median, this thread): {c50[name] / c50['bare']:.2f}")
    print(f"ratio lean bare/bare (median): {l50 / b50:.2f}, CPU {c50['lean'] / c50['bare']:.2f} (the app's client)")
    for name in paths:
        print(f"durable commits per {name} sale: {counted[name] / args.rounds:.2f} (counted on the till's connections)")
    print(profile, end="")
    return 0


def _profile(sale, paths, n: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(n):
        for name in paths:
            sale[name](i)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    print(f"\ncProfile of {n} sales of each path ({', '.join(paths)}): by own time", file=out)
    stats.sort_stats("tottime").print_stats(25)
    print("by calls", file=out)
    stats.sort_stats("ncalls").print_stats(15)
    return out.getvalue()


if __name__ == "__main__":
    sys.exit(main())
