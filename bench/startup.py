"""Start-up of the frozen till against a frozen bare PySide6 window, built by this script.

Builds (unless --no-build) dist/pos with build.spec and a bare one-window PySide6 app
with the same PyInstaller options, then runs each --runs times with a start-up probe
that exits right after the first paint, the two interleaved (bare, till, bare, till, ...) so both
see the same load. Prints the time from exec to first paint, the CPU time the process used to get
there (user + system: it follows the machine's load less than the wall time), peak memory (max
RSS) and folder size, each as a ratio to the bare app, and the load average.

--from-source runs both from this checkout's Python instead (no build, no folder size): what
the test command runs at its smallest, so the probe and the figures cannot break unseen
(tests/test_benches.py); the PyInstaller build itself is tested by tests/packaging/test_frozen.py.

    python bench/startup.py [--runs 15] [--no-build | --from-source]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "bench-startup"

BARE = """
import os, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
app = QApplication(sys.argv)
window = QMainWindow()
window.resize(1200, 760)
window.setCentralWidget(QLabel("bare window"))
class FirstPaint(QObject):
    done = False
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Paint and not self.done:
            self.done = True
            print("startup-probe first-paint", flush=True)
            QTimer.singleShot(0, app.quit)
        return False
probe = FirstPaint()
window.installEventFilter(probe)
window.show()
code = app.exec()
sys.stdout.flush()
os._exit(code)
"""


def pyinstaller(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN", *args], check=True, cwd=ROOT
    )


def build() -> tuple[Path, Path]:
    WORK.mkdir(parents=True, exist_ok=True)
    pyinstaller("--distpath", str(WORK / "dist"), "--workpath", str(WORK / "work"), "build.spec")
    script = WORK / "bare.py"
    script.write_text(BARE)
    pyinstaller(
        "--onedir",
        "--name",
        "bare",
        "--distpath",
        str(WORK / "dist"),
        "--workpath",
        str(WORK / "work"),
        "--specpath",
        str(WORK),
        str(script),
    )
    return WORK / "dist" / "pos" / "pos", WORK / "dist" / "bare" / "bare"


def run_once(command: list[str], env: dict) -> tuple[float, float, float]:
    """Seconds from exec to the first-paint mark, the process's max RSS in MiB, and its CPU seconds
    (the probe exits at once after the mark, so that is the CPU time to the first paint)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    line = proc.stdout.readline().decode()
    elapsed = time.perf_counter() - start
    _, status, usage = os.wait4(proc.pid, 0)
    proc.stdout.close()
    if "startup-probe" not in line:
        raise RuntimeError(f"{command[0]} printed no start-up mark: {line!r}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--from-source", action="store_true", help="run both from source: no build, no folder size")
    parser.add_argument("--work", type=Path, help="with --from-source: the folder for the bare script and the data")
    args = parser.parse_args()
    work = args.work if args.from_source and args.work else WORK
    if args.from_source:
        work.mkdir(parents=True, exist_ok=True)
        (work / "bare.py").write_text(BARE)
        commands = {
            "bare": [sys.executable, str(work / "bare.py")],
            "pos": [sys.executable, "-m", "pos", "--startup-probe"],
        }
    else:
        app, bare = (WORK / "dist" / "pos" / "pos", WORK / "dist" / "bare" / "bare") if args.no_build else build()
        commands = {"bare": [str(bare)], "pos": [str(app), "--startup-probe"]}
    env = dict(
        os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"), POS_DATA_DIR=str(work / "data")
    )
    env.pop("POS_STRIPE_API_KEY", None)
    for command in commands.values():
        run_once(command, env)  # warm the page cache
    samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():  # interleaved: both apps under the same load
            samples[name].append(run_once(command, env))
    results = {}
    for name, command in commands.items():
        size = 0 if args.from_source else folder_size(Path(command[0]).parent)
        runs = samples[name]
        results[name] = (
            statistics.median(s[0] for s in runs),
            max(s[1] for s in runs),
            size,
            statistics.median(s[2] for s in runs),
        )
    (bt, bm, bs, bc), (at, am, size, ac) = results["bare"], results["pos"]
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"
    print(f"start-up bench, {args.runs} runs each, interleaved, QT_QPA_PLATFORM={env['QT_QPA_PLATFORM']}")
    print(f"{'':22} {'bare PySide6':>14} {'pos':>10} {'ratio':>7}  target")
    print(f"{'exec to first paint':22} {bt * 1000:>12.0f}ms {at * 1000:>8.0f}ms {at / bt:>7.2f}  <= 1.3")
    print(f"{'CPU to first paint':22} {bc * 1000:>12.0f}ms {ac * 1000:>8.0f}ms {ac / bc:>7.2f}")
    print(f"{'peak memory (max RSS)':22} {bm:>12.1f}MB {am:>8.1f}MB {am / bm:>7.2f}  < 2")
    if args.from_source:
        print(f"{'folder size':22} {'(from source: not built)':>35}")
    else:
        print(f"{'folder size':22} {bs / 2**20:>12.1f}MB {size / 2**20:>8.1f}MB {size / bs:>7.2f}  <= 1.3")
    print(f"load average {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
