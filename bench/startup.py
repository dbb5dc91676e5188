"""Start-up of the frozen till against a frozen bare PySide6 window, built by this script.

Builds (unless --no-build) dist/pos with build.spec and a bare one-window PySide6 app
with the same PyInstaller options, then runs each --runs times with a start-up probe
that exits right after the first paint. Prints time from exec to first paint, peak
memory (max RSS) and folder size, each as a ratio to the bare app.

    python bench/startup.py [--runs 15] [--no-build]
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


def run_once(exe: Path, args: list[str], env: dict) -> tuple[float, float]:
    """Seconds from exec to the first-paint mark, and the process's max RSS in MiB."""
    start = time.perf_counter()
    proc = subprocess.Popen([str(exe), *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    line = proc.stdout.readline().decode()
    elapsed = time.perf_counter() - start
    _, status, usage = os.wait4(proc.pid, 0)
    proc.stdout.close()
    if "startup-probe" not in line:
        raise RuntimeError(f"{exe} printed no start-up mark: {line!r}")
    return elapsed, usage.ru_maxrss / 1024


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    if args.no_build:
        app, bare = WORK / "dist" / "pos" / "pos", WORK / "dist" / "bare" / "bare"
    else:
        app, bare = build()
    env = dict(
        os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"), POS_DATA_DIR=str(WORK / "data")
    )
    env.pop("POS_STRIPE_API_KEY", None)
    results = {}
    for name, exe, extra in (("bare", bare, []), ("pos", app, ["--startup-probe"])):
        run_once(exe, extra, env)  # warm the page cache
        samples = [run_once(exe, extra, env) for _ in range(args.runs)]
        results[name] = (statistics.median(s[0] for s in samples), max(s[1] for s in samples), folder_size(exe.parent))
    (bt, bm, bs), (at, am, size) = results["bare"], results["pos"]
    print(f"start-up bench, {args.runs} runs each, QT_QPA_PLATFORM={env['QT_QPA_PLATFORM']}")
    print(f"{'':22} {'bare PySide6':>14} {'pos':>10} {'ratio':>7}  target")
    print(f"{'exec to first paint':22} {bt * 1000:>12.0f}ms {at * 1000:>8.0f}ms {at / bt:>7.2f}  < 2")
    print(f"{'peak memory (max RSS)':22} {bm:>12.1f}MB {am:>8.1f}MB {am / bm:>7.2f}  < 2")
    print(f"{'folder size':22} {bs / 2**20:>12.1f}MB {size / 2**20:>8.1f}MB {size / bs:>7.2f}  < 1.3")
    return 0


if __name__ == "__main__":
    sys.exit(main())
