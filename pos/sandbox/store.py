"""The sandbox's objects, per account, in memory with optional write-through to SQLite.

Memory is the source of truth while the server runs; SQLite (when a path is
given) only makes state survive a restart. Each request's changes are written
in one small transaction: a row per changed object, never the whole state.
"""

from __future__ import annotations

import json
import sqlite3  # the Stripe sandbox's own store (not the till's file, which is reached through Core)
import threading
from collections import defaultdict
from dataclasses import dataclass, field

# Fields that list endpoints filter on, indexed so filtering stays cheap with
# hundreds of thousands of objects.
INDEXED_FIELDS = {"charge": ("payment_intent",), "refund": ("payment_intent", "charge")}


@dataclass
class _Collection:
    by_id: dict = field(default_factory=dict)
    order: list = field(default_factory=list)  # ids, oldest first
    position: dict = field(default_factory=dict)  # id -> index in order
    index: dict = field(default_factory=lambda: defaultdict(list))  # (field, value) -> ids


@dataclass
class IdempotencyRecord:
    method: str
    path: str
    fingerprint: str
    created: float
    status: int | None = None  # None while the first request is still running
    body: str | None = None


class Store:
    def __init__(self, db_path: str | None = None):
        self.lock = threading.RLock()
        self._accounts: dict[str, dict[str, _Collection]] = defaultdict(lambda: defaultdict(_Collection))
        self._idempotency: dict[tuple[str, str], IdempotencyRecord] = {}
        self._dirty: dict[tuple[str, str], tuple[str, dict]] = {}
        self._dirty_keys: set[tuple[str, str]] = set()
        self._db = None
        if db_path:
            self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(
                """
                CREATE TABLE IF NOT EXISTS objects (
                    account TEXT NOT NULL, kind TEXT NOT NULL, id TEXT PRIMARY KEY,
                    seq INTEGER NOT NULL, body TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS idempotency (
                    account TEXT NOT NULL, key TEXT NOT NULL, method TEXT NOT NULL,
                    path TEXT NOT NULL, fingerprint TEXT NOT NULL, created REAL NOT NULL,
                    status INTEGER NOT NULL, body TEXT NOT NULL,
                    PRIMARY KEY (account, key));
                """
            )
            self._load()

    # -- objects ---------------------------------------------------------
    def _collection(self, account: str, kind: str) -> _Collection:
        return self._accounts[account][kind]

    def get(self, account: str, kind: str, ident: str) -> dict | None:
        return self._collection(account, kind).by_id.get(ident)

    def find(self, kind: str, ident: str) -> tuple[str, dict] | None:
        """The account holding an object, and the object (admin calls name objects without a key)."""
        for account, collections in self._accounts.items():
            obj = collections[kind].by_id.get(ident) if kind in collections else None
            if obj is not None:
                return account, obj
        return None

    def stored(self, account: str, kind: str, ident: str) -> dict:
        """An object another one refers to (an intent's charge, a listed id): always there."""
        obj = self.get(account, kind, ident)
        if obj is None:
            raise LookupError(f"the sandbox lost {kind} {ident}")
        return obj

    def put(self, account: str, kind: str, obj: dict) -> dict:
        coll = self._collection(account, kind)
        ident = obj["id"]
        if ident not in coll.by_id:
            coll.position[ident] = len(coll.order)
            coll.order.append(ident)
            for name in INDEXED_FIELDS.get(kind, ()):
                if obj.get(name):
                    coll.index[(name, obj[name])].append(ident)
        coll.by_id[ident] = obj
        self._dirty[(account, ident)] = (kind, obj)
        return obj

    def ids(self, account: str, kind: str, **where) -> list[str]:
        """Ids of one kind, oldest first, optionally narrowed by an indexed field."""
        coll = self._collection(account, kind)
        if where:
            ((name, value),) = where.items()
            return coll.index.get((name, value), [])
        return coll.order

    def position(self, account: str, kind: str, ident: str) -> int | None:
        return self._collection(account, kind).position.get(ident)

    def count(self, account: str, kind: str) -> int:
        return len(self._collection(account, kind).order)

    # -- idempotency -----------------------------------------------------
    def idempotency(self, account: str, key: str) -> IdempotencyRecord | None:
        return self._idempotency.get((account, key))

    def reserve_idempotency(self, account: str, key: str, record: IdempotencyRecord) -> None:
        self._idempotency[(account, key)] = record

    def release_idempotency(self, account: str, key: str) -> None:
        self._idempotency.pop((account, key), None)

    def finish_idempotency(self, account: str, key: str, status: int, body: str) -> None:
        record = self._idempotency[(account, key)]
        record.status, record.body = status, body
        self._dirty_keys.add((account, key))

    # -- persistence -----------------------------------------------------
    def flush(self) -> None:
        """Write what changed since the last flush in one transaction."""
        if self._db is None:
            self._dirty.clear()
            self._dirty_keys.clear()
            return
        if not self._dirty and not self._dirty_keys:
            return
        rows = [
            (account, kind, ident, self._collection(account, kind).position[ident], json.dumps(obj))
            for (account, ident), (kind, obj) in self._dirty.items()
        ]
        keys = []
        for account, key in self._dirty_keys:
            r = self._idempotency.get((account, key))
            if r is not None and r.status is not None:
                keys.append((account, key, r.method, r.path, r.fingerprint, r.created, r.status, r.body))
        self._dirty.clear()
        self._dirty_keys.clear()
        db = self._db
        db.execute("BEGIN")
        try:
            db.executemany("INSERT OR REPLACE INTO objects VALUES (?,?,?,?,?)", rows)
            db.executemany("INSERT OR REPLACE INTO idempotency VALUES (?,?,?,?,?,?,?,?)", keys)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _load(self) -> None:
        db = self._db
        if db is None:
            return
        for account, kind, _ident, _seq, body in db.execute(
            "SELECT account, kind, id, seq, body FROM objects ORDER BY account, kind, seq"
        ):
            self.put(account, kind, json.loads(body))
        for account, key, method, path, fp, created, status, body in db.execute("SELECT * FROM idempotency"):
            self._idempotency[(account, key)] = IdempotencyRecord(method, path, fp, created, status, body)
        self._dirty.clear()

    def reset(self) -> None:
        with self.lock:
            self._accounts.clear()
            self._idempotency.clear()
            self._dirty.clear()
            self._dirty_keys.clear()
            if self._db is not None:
                self._db.execute("DELETE FROM objects")
                self._db.execute("DELETE FROM idempotency")

    def close(self) -> None:
        if self._db is not None:
            with self.lock:
                self.flush()
                self._db.close()
                self._db = None
