"""Receipts at scale: the receipts window's first page, each search, and the Z report of a busy day.

Seeds a till database with --receipts receipts (10,000 a day, so the last day
has 10,000 sales; earlier days are closed by Z reports), then times, through the
same repositories the windows use: the first page of the list (and the whole
ReceiptsWindow opening offscreen), each search kind, and the day's X/Z figures.
Baseline: the same on a 10,000-receipt database in the same run.

    python bench/receipts.py [--receipts 1000000]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pos.adapters.db import core  # noqa: E402
from pos.adapters.db.receipts import ReceiptQuery, ReceiptsRepo  # noqa: E402
from pos.adapters.db.reports import ReportsRepo  # noqa: E402
from pos.adapters.db.storage import close_engine, open_engine  # noqa: E402
from plain import driver  # noqa: E402
from stats import p50_p95 as summary, timed_ms  # noqa: E402

PER_DAY = 10_000
CARDS = [("visa", "4242"), ("mastercard", "4444"), ("amex", "8431"), ("visa", "5556"), ("visa", "1881")]


def seed(engine, count: int, rng: random.Random) -> dict:
    """Sales, lines and receipts written straight into the tables (minutes faster than checkout)."""
    end = datetime.now(timezone.utc).replace(microsecond=0)
    days = max(1, count // PER_DAY)
    start = end - timedelta(days=days)
    step = timedelta(days=1) / PER_DAY
    sample = {}
    with core.writing(engine) as db:
        conn = driver(db)  # a bulk seed, plain SQL on the driver (bench/plain.py; not the till's code)
        for n in range(count):
            stamp = (start + step * n).isoformat(timespec="microseconds")
            total = rng.randrange(100, 20_000)
            tax = total * 9 // 109
            brand, last4 = CARDS[n % len(CARDS)]
            conn.execute(
                "INSERT INTO sales (id, sale_key, till_id, state, currency, total_minor, tax_minor,"
                " subtotal_minor, tax_inclusive, create_params, cart_discount_minor, created_at, updated_at)"
                " VALUES (?, ?, 'T1', 'paid', 'SGD', ?, ?, ?, 1, '{}', 0, ?, ?)",
                (n + 1, f"k{n}", total, tax, total - tax, stamp, stamp),
            )
            conn.execute(
                "INSERT INTO sale_lines (sale_id, line_no, sku, name, quantity, unit_price_minor,"
                " tax_rate_bp, net_minor, tax_minor, gross_minor, line_discount_minor, cart_share_minor)"
                " VALUES (?, 1, 'S', 'Item', 1, ?, 900, ?, ?, ?, 0, 0)",
                (n + 1, total, total - tax, tax, total),
            )
            conn.execute(
                "INSERT INTO receipts (till_id, receipt_no, sale_id, created_at, currency, total_minor,"
                " tax_minor, payment_intent, card_brand, card_last4, status, refunded_minor, discount_minor,"
                " card_minor, cash_minor, change_minor, rounding_minor, cashier)"
                " VALUES ('T1', ?, ?, ?, 'SGD', ?, ?, ?, ?, ?, 'paid', 0, 0, ?, 0, 0, 0, '')",
                (n + 1, n + 1, stamp, total, tax, f"pi_bench{n:08d}", brand, last4, total),
            )
            if n == count // 2:
                sample = {"number": str(n + 1), "intent": f"pi_bench{n:08d}", "amount": f"{total / 100:.2f}"}
        # Every day before the last is closed, as a till that runs a Z each evening would have it.
        last_day_start = (start + step * (count - min(count, PER_DAY))).isoformat(timespec="microseconds")
        conn.execute(
            "INSERT INTO z_reports (till_id, z_no, period_start, period_end, figures, last_receipt_no, "
            "last_refund_no, last_movement_id) VALUES ('T1', 1, ?, ?, '{}', ?, 0, 0)",
            (start.isoformat(), last_day_start, count - min(count, PER_DAY)),
        )
    return sample


def timed(fn, repeat: int) -> list[float]:
    return timed_ms(lambda _i: fn(), range(repeat))


def measure(data_dir: Path, count: int, rng: random.Random, repeat: int) -> dict:
    engine = open_engine(data_dir)
    t0 = time.perf_counter()
    sample = seed(engine, count, rng)
    seeded = time.perf_counter() - t0
    repo, reports = ReceiptsRepo(engine), ReportsRepo(engine)
    today = datetime.now().date()
    cases = {
        "first page": lambda: repo.page(ReceiptQuery(), "SGD"),
        "search: receipt number": lambda: repo.page(ReceiptQuery("number", sample["number"]), "SGD"),
        "search: payment id": lambda: repo.page(ReceiptQuery("intent", sample["intent"]), "SGD"),
        "search: card last 4": lambda: repo.page(ReceiptQuery("last4", "4444"), "SGD"),
        "search: amount": lambda: repo.page(ReceiptQuery("amount", sample["amount"]), "SGD"),
        "search: date range": lambda: repo.page(
            ReceiptQuery("dates", date_from=today - timedelta(days=7), date_to=today), "SGD"
        ),
        "X/Z figures, 10,000-sale day": lambda: reports.x_report("T1", "SGD"),
    }
    results = {name: timed(fn, repeat) for name, fn in cases.items()}
    assert len(repo.page(ReceiptQuery(), "SGD")) == 100
    assert reports.x_report("T1", "SGD").sales_count == min(count, PER_DAY)

    from PySide6.QtWidgets import QApplication

    from pos.app import build_context
    from pos.ui.receipts_window import ReceiptsWindow

    app = QApplication.instance() or QApplication([])  # noqa: F841
    context = build_context(data_dir, demo=True, stripe_base_url="http://127.0.0.1:9")
    results["receipts window opens"] = timed(lambda: ReceiptsWindow(context).deleteLater(), max(5, repeat // 4))
    # Every start checks the database (quick_check, layout, a test write) before it sells.
    # After a clean close only the header, the layout and a committed write (issue 27 item 2).
    results["open + storage checks (start)"] = timed(lambda: close_engine(open_engine(data_dir)), 5)
    t0 = time.perf_counter()
    z = reports.close_day("T1", "SGD")
    results["Z report (closes the day, once)"] = [(time.perf_counter() - t0) * 1000]
    assert z.sales_count == min(count, PER_DAY)
    context.close()
    close_engine(engine)
    return {"seeded_s": seeded, "results": results}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--receipts", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        base = measure(Path(tmp) / "base", args.baseline, rng, args.repeat)
        big = measure(Path(tmp) / "big", args.receipts, rng, args.repeat)
    print(
        f"receipts bench: {args.receipts:,} receipts (seeded in {big['seeded_s']:.0f} s), baseline "
        f"{args.baseline:,}; {args.repeat} runs per case"
    )
    print(f"{'case':34} {'p50 ms':>8} {'p95 ms':>8} | {'base p50':>8} {'base p95':>8} | {'p95 ratio':>9}")
    for name, values in big["results"].items():
        p50, p95 = summary(values)
        b50, b95 = summary(base["results"][name])
        print(f"{name:34} {p50:>8.2f} {p95:>8.2f} | {b50:>8.2f} {b95:>8.2f} | {p95 / b95:>9.2f}")
    lists = [v for k, v in big["results"].items() if k.startswith(("first", "search", "receipts window"))]
    ok_lists = all(summary(v)[1] < 50 for v in lists)
    ok_report = summary(big["results"]["X/Z figures, 10,000-sale day"])[1] < 200
    print(
        f"targets: list and searches p95 < 50 ms ({'met' if ok_lists else 'NOT met'}), "
        f"report p95 < 200 ms ({'met' if ok_report else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
