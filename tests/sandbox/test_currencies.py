"""The sandbox keeps its own copy of Stripe's currency table; the till keeps another. They must agree,
so a wrong decimal count in one cannot be graded "right" by the other."""

from pos.domain import currency as till
from pos.sandbox import currencies as sandbox


def test_same_currencies_and_decimals():
    assert set(sandbox.SUPPORTED) == set(till.KNOWN)
    assert sandbox.ZERO_DECIMAL == till.ZERO_DECIMAL
    assert sandbox.THREE_DECIMAL == till.THREE_DECIMAL
    for code in sandbox.SUPPORTED:
        assert sandbox.exponent(code) == till.exponent(code), code


def test_the_sandbox_imports_nothing_else_from_pos():
    import ast
    from pathlib import Path

    folder = Path(sandbox.__file__).parent
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                assert not node.module.startswith("pos"), f"{path.name} imports {node.module}"
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("pos") for a in node.names), path.name
