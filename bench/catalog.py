"""The catalog at scale: the sale screen, search-as-you-type and a scan, on a big catalog against a
small one in the same run (issue 27 item 5).

Queries go through CatalogRepo, exactly as the product panel calls it. The window figures come
from a fresh process per till folder (`--window-probe FOLDER`, run by this script): the real main
window attached to the real context, timed to its first product tiles on screen, its peak memory
(max RSS), and scans typed into the search field and entered until the line is in the cart. The
baseline is the same work on a --baseline-size catalog in the same run; the ratio shows how the
cost grows with the catalog.

    python bench/catalog.py [--search-size 1000000] [--barcode-size 1000000] [--baseline-size 100]
                            [--folder DIR]

Seeding a million products takes minutes: with --folder the catalogs are seeded there once (a
folder per catalog, named by its size) and reused by the next run with the same sizes.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pos.adapters.db.catalog import CatalogRepo  # noqa: E402
from stats import p50_p95 as summary, timed_ms as timed  # noqa: E402
from pos.adapters.db.core import writer  # noqa: E402
from pos.adapters.db.schema import products  # noqa: E402
from pos.adapters.db.storage import open_engine  # noqa: E402
from sqlalchemy import select  # noqa: E402

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


SEEDED = "seeded"  # written last in a catalog's folder: its products are all in (a killed seed is redone)


def build(path: Path, size: int, rng: random.Random) -> tuple[CatalogRepo, list[str], list[str]]:
    """The catalog of `size` products in `path`: seeded now, or the one a run before seeded there
    (the names are then read back; the rng is advanced the same, so the queries are the same)."""
    if (path / SEEDED).exists():
        for _ in range(size):
            rng.sample(WORDS, 3)
        engine = open_engine(path)
        with engine.connect() as conn:
            names = list(conn.execute(select(products.c.name).order_by(products.c.id)).scalars())
        return CatalogRepo(engine), names, [ean13(n) for n in range(size)]
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
            conn.execute(products.insert(), rows[start : start + 50_000])
    (path / SEEDED).write_text(f"{size}\n", encoding="utf-8")
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


SCANS = 200  # per probe: each a fresh product's barcode, the cart emptied every SCAN_CART_LINES
SCAN_CART_LINES = 20


def load_average() -> str:
    """The machine's 1-minute load (every figure here follows it: printed beside them)."""
    return f"{os.getloadavg()[0]:.2f}"


