"""Where the app's files are: its read-only resources (source checkout or frozen build) and its data."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DATA_DIR_ENV = "POS_DATA_DIR"


class DataDirRefused(ValueError):
    """$POS_DATA_DIR names a folder the command line's --data-dir would refuse (window_cli.name_argument)."""


def data_dir_env_refused() -> str | None:
    """Why $POS_DATA_DIR cannot name the data folder, in one line, or None. The command line's rule
    for --data-dir (a control character: an ESC reached the terminal in every message naming the
    folder, a line break split them) at this door too; the CLI and the window exit 2 with it."""
    given = os.environ.get(DATA_DIR_ENV)
    if not given:
        return None
    from pos.domain.text import describe, first_control

    char = first_control(given)
    return None if char is None else f"${DATA_DIR_ENV}: a folder name holds a control character ({describe(char)})"


def default_data_dir() -> Path:
    """$POS_DATA_DIR, else the OS app-data folder. The app never writes into its own folder."""
    if os.environ.get(DATA_DIR_ENV):
        refused = data_dir_env_refused()
        if refused is not None:
            raise DataDirRefused(refused)
        return Path(os.environ[DATA_DIR_ENV])
    from platformdirs import user_data_dir

    return Path(user_data_dir("pos-till", appauthor=False))


def resource_path(name: str) -> Path:
    """The path of the top-level resources/NAME: in the frozen app, an installed wheel (package
    `pos._resources`), an editable install, or a source checkout run as it is."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources" / name
    try:
        from importlib.resources import files

        root = Path(str(files("pos._resources")))
    except ModuleNotFoundError:  # a checkout used without installing it
        root = Path(__file__).resolve().parent.parent / "resources"
    return root / name
