"""Scanning folders for secrets a test planted, on a machine where other processes come and go.

The temp folder is shared: another test run may remove a folder of its own while the scan walks
it. A vanished folder or file is not a leak and must not fail the scan; a secret found still must.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

MAX_SIZE = 50_000_000


@dataclass
class Scan:
    scanned: int = 0
    leaks: list[tuple[Path, bytes]] = field(default_factory=list)


def files_under(folder: Path) -> Iterator[Path]:
    """Every regular file under `folder`, walked lazily; folders that vanish mid-walk are skipped
    (os.walk's onerror left unset ignores a folder it cannot list; Path.rglob raised instead)."""
    for root, _dirs, names in os.walk(folder, followlinks=False):
        for name in names:
            yield Path(root, name)


def scan(files: Iterable[Path], needles: list[bytes], modified_since: float = 0.0) -> Scan:
    """Read each file changed since `modified_since` and note every needle found in it."""
    result = Scan()
    for path in files:
        try:
            if path.is_symlink() or not path.is_file():
                continue
            info = path.stat()
            if info.st_mtime < modified_since or info.st_size > MAX_SIZE:
                continue
            content = path.read_bytes()
        except OSError:  # gone, or not ours to read, between the listing and the read
            continue
        result.scanned += 1
        result.leaks.extend((path, needle) for needle in needles if needle in content)
    return result
