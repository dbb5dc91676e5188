"""Search-as-you-type over 100,000 products and barcode lookup over 1,000,000.

Queries go through CatalogRepo, exactly as the product panel calls it. The
baseline is the same work on a 1,000-product catalog in the same run; the
ratio shows how the cost grows with the catalog.

    python bench/catalog.py [--search-size 100000] [--barcode-size 1000000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pos.adapters.db.catalog import CatalogRepo  # noqa: E402
from stats import p50_p95 as summary, timed_ms as timed  # noqa: E402
from pos.adapters.db.core import writer  # noqa: E402
from pos.adapters.db.schema import ProductRow  # noqa: E402
from pos.adapters.db.storage import open_engine

WORDS = (
    "oat flat white latte mocha kopi teh tarik croissant almond pandan kaya toast banana bread muffin "
    "chicken pesto panini tuna melt avocado sourdough nasi lemak wrap water orange lime juice kombucha "
    "beans blend single origin cup drip bag cold brew matcha chai jasmine green black iced hot large "
    "small vanilla caramel hazelnut honey lemon ginger cocoa berry mango coconut durian"
).split()
CATEGORIES = ["Coffee", "Tea", "Bakery", "Sandwiches", "Drinks", "Retail"]


def ean13(n: int) -> str:
    base = f"200{n:09d}"
    s = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(base))
    return base + str((10 - s % 10) % 10)


def build(path: Path, size: int, rng: random.Random) -> tuple[CatalogRepo, list[str], list[str]]:
    engine = open_engine(path)
    rows, names = [], []
    for n in range(size):
        name = " ".join(rng.sample(WORDS, 3)).title() + f" {n % 997}"
        names.append(name)
        rows.append(
            {
                "sku": f"SKU-{n:07d}",
                "barcode": ean13(n),
                "name": name,
                "category": CATEGORIES[n % len(CATEGORIES)],
                "price_minor": 100 + n % 5000,
                "currency": "SGD",
                "tax_rate_bp": 900,
                "active": True,
            }
        )
    with writer(engine).begin() as conn:
        for start in range(0, size, 50_000):
            conn.execute(ProductRow.__table__.insert(), rows[start : start + 50_000])
    return CatalogRepo(engine), names, [r["barcode"] for r in rows]


def typed_queries(names: list[str], rng: random.Random, count: int) -> list[str]:
    """What a cashier types, keystroke by keystroke: prefixes of real product names."""
    queries = []
    while len(queries) < count:
        name = rng.choice(names).lower()
        words = name.split()[:2]
        text = ""
        for word in words:
            for ch in word:
                text += ch
                queries.append(text)
            text += " "
    return queries[:count]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--search-size", type=int, default=100_000)
    parser.add_argument("--barcode-size", type=int, default=1_000_000)
    parser.add_argument("--baseline-size", type=int, default=1_000)
    parser.add_argument("--queries", type=int, default=2_000)
    args = parser.parse_args()
    rng = random.Random(7)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base_repo, base_names, base_codes = build(Path(tmp) / "base", args.baseline_size, rng)
        t0 = time.perf_counter()
        repo, names, _ = build(Path(tmp) / "search", args.search_size, rng)
        built_search = time.perf_counter() - t0
        queries = typed_queries(names, rng, args.queries)
        base_queries = typed_queries(base_names, rng, args.queries)
        base = summary(timed(base_repo.search, base_queries))
        big = summary(timed(repo.search, queries))
        rows.append(("search-as-you-type", args.baseline_size, base, args.search_size, big))

        t0 = time.perf_counter()
        repo, _, codes = build(Path(tmp) / "barcodes", args.barcode_size, rng)
        built_codes = time.perf_counter() - t0
        lookups = [rng.choice(codes) for _ in range(args.queries)]
        base = summary(timed(base_repo.find_code, [rng.choice(base_codes) for _ in range(args.queries)]))
        big = summary(timed(repo.find_code, lookups))
        assert repo.find_code(lookups[0]) is not None
        rows.append(("barcode lookup", args.baseline_size, base, args.barcode_size, big))
    print(
        f"catalog bench, {args.queries} queries per case (catalogs built in {built_search:.0f} s "
        f"and {built_codes:.0f} s)"
    )
    print(
        f"{'query':20} {'products':>9} {'p50 ms':>8} {'p95 ms':>8} | {'baseline':>9} {'p50 ms':>8} "
        f"{'p95 ms':>8} | {'p95 ratio':>9}"
    )
    for name, bsize, (bp50, bp95), size, (p50, p95) in rows:
        print(
            f"{name:20} {size:>9} {p50:>8.3f} {p95:>8.3f} | {bsize:>9} {bp50:>8.3f} {bp95:>8.3f} | {p95 / bp95:>9.2f}"
        )
    search_p95, code_p95 = rows[0][4][1], rows[1][4][1]
    print(
        f"targets: search p95 < 16 ms ({'met' if search_p95 < 16 else 'NOT met'}), "
        f"barcode p95 < 1 ms ({'met' if code_p95 < 1 else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
