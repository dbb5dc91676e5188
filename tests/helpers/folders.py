"""Till data folders for the tests, copied from a template a worker made once (tests/conftest.py,
fixture migrated_folder) instead of migrated from nothing for every test."""

from __future__ import annotations

import shutil
from pathlib import Path


def new_till_folder(template: Path, path: Path) -> Path:
    """A copy of a template data folder at path (the file modes kept: 0700 folder, 0600 database)."""
    shutil.copytree(template, path)
    return path
