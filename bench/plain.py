"""Plain sqlite3 on the till's engine, for the benches alone: `bench/core_vs_raw.py` measures Core
against it and `bench/receipts.py` seeds a million rows with it. The till itself reaches its file
only through SQLAlchemy Core (pos/adapters/db/core.py, decision 0010)."""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Iterator

from sqlalchemy.engine import Connection, Engine


@contextlib.contextmanager
def write(engine: Engine) -> Iterator[sqlite3.Connection]:
    """One transaction on a pooled sqlite3 connection (the engine's pragmas applied) that holds the
    write lock from its start (BEGIN IMMEDIATE), as core.writing does."""
    pooled = engine.raw_connection()
    try:
        conn = pooled.driver_connection
        assert conn is not None  # a freshly checked-out connection's
        conn.row_factory = sqlite3.Row
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        pooled.close()


def driver(conn: Connection) -> sqlite3.Connection:
    """The sqlite3 connection under a Core one, inside its transaction (a bulk seed's plain SQL)."""
    found = conn.connection.driver_connection
    assert found is not None  # an open connection's
    return found
