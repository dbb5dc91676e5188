"""The wheel's package list in pyproject.toml is written by hand (pos._resources maps onto resources/):
a package added under pos/ and not listed there is missing from the wheel, and the installed app fails
at its first import of it (the wheel test finds that only after a slow build; this finds it at once)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_under_pos_is_in_the_wheel():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "pos").rglob("__init__.py")}
    assert on_disk - listed == set()
