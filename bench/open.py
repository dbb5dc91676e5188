"""Open in constant time: `pos report` end to end on a till of --receipts receipts, against the
same command on an empty till in the same run (issue 27 item 2).

Each run is a new `python -m pos … report` process, as a shop owner types it: the interpreter's
start, the imports, the open of the till's file (its storage checks) and the day's report. The
baseline is the same command on a till with no receipts, so what the big file adds shows as the
ratio. --unclean also times the first open after a process ended without closing (the full
quick_check runs there, by design).

    python bench/open.py [--receipts 1000000] [--repeat 10] [--unclean]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from receipts import seed  # noqa: E402
from stats import p50_p95  # noqa: E402

from pos.adapters.db.schema import open_engine  # noqa: E402


def report_ms(data_dir: Path, repeat: int) -> list[float]:
    day = datetime.now().date().isoformat()
    command = [sys.executable, "-m", "pos", "--data-dir", str(data_dir), "report", "--date", day]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        out.append((time.perf_counter() - start) * 1000)
        if done.returncode != 0:
            raise SystemExit(f"pos report failed: {done.stderr.strip()}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--receipts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--unclean", action="store_true", help="also time the first open after an unclean end")
    parser.add_argument("--keep", help="seed into this folder (kept, and reused if it holds a till already)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        empty, big = Path(tmp) / "empty", Path(args.keep) if args.keep else Path(tmp) / "big"
        open_engine(empty).dispose()
        if not (big / "pos.sqlite3").exists():
            engine = open_engine(big)
            start = time.perf_counter()
            seed(engine, args.receipts, random.Random(11))
            engine.dispose()
            print(f"seeded {args.receipts:,} receipts in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        size = (big / "pos.sqlite3").stat().st_size
        rows = {"empty till (baseline)": report_ms(empty, args.repeat), "big till": report_ms(big, args.repeat)}
        if args.unclean:
            rows["big till, after an unclean end"] = [unclean_open_ms(big) for _ in range(max(1, args.repeat // 3))]
    print(f"open bench: `pos report` end to end, {args.receipts:,} receipts ({size / 1e6:.0f} MB), {args.repeat} runs")
    b50, b95 = p50_p95(rows["empty till (baseline)"])
    print(f"{'case':34} {'p50 ms':>8} {'p95 ms':>8} | {'p50 ratio':>9}")
    for name, values in rows.items():
        p50, p95 = p50_p95(values)
        print(f"{name:34} {p50:>8.1f} {p95:>8.1f} | {p50 / b50:>9.2f}")
    return 0


def unclean_open_ms(data_dir: Path) -> float:
    """A till process killed while open leaves its session behind; the next `pos report` checks it all."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pos.adapters.db.schema import open_engine;"
            f" open_engine(__import__('pathlib').Path({str(data_dir)!r})); print('open', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "open"
    child.kill()
    child.wait()
    return report_ms(data_dir, 1)[0]


if __name__ == "__main__":
    sys.exit(main())
