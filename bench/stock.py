"""On-hand for one product and the low-stock list at 1,000,000 movements and 100,000 products.

Queries go through TillStock, exactly as Back office → Stock and `pos stock levels` call it. The
ledger is filled in bulk (one INSERT per batch, the snapshot summed once at the end, no audit
events: the bench times reads, and the rows are what the till's own writes leave). The baseline is
the same reads on a 10,000-movement ledger of 1,000 products in the same run.

    python bench/stock.py [--movements 1000000] [--products 100000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pos.adapters.db.core import writer  # noqa: E402
from pos.adapters.db.schema import products as product_table  # noqa: E402

from pos.adapters.db.storage import open_engine
from pos.adapters.db.stock import TillStock  # noqa: E402
from stats import p50_p95 as summary, timed_ms as timed  # noqa: E402

KINDS = (("sale", -1), ("sale", -1), ("sale", -1), ("delivery", 1), ("refund", 1), ("waste", -1))


def build(path: Path, products: int, movements: int, rng: random.Random) -> TillStock:
    engine = open_engine(path)
    with writer(engine).begin() as conn:
        rows = [
            {
                "sku": f"SKU-{n:07d}",
                "barcode": None,
                "name": f"Product {n}",
                "category": "Grocery",
                "price_minor": 100 + n % 5000,
                "currency": "SGD",
                "tax_rate_bp": 900,
                "active": True,
            }
            for n in range(products)
        ]
        for start in range(0, products, 50_000):
            conn.execute(product_table.insert(), rows[start : start + 50_000])
        raw = conn.connection.driver_connection
        # Every product tracked with a threshold of 5; about one in fifty ends below it.
        raw.execute(
            "INSERT INTO stock_items (product_id, track_stock, unit, low_stock_milli, open_price)"
            " SELECT id, 1, 'each', 5000, 0 FROM products"
        )
        batch = []
        for n in range(movements):
            kind, way = rng.choice(KINDS)
            product = rng.randrange(products) + 1
            batch.append((product, kind, way * 1000 * rng.randint(1, 3), "2026-12-01T10:00:00+00:00", "T1"))
            if len(batch) == 100_000 or n == movements - 1:
                raw.executemany(
                    "INSERT INTO stock_movements (product_id, kind, quantity_milli, at, till_id, who, approved_by,"
                    " why) VALUES (?,?,?,?,?,'','','')",
                    batch,
                )
                batch = []
        # A delivery to each product so that most are well stocked, the rest below 5.
        raw.execute(
            "INSERT INTO stock_movements (product_id, kind, quantity_milli, at, till_id, who, approved_by, why)"
            " SELECT id, 'delivery', CASE WHEN id % 50 = 0 THEN 1000 ELSE 100000 END,"
            " '2026-12-01T09:00:00+00:00', 'T1', '', '', '' FROM products"
        )
        raw.execute(
            "INSERT INTO stock_levels (product_id, on_hand_milli, through_id, low_stock_milli)"
            " SELECT product_id, sum(quantity_milli), max(id), 5000 FROM stock_movements GROUP BY product_id"
        )
    conn = engine.raw_connection()
    try:
        conn.execute("ANALYZE")
    finally:
        conn.close()
    return TillStock(engine)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--baseline-movements", type=int, default=10_000)
    parser.add_argument("--baseline-products", type=int, default=1_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--lists", type=int, default=40)
    args = parser.parse_args()
    rng = random.Random(26)
    with tempfile.TemporaryDirectory() as tmp:
        base = build(Path(tmp) / "base", args.baseline_products, args.baseline_movements, rng)
        t0 = time.perf_counter()
        big = build(Path(tmp) / "big", args.products, args.movements, rng)
        built = time.perf_counter() - t0
        rows = []
        for name, store, products in (("baseline", base, args.baseline_products), ("large", big, args.products)):
            skus = [f"SKU-{rng.randrange(products):07d}" for _ in range(args.queries)]
            assert store.level(skus[0]) is not None
            one = summary(timed(store.level, skus))
            low = summary(timed(lambda _, s=store: s.low_stock(), range(args.lists)))
            rows.append((name, one, low, len(store.low_stock())))
    print(f"stock bench: {args.queries} on-hand reads, {args.lists} low-stock lists each (built in {built:.0f} s)")
    print(f"{'ledger':10} {'on-hand p50':>12} {'p95 ms':>8} | {'low list p50':>13} {'p95 ms':>8} {'rows':>6}")
    for name, (p50, p95), (lp50, lp95), count in rows:
        print(f"{name:10} {p50:>12.3f} {p95:>8.3f} | {lp50:>13.3f} {lp95:>8.3f} {count:>6}")
    (_, (_, one_p95), (_, low_p95), _) = rows[1]
    print(
        f"baseline: {args.baseline_movements} movements, {args.baseline_products} products; large: "
        f"{args.movements} movements, {args.products} products. p95 ratio on-hand {one_p95 / rows[0][1][1]:.2f}, "
        f"low list {low_p95 / rows[0][2][1]:.2f}"
    )
    print(
        f"targets: on-hand p95 < 5 ms ({'met' if one_p95 < 5 else 'NOT met'}), "
        f"low-stock list p95 < 50 ms ({'met' if low_p95 < 50 else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
