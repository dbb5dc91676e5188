"""The clock of stored timestamps: what "now" is when the till writes one, and how it reads one back.

All the till's reading and writing of its file is SQLAlchemy Core (core.py, decision 0010); the plain
sqlite3 the benches measure Core against lives in bench/plain.py."""

from __future__ import annotations

from datetime import datetime, timezone


def _system_clock() -> datetime:
    return datetime.now(timezone.utc)


# What "now" is for stored timestamps; tests move it back and forward like a misset clock.
clock = _system_clock


def now_iso() -> str:
    """Timestamps are stored as UTC ISO 8601 text. They record when, as the computer's clock saw it;
    they never decide order or which period a record belongs to (sequence numbers do)."""
    return clock().isoformat(timespec="microseconds")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)
