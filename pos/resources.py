"""Where the app's read-only files are, from a source checkout or a frozen (PyInstaller) build."""

from __future__ import annotations

import sys
from pathlib import Path


def resource_path(name: str) -> Path:
    """The path of resources/NAME, frozen or not."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    root = Path(frozen_root) if frozen_root else Path(__file__).resolve().parent.parent
    return root / "resources" / name
