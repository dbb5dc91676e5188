"""Store credit in the till's SQLite: one row per code, issued once per key (services/store_credit.py)."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from pos.domain.money import Money
from pos.services.store_credit import new_code

from . import audit
from .raw import core_write, now_iso
from .schema import StoreCreditRow

_TABLE = StoreCreditRow.__table__  # type: ignore[attr-defined]


def credit_code(conn, key: str) -> str | None:
    """The code issued under `key`, on a sqlite3 connection (the refund slip's lookup)."""
    row = conn.execute("SELECT code FROM store_credits WHERE issue_key = ?", (key,)).fetchone()
    return row[0] if row else None


def code_for(conn, key: str) -> str | None:
    """The same, on a SQLAlchemy connection."""
    return conn.execute(select(_TABLE.c.code).where(_TABLE.c.issue_key == key)).scalar()


class SqlStoreCredit:
    def __init__(self, engine: Engine):
        self._engine = engine

    def issue(self, key: str, amount: Money, till_id: str) -> str:
        # A fresh code that was taken already (1 in 2^60) fails the unique index: nothing is issued,
        # and the phase stays sent, so the next pass tries again with another.
        with core_write(self._engine) as (conn, driver):
            found = code_for(conn, key)
            if found is not None:
                return found  # issued before (the same refund piece, recovered): the same code
            code = new_code()
            credit_id: int = conn.execute(
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
            ).inserted_primary_key[0]
            # The audit trail holds the issue in the same transaction (not the code: it is the customer's
            # to spend, like cash).
            audit.append(
                driver,
                till_id,
                "store_credit_issued",
                f"store credit {credit_id}",
                audit.covering(driver, "store_credit", credit_id),
            )
            return code
