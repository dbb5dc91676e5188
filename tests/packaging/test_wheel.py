"""A wheel built from the repository carries what the demo needs (issue 12, item 8): the top-level
resources/ (demo catalog, theme, icons) as `pos._resources`, and the sandbox's Stripe definitions;
installed on its own, it rings up and pays a demo sale (`pos self-test`)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (built,) = out.glob("pos_till-*.whl")
    return built


def test_the_wheel_carries_the_resources_and_the_sandbox_definitions(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "pos/_resources/demo_catalog.csv",
        "pos/_resources/theme.qss",
        "pos/_resources/icons/pos.png",
        "pos/sandbox/stripe_definitions.json",
        "pos/sandbox/README.md",
        "pos/paths.py",
    ):
        assert name in names, name


def test_an_installed_wheel_runs_the_demo(wheel, tmp_path):
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # The installed copy, not this checkout: run from elsewhere with only the wheel's folder first on the path.
    env = dict(
        os.environ,
        PYTHONPATH=str(site),
        QT_QPA_PLATFORM="offscreen",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        POS_DATA_DIR=str(tmp_path / "data"),
    )
    env.pop("POS_STRIPE_API_KEY", None)
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import pos, pos.paths as p; print(pos.__file__); print(p.resource_path('demo_catalog.csv'))",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    module, catalog = probe.stdout.split()
    assert module.startswith(str(site)) and catalog.startswith(str(site)) and Path(catalog).is_file()
    done = subprocess.run(
        [sys.executable, "-m", "pos", "self-test"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_package_of_pos_is_listed_for_the_wheel():
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "pos").rglob("__init__.py")}
    assert on_disk <= listed, f"add {sorted(on_disk - listed)} to [tool.setuptools] packages"
