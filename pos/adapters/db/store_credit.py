"""Store credit in the till's SQLite: one row per code, issued once per key (services/store_credit.py)."""

from __future__ import annotations

import sqlite3

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from pos.domain.money import Money
from pos.services.store_credit import new_code

from . import audit
from .errors import storage_errors
from .raw import now_iso
from .schema import StoreCreditRow

_TABLE = StoreCreditRow.__table__  # type: ignore[attr-defined]


def credit_code(conn, key: str) -> str | None:
    """The code issued under `key`, on a sqlite3 connection (the refund slip's lookup)."""
    row = conn.execute("SELECT code FROM store_credits WHERE issue_key = ?", (key,)).fetchone()
    return row[0] if row else None


class SqlStoreCredit:
    def __init__(self, engine: Engine):
        self._engine = engine

    def issue(self, key: str, amount: Money, till_id: str) -> str:
        for _attempt in range(5):
            try:
                return self._issue(key, amount, till_id)
            except IntegrityError:
                continue  # the fresh code was taken (1 in 2^60): another one
        raise RuntimeError("no free store-credit code after five tries")

    def _issue(self, key: str, amount: Money, till_id: str) -> str:
        with storage_errors(), self._engine.connect() as conn:
            conn = conn.execution_options(sqlite_immediate=True)
            with conn.begin():
                found = conn.execute(select(_TABLE.c.code).where(_TABLE.c.issue_key == key)).scalar()
                if found is not None:
                    return found  # issued before (the same refund piece, recovered): the same code
                code = new_code()
                inserted = conn.execute(
                    insert(_TABLE).values(
                        code=code,
                        issue_key=key,
                        purpose="store_credit",
                        till_id=till_id,
                        currency=amount.currency,
                        amount_minor=amount.minor,
                        created_at=now_iso(),
                        cashier=audit.current_actor(),
                    )
                ).inserted_primary_key
                credit_id = inserted[0] if inserted else None
                # The audit trail holds the issue in the same transaction (the code itself is not
                # written there: it is the customer's to spend, like cash).
                driver = conn.connection.driver_connection
                if driver is None or credit_id is None:  # only after the pool invalidated it
                    raise sqlite3.InterfaceError("the pooled connection is closed")
                driver.row_factory = sqlite3.Row  # audit reads rows by name, as on raw connections
                audit.append(
                    driver,
                    till_id,
                    "store_credit_issued",
                    f"store credit {credit_id}",
                    audit.covering(driver, "store_credit", credit_id),
                )
                return code
