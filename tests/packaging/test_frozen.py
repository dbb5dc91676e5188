"""The PyInstaller build: dist/pos from build.spec runs its self-test and writes nothing into itself."""

from __future__ import annotations

import os
import shutil
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


@pytest.mark.skipif(sys.platform != "linux", reason="the plugin and library names are Linux's")
def test_the_folder_holds_only_what_the_till_loads(frozen):
    """Issue 27 item 3: what build.spec leaves out, and what it must keep for the README's platforms."""
    qt = frozen.parent / "_internal" / "PySide6" / "Qt"
    platforms = {p.name for p in (qt / "plugins" / "platforms").iterdir()}
    assert {"libqxcb.so", "libqwayland.so", "libqoffscreen.so"} <= platforms
    assert not platforms & {"libqvnc.so", "libqlinuxfb.so", "libqeglfs.so", "libqminimal.so", "libqvkkhrdisplay.so"}
    for folder in ("imageformats", "generic", "egldeviceintegrations", "iconengines"):
        assert not (qt / "plugins" / folder).exists(), folder
    assert not (qt / "translations").exists()
    assert not list((qt / "lib").glob("libQt6Network.so*")) and not list((qt / "lib").glob("libQt6EglFS*"))
    # ICU's data without collation and display names, when the build machine has icupkg (README).
    icu = next((qt / "lib").glob("libicudata.so.*"))
    if shutil.which("icupkg"):
        assert icu.stat().st_size < 20 * 2**20


def test_the_archive_holds_no_module_the_till_never_imports(frozen):
    """The frozen app reads its module archive's table of contents at every start (its time grows
    with the entries): rich, markdown_it, mdurl and pygments, pulled in by hooks, stay out."""
    from PyInstaller.archive.readers import CArchiveReader

    modules = set(CArchiveReader(str(frozen)).open_embedded_archive("PYZ.pyz").toc)
    assert "pos.ui.main_window" in modules
    assert not {m for m in modules if m.split(".")[0] in {"rich", "markdown_it", "mdurl", "pygments"}}