def peak_rss_mb() -> float:
    """This process's peak memory since its exec (VmHWM): getrusage's ru_maxrss survives exec on
    Linux, so a probe started by this script would report the parent's million-product lists."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource  # not Linux: the best there is

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def window_probe(folder: Path, size: int) -> int:
    """In this (fresh) process: the main window, the till's context on `folder`, the time to the first
    product tiles on screen, then SCANS scans through the search field; one JSON line out."""
    started = time.perf_counter()
    import json

    from PySide6.QtWidgets import QApplication

    from pos.app import build_context
    from pos.ui import theme
    from pos.ui.main_window import MainWindow

    app = QApplication([])
    theme.install(app)
    window = MainWindow()
    window.show_maximised()
    app.processEvents()
    shown = time.perf_counter()
    context = build_context(folder, demo=True)  # demo: no key needed; the catalog is not empty
    opened, opened_cpu = time.perf_counter(), time.thread_time()
    window.attach(context)
    while not (window.products.buttons() and window.products.buttons()[0].isVisible()):
        app.processEvents()
    tiles, tiles_cpu = time.perf_counter(), time.thread_time()
    built = len(window.products.buttons())
    rng = random.Random(size)
    panel, cart = window.products, window.counter.cart
    scans, scans_cpu = [], []
    for n in range(SCANS):
        if n % SCAN_CART_LINES == 0:
            window.counter.clear()
            app.processEvents()
        before = sum(line.quantity for line in cart.lines)
        code = ean13(rng.randrange(size))
        panel.search.setText(code)
        t0, c0 = time.perf_counter(), time.thread_time()
        panel.search.returnPressed.emit()  # what the scanner's Enter does
        if sum(line.quantity for line in cart.lines) != before + 1:
            raise SystemExit(f"scanning {code} added nothing: {window.status_message.text()}")
        scans.append((time.perf_counter() - t0) * 1000)
        scans_cpu.append((time.thread_time() - c0) * 1000)  # the UI thread's own CPU: load aside
        app.processEvents()
    print(
        json.dumps(
            {
                "open_ms": (opened - shown) * 1000,
                "screen_ms": (tiles - opened) * 1000,
                "screen_cpu_ms": (tiles_cpu - opened_cpu) * 1000,
                "tiles": built,
                "first_tiles_ms": (tiles - started) * 1000,
                "max_rss_mb": peak_rss_mb(),
                "scan_p95_ms": summary(scans)[1],
                "scan_p50_ms": summary(scans)[0],
                "scan_cpu_p95_ms": summary(scans_cpu)[1],
            }
        ),
        flush=True,
    )
    # Closed as a till closes (its open session ends), so the next probe's open is a clean one: a
    # probe that only exited left its session row, and every run then read the whole file at open.
    window.close()
    os._exit(0)  # the figures are out; no other teardown to wait for


def probe(folder: Path, size: int) -> dict:
    import json
    import subprocess

    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    out = subprocess.run(
        [sys.executable, __file__, "--window-probe", str(folder), "--probe-size", str(size)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def window_figures(base: Path, base_size: int, big: Path, big_size: int, runs: int) -> tuple[dict, dict]:
    """Median of each figure over `runs` probes of each folder, interleaved (so the machine's load
    falls on both alike)."""
    import statistics

    results: tuple[list[dict], list[dict]] = ([], [])
    for _ in range(runs):
        results[0].append(probe(base, base_size))
        results[1].append(probe(big, big_size))
    return tuple({k: statistics.median(r[k] for r in runs_) for k in runs_[0]} for runs_ in results)  # type: ignore[return-value]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--search-size", type=int, default=1_000_000)
    parser.add_argument("--barcode-size", type=int, default=1_000_000)
    parser.add_argument("--baseline-size", type=int, default=100)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--window-runs", type=int, default=3, help="window probes per catalog (0: none)")
    parser.add_argument(
        "--folder", type=Path, help="seed the catalogs here once and reuse them (default: a temporary folder)"
    )
    parser.add_argument("--window-probe", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--probe-size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.window_probe:
        return window_probe(args.window_probe, args.probe_size)
    load_at_start = load_average()
    rng = random.Random(7)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.folder or Path(scratch)
        base_dir = Path(tmp) / f"base-{args.baseline_size}"
        search_dir = Path(tmp) / f"search-{args.search_size}"
        base_repo, base_names, base_codes = build(base_dir, args.baseline_size, rng)
        t0 = time.perf_counter()
        repo, names, _ = build(search_dir, args.search_size, rng)
        built_search = time.perf_counter() - t0
        queries = typed_queries(names, rng, args.queries)
        base_queries = typed_queries(base_names, rng, args.queries)
        base = summary(timed(base_repo.search, base_queries))
        big = summary(timed(repo.search, queries))
        rows.append(("search-as-you-type", args.baseline_size, base, args.search_size, big))

        if args.barcode_size == args.search_size:  # one big catalog serves both (a million takes minutes)
            folder, built_codes = search_dir, 0.0
            codes = [ean13(n) for n in range(args.barcode_size)]
        else:
            t0 = time.perf_counter()
            folder = Path(tmp) / f"barcodes-{args.barcode_size}"
            repo, _, codes = build(folder, args.barcode_size, rng)
            built_codes = time.perf_counter() - t0
        lookups = [rng.choice(codes) for _ in range(args.queries)]
        base = summary(timed(base_repo.find_code, [rng.choice(base_codes) for _ in range(args.queries)]))
        big = summary(timed(repo.find_code, lookups))
        assert repo.find_code(lookups[0]) is not None
        rows.append(("barcode lookup", args.baseline_size, base, args.barcode_size, big))
        windows = None
        if args.window_runs:
            windows = window_figures(base_dir, args.baseline_size, folder, args.barcode_size, args.window_runs)
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
    verdicts = [
        f"search p95 < 16 ms ({'met' if search_p95 < 16 else 'NOT met'})",
        f"barcode p95 < 1 ms ({'met' if code_p95 < 1 else 'NOT met'})",
    ]
    if windows is not None:
        small, large = windows
        print(
            f"sale window, median of {args.window_runs} fresh processes each: "
            f"{args.barcode_size} products | {args.baseline_size} products | ratio"
        )
        labels = {
            "open_ms": "open the till (ms)",
            "screen_ms": "sale screen (ms)",
            "screen_cpu_ms": "sale screen CPU (ms)",
            "tiles": "tiles built",
            "first_tiles_ms": "first tiles (ms)",
            "max_rss_mb": "peak memory (MB)",
            "scan_p95_ms": "scan p95 (ms)",
            "scan_cpu_p95_ms": "scan p95 CPU (ms)",
        }
        for key, label in labels.items():
            print(f"{label:20} {large[key]:>12.1f} | {small[key]:>12.1f} | {large[key] / small[key]:>6.2f}")
        screen = large["screen_ms"] / small["screen_ms"]
        memory = large["max_rss_mb"] / small["max_rss_mb"]
        verdicts += [
            f"sale screen <= 1.5x ({'met' if screen <= 1.5 else 'NOT met'})",
            f"memory <= 1.3x ({'met' if memory <= 1.3 else 'NOT met'})",
            f"scan p95 < 5 ms ({'met' if large['scan_p95_ms'] < 5 else 'NOT met'})",
        ]
    print("targets: " + ", ".join(verdicts))
    print(f"load average at the start and the end: {load_at_start} / {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
