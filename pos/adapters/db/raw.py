"""Plain SQL on the driver's connection, for the paths where SQLAlchemy's cost shows (payments, lists)."""

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


@contextlib.contextmanager
def core_write(engine: Engine):
    """SQLAlchemy Core in one BEGIN IMMEDIATE transaction, and its sqlite3 connection (rows by name)
    for the audit trail's events, which commit with what they record (adapters/db/audit.py)."""
    with storage_errors(), engine.connect() as conn:
        conn = conn.execution_options(sqlite_immediate=True)
        with conn.begin():
            driver = conn.connection.driver_connection
            if driver is None:  # only after the pool invalidated it, which the till never does
                raise sqlite3.InterfaceError("the pooled connection is closed")
            driver.row_factory = sqlite3.Row
            yield conn, driver


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
