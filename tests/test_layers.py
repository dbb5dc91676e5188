"""The layers' import rules (docs/architecture.md), checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

POS = Path(__file__).resolve().parents[1] / "pos"

RULES = {
    "domain": ("PySide6", "stripe", "sqlalchemy", "sqlmodel", "keyring", "pos.services", "pos.adapters",
               "pos.ui", "pos.sandbox", "requests"),
    "services": ("PySide6", "stripe", "sqlalchemy", "sqlmodel", "pos.adapters", "pos.ui"),
    "adapters": ("PySide6", "pos.ui"),
    "ui": ("stripe",),
    "sandbox": ("PySide6", "stripe", "sqlalchemy", "sqlmodel", "pos.services", "pos.adapters", "pos.ui"),
}


def imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


@pytest.mark.parametrize("layer", sorted(RULES))
def test_imports_point_inward(layer):
    bad = []
    for path in (POS / layer).rglob("*.py"):
        for name in imports(path):
            if any(name == f or name.startswith(f + ".") for f in RULES[layer]):
                bad.append(f"{path.relative_to(POS)} imports {name}")
    assert not bad, "\n".join(bad)
