"""The layers' import contracts (pyproject.toml [tool.importlinter], docs/architecture.md).

`scripts/run-tests` runs `lint-imports` on the tree before pytest. These tests show the
contracts hold here and that they do break when a UI module reaches for an adapter, a
service for Stripe, or the sandbox for the till's own code (so the check can fail).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = str(Path(sys.executable).with_name("lint-imports"))


def lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT, "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
    )


def test_the_contracts_hold():
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 kept, 0 broken" in done.stdout


@pytest.mark.parametrize(
    "module,line,contract",
    [
        ("pos/ui/cart_panel.py", "from pos.adapters.db.catalog import CatalogRepo", "The UI sees services"),
        ("pos/ui/cart_panel.py", "import pos.app", "The UI sees services"),
        ("pos/services/till.py", "import stripe", "Services import no adapters"),
        ("pos/services/till.py", "from pos.adapters.db import raw", "Imports point inward"),
        ("pos/domain/money.py", "from PySide6 import QtCore", "The domain is plain Python"),
        ("pos/sandbox/params.py", "from pos.domain import currency", "The sandbox stands alone"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(tmp_path, module, line, contract):
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "pos", tree / "pos", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    target = tree / module
    target.write_text(target.read_text() + f"\n{line}  # a mistake the contracts must catch\n")
    done = lint(tree)
    assert done.returncode != 0
    broken = [row for row in done.stdout.splitlines() if row.endswith("BROKEN")]
    assert any(row.startswith(contract) for row in broken), done.stdout
