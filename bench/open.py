"""Open in constant time: `pos report` end to end on a till of --receipts receipts, against the
same command on an empty till in the same run (issue 27 item 2).

Each run is a new `python -m pos … report` process, as a shop owner types it: the interpreter's
start, the imports, the open of the till's file (its storage checks) and the day's report. The
baseline is the same command on a till with no receipts, so what the big file adds shows as the
ratio; the open alone (open_engine and its checks, in this process) is timed the same way.
--unclean also times the first `pos report` after a process ended without closing (the full
quick_check runs there, by design). Two floors in the same run: `python -c pass` (the interpreter)
and `pos --version` (the interpreter, pos.cli and its parser, nothing of the till's file): what
`pos report` costs above them is its imports, the open and the report. Each figure in wall and CPU
milliseconds: CPU holds when the machine is shared.

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

from pos.adapters.db.storage import open_engine  # noqa: E402


def report_ms(data_dir: Path, repeat: int) -> list[tuple[float, float]]:
    """Wall and CPU (user + system) milliseconds of each `pos report` process."""
    day = datetime.now().date().isoformat()
    return process_ms([sys.executable, "-m", "pos", "--data-dir", str(data_dir), "report", "--date", day], repeat)


def process_ms(command: list[str], repeat: int) -> list[tuple[float, float]]:
    """Wall and CPU (user + system) milliseconds of each run of command, a new process each. The CPU
    time is what the process itself spent, so it holds when other jobs share the machine; the wall
    time is what the shop owner waits."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        assert proc.stderr is not None
        errors = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.append(((time.perf_counter() - start) * 1000, (usage.ru_utime + usage.ru_stime) * 1000))
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(command[2:])} failed: {errors.decode().strip()}")
    return out


def close(engine) -> None:
    """A clean close (a till from before issue 27 had only dispose)."""
    from pos.adapters.db import storage

    (getattr(storage, "close_engine", None) or (lambda e: e.dispose()))(engine)


def open_ms(data_dir: Path, repeat: int) -> list[tuple[float, float]]:
    """The open alone, in this process: open_engine (its storage checks) and a clean close."""

    out = []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        close(open_engine(data_dir))
        out.append(((time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000))
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
        close(open_engine(empty))
        if not (big / "pos.sqlite3").exists():
            engine = open_engine(big)
            start = time.perf_counter()
            seed(engine, args.receipts, random.Random(11))
            close(engine)
            print(f"seeded {args.receipts:,} receipts in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        size = (big / "pos.sqlite3").stat().st_size
        rows = {
            "open, empty till (baseline)": open_ms(empty, args.repeat),
            "open, big till": open_ms(big, args.repeat),
            "pos report, empty till (baseline)": report_ms(empty, args.repeat),
            "pos report, big till": report_ms(big, args.repeat),
        }
        if args.unclean:
            rows["pos report, big, after unclean end"] = [
                unclean_report_ms(big) for _ in range(max(1, args.repeat // 3))
            ]
        floors = {
            "python -c pass": process_ms([sys.executable, "-c", "pass"], args.repeat),
            "pos --version": process_ms([sys.executable, "-m", "pos", "--version"], args.repeat),
        }
    print(f"open bench: {args.receipts:,} receipts ({size / 1e6:.0f} MB), {args.repeat} runs; ms, wall and CPU")
    print(f"{'case':36} {'p50':>8} {'p95':>8} {'cpu p50':>8} | {'p50 ratio':>9} {'cpu ratio':>9}")
    for name, values in rows.items():
        base = rows[f"{name.split(',')[0]}, empty till (baseline)"]
        b50, c50 = p50_p95([v[0] for v in base])[0], p50_p95([v[1] for v in base])[0]
        (p50, p95), cpu = p50_p95([v[0] for v in values]), p50_p95([v[1] for v in values])[0]
        print(f"{name:36} {p50:>8.1f} {p95:>8.1f} {cpu:>8.1f} | {p50 / b50:>9.2f} {cpu / c50:>9.2f}")
    # `pos report` on the big till against the floors: the ratio is what the command adds to a bare
    # start; the difference, in ms, is its imports, the open and the report.
    big_report = rows["pos report, big till"]
    r50, rc50 = p50_p95([v[0] for v in big_report])[0], p50_p95([v[1] for v in big_report])[0]
    for name, values in floors.items():
        (p50, p95), cpu = p50_p95([v[0] for v in values]), p50_p95([v[1] for v in values])[0]
        print(
            f"{name + ' (floor)':36} {p50:>8.1f} {p95:>8.1f} {cpu:>8.1f} | "
            f"report/floor {r50 / p50:.2f} wall, {rc50 / cpu:.2f} CPU; report − floor {r50 - p50:.0f} ms wall, "
            f"{rc50 - cpu:.0f} ms CPU"
        )
    return 0


def unclean_report_ms(data_dir: Path) -> tuple[float, float]:
    """A till process killed while open leaves its session behind; the next `pos report` checks it all."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pos.adapters.db.storage import open_engine;"
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
