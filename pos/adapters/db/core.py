"""The till's one way to its SQLite file: SQLAlchemy Core statements over the tables in schema.py.

`reading` and `writing` hand out a SQLAlchemy Connection from the engine's pool (the pragmas set
at connect, failures as StorageError); `writing` holds the write lock from BEGIN (IMMEDIATE), so
two writers never deadlock on a lock upgrade. Decision 0010 says why Core (and what it costs).
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from sqlalchemy.engine import Connection, Engine

from .errors import storage_errors


def writer(engine: Engine) -> Engine:
    """The same engine, but its transactions take the write lock at BEGIN. Made once per engine and
    kept on it: execution_options builds a new engine object (~40 us) every call, and every write
    transaction asks for it (issue 27). (Not a WeakKeyDictionary: the writer refers to its engine.)"""
    found = engine.__dict__.get("_pos_writer")
    if found is None:
        found = engine.__dict__["_pos_writer"] = engine.execution_options(sqlite_immediate=True)
    return found


@contextlib.contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    with storage_errors(), engine.connect() as conn:
        yield conn


@contextlib.contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One transaction that holds the write lock from its start; committed when the block ends."""
    with storage_errors(), writer(engine).begin() as conn:
        yield conn


@contextlib.contextmanager
def noting(engine: Engine) -> Iterator[Connection]:
    """`writing` for a note whose loss in a power cut costs nothing (the shop's acknowledgement kept
    for the status bar: the shop's own row is what the next sync round reads): committed without
    waiting for the disk (synchronous=NORMAL for this one commit, WAL mode). A power cut loses it, as
    a crash just before it would, and nothing else: the WAL keeps commits in order, so the next
    commit that waits for the disk (synchronous=FULL, every other one) makes this one durable too.
    The connection goes back to the pool at FULL, or is dropped."""
    with storage_errors(), writer(engine).connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        driver.execute("PRAGMA synchronous=NORMAL")
        try:
            with conn.begin():
                yield conn
        finally:
            try:
                driver.execute("PRAGMA synchronous=FULL")
            except BaseException:
                conn.invalidate()  # never back into the pool without FULL
                raise
