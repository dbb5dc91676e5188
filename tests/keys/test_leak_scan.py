"""The leak scan the keyring test runs over the shared temp folder (tests/helpers/leaks.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

from tests.helpers.leaks import files_under, scan

SECRET = b"sk_test_51Hplanted0000000000"


def _tree(root: Path) -> Path:
    (root / "a.log").write_text("nothing here\n")
    for n in range(3):
        (root / "other" / f"d{n}").mkdir(parents=True)
        (root / "other" / f"d{n}" / "f.txt").write_text("x")
    (root / "till").mkdir()
    (root / "till" / "pos.log").write_bytes(b"key=" + SECRET + b"\n")
    return root


def _removing(files: Iterator[Path], folder: Path) -> Iterator[Path]:
    """The walk, with `folder` removed (as another process would) once the first file was seen."""
    for n, path in enumerate(files):
        if n == 0:
            shutil.rmtree(folder)
        yield path


def test_a_planted_secret_is_found(tmp_path):
    found = scan(files_under(_tree(tmp_path)), [SECRET, b"not-there"])
    assert [(path.name, needle) for path, needle in found.leaks] == [("pos.log", SECRET)]
    assert found.scanned == 5


def test_a_folder_removed_mid_walk_is_skipped_and_a_leak_still_fails(tmp_path):
    root = _tree(tmp_path)
    found = scan(_removing(files_under(root), root / "other"), [SECRET])
    assert [path.name for path, _needle in found.leaks] == ["pos.log"]
    assert found.scanned == 2  # a.log and the till's log; the removed folder's files are not counted
