"""The clock of stored timestamps, and a plain sqlite3 connection for what is not on Core.

The till reaches its file through core.py (decision 0010). `connection`/`write` remain for
bench/core_vs_raw.py, which measures Core against plain sqlite3; the payment journal's own
statements still run plain SQL on `core.driver(conn)` inside its Core transactions."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import datetime, timezone

from sqlalchemy.engine import Engine

from .errors import storage_errors


@contextlib.contextmanager
def connection(engine: Engine):
    """A pooled sqlite3 connection (pragmas applied), rows as sqlite3.Row, failures as StorageError."""
    with storage_errors():
        pooled = engine.raw_connection()
        try:
            conn = pooled.driver_connection
            if conn is None:  # only after the pool invalidated it, which the till never does
                raise sqlite3.InterfaceError("the pooled connection is closed")
            conn.row_factory = sqlite3.Row
            yield conn
        finally:
            pooled.close()


@contextlib.contextmanager
def write(engine: Engine):
    """One transaction that holds the write lock from its start (BEGIN IMMEDIATE)."""
    with connection(engine) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


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
