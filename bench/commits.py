"""Durable commits of the till's SQLite connections, counted in the process (issue 27 item 6).

A commit that wrote is one fdatasync of the WAL at synchronous=FULL: the cost a crash-safe journal
pays per recovery point. Every new DBAPI connection of any engine gets sqlite3's trace callback,
which sees each statement as it runs, the driver's own COMMIT included; a COMMIT (or END) counts
when its transaction changed rows (the connection's total_changes moved since its BEGIN), and a
write run outside any transaction counts as the commit it is. Reads and rollbacks do not count.

    counter = CommitCounter.install()   # before the engines are opened
    ...; counter.count                  # durable commits so far
"""

from __future__ import annotations

import re
import sqlite3
import threading

from sqlalchemy import event
from sqlalchemy.engine import Engine

_BEGIN = re.compile(r"^\s*BEGIN\b", re.I)
_COMMIT = re.compile(r"^\s*(COMMIT|END)\b", re.I)
_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.I)


class CommitCounter:
    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    @classmethod
    def install(cls) -> CommitCounter:
        counter = cls()
        event.listen(Engine, "connect", counter._watch)
        return counter

    def remove(self) -> None:
        event.remove(Engine, "connect", self._watch)

    def _watch(self, dbapi_connection, _record) -> None:
        if not isinstance(dbapi_connection, sqlite3.Connection):
            return  # the shop's PostgreSQL: not the till's disk
        conn = dbapi_connection
        at_begin = [conn.total_changes]

        def traced(statement: str) -> None:
            if _BEGIN.match(statement):
                at_begin[0] = conn.total_changes
            elif _COMMIT.match(statement):
                if conn.total_changes != at_begin[0]:
                    self._add()
            elif _WRITE.match(statement) and not conn.in_transaction:
                self._add()  # autocommit: the statement is its own transaction

        conn.set_trace_callback(traced)

    def _add(self) -> None:
        with self._lock:
            self.count += 1
