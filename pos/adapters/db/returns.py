"""Unverified returns (goods back without a receipt) in the till's SQLite (services/returns.py).

Numbered in the till's refund sequence, under the same write lock as refunds are (BEGIN
IMMEDIATE), so refund numbers stay gapless across `refunds` and `unverified_returns`.
"""

from __future__ import annotations

from sqlalchemy import bindparam, func, insert, select, union_all, update
from sqlalchemy.engine import Connection, Engine

from pos.domain.money import Money
from pos.domain.tender import TenderKind
from pos.services.returns import ReturnRecord
from pos.services.states import RefundState

from . import audit, core
from . import schema as tables
from .errors import storage_errors
from .raw import now_iso
from .schema import unverified_returns as _TABLE

_NUMBERS = union_all(
    select(func.max(tables.refunds.c.refund_no).label("n")).where(tables.refunds.c.till_id == bindparam("till_id")),
    select(func.max(_TABLE.c.refund_no)).where(_TABLE.c.till_id == bindparam("till_id")),
).subquery()
_LAST_NUMBER = select(func.max(_NUMBERS.c.n))


def next_refund_no(conn: Connection, till_id: str) -> int:
    """The till's next refund number, over refunds and unverified returns (inside the write lock)."""
    return (conn.execute(_LAST_NUMBER, {"till_id": till_id}).scalar() or 0) + 1


def _record(row) -> ReturnRecord:
    kind = TenderKind(row.tender_kind)
    return ReturnRecord(
        id=row.id,
        return_key=row.return_key,
        till_id=row.till_id,
        state=RefundState(row.state),
        given_as=kind,
        amount_minor=row.amount_minor,
        currency=row.currency,
        note=row.note,
        approved_by=row.approved_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        cashier=row.cashier,
        refund_no=row.refund_no,
        store_credit_code=row.store_credit_code,
    )


class SqlReturns:
    def __init__(self, engine: Engine, till_id):
        self._engine = engine
        self._till_id = till_id  # the till id records are numbered under now

    def begin_return(self, key: str, given_as: TenderKind, amount: Money, note: str, approved_by: str) -> ReturnRecord:
        stamp, till_id = now_iso(), self._till_id()
        with core.writing(self._engine) as conn:
            return_id = conn.execute(
                insert(_TABLE).values(
                    return_key=key,
                    till_id=till_id,
                    state=RefundState.SENT,
                    tender_kind=given_as,
                    amount_minor=amount.minor,
                    currency=amount.currency,
                    note=note,
                    approved_by=approved_by,
                    cashier=audit.current_actor(),
                    created_at=stamp,
                    updated_at=stamp,
                )
            ).lastrowid
            # As asked for (what recovery may complete), with the manager who approved it.
            audit.append(
                conn,
                till_id,
                "return_started",
                f"unverified return {return_id}",
                audit.covering(conn, "return_started", return_id),
                approved_by=approved_by,
            )
            return _record(conn.execute(select(_TABLE).where(_TABLE.c.id == return_id)).one())

    def finish_return(self, return_id: int, store_credit_code: str | None = None) -> ReturnRecord:
        """Number it and mark it done, in one transaction (a no-op if done already), with its store
        credit's code when it was given as store credit."""
        with core.writing(self._engine) as conn:
            row = conn.execute(select(_TABLE).where(_TABLE.c.id == return_id)).one()
            if row.state != RefundState.SUCCEEDED:
                number = next_refund_no(conn, row.till_id)
                conn.execute(
                    update(_TABLE)
                    .where(_TABLE.c.id == return_id)
                    .values(
                        state=RefundState.SUCCEEDED,
                        refund_no=number,
                        updated_at=now_iso(),
                        store_credit_code=store_credit_code,
                    )
                )
                audit.append(
                    conn,
                    row.till_id,
                    "unverified_return",
                    f"unverified return {audit.numbered(row.till_id, number)}",
                    audit.covering(conn, "unverified_return", return_id),
                    approved_by=row.approved_by,
                )
                row = conn.execute(select(_TABLE).where(_TABLE.c.id == return_id)).one()
            return _record(row)

    def unfinished_returns(self) -> list[ReturnRecord]:
        with storage_errors(), self._engine.connect() as conn:
            rows = conn.execute(select(_TABLE).where(_TABLE.c.state == RefundState.SENT).order_by(_TABLE.c.id))
            return [_record(row) for row in rows.all()]

    def get_return(self, return_id: int) -> ReturnRecord:
        with storage_errors(), self._engine.connect() as conn:
            return _record(conn.execute(select(_TABLE).where(_TABLE.c.id == return_id)).one())
