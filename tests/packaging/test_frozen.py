"""The PyInstaller build: dist/pos from build.spec runs its self-test and writes nothing into itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.pyinstaller


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def frozen(tmp_path_factory):
    pytest.importorskip("PyInstaller")
    out = tmp_path_factory.mktemp("frozen")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(out / "dist"),
            "--workpath",
            str(out / "work"),
            "build.spec",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    exe = out / "dist" / "pos" / "pos"
    assert exe.exists()
    return exe


def test_self_test_passes_frozen_and_writes_nothing_into_the_app(frozen, tmp_path):
    before = snapshot(frozen.parent)
    env = dict(os.environ, HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"))
    env.pop("POS_STRIPE_API_KEY", None)
    done = subprocess.run([str(frozen), "self-test"], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith("self-test ok: receipt 0001") and "visa 4242" in line and "succeeded" in line
    assert "bytes of ESC/POS" in line  # python-escpos and its printer profiles are in the folder
    assert snapshot(frozen.parent) == before


def test_startup_probe_and_resources_frozen(frozen, tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", POS_DATA_DIR=str(tmp_path / "till"))
    env.pop("POS_STRIPE_API_KEY", None)
    done = subprocess.run([str(frozen), "--startup-probe"], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0 and "startup-probe first-paint" in done.stdout
    internal = frozen.parent / "_internal"
    assert (internal / "resources" / "demo_catalog.csv").exists()
    assert (internal / "resources" / "theme.qss").exists()
    # Qt modules the till does not use are left out.
    for unused in ("QtQml", "QtQuick", "QtWebEngineCore", "QtMultimedia", "Qt3DCore"):
        assert not list(internal.rglob(f"{unused}*.so")), unused
