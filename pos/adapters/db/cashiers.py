"""Cashiers and voids in SQLite; each change is an audit event in the same transaction."""

from __future__ import annotations

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from pos.domain.staff import Cashier, Role, StaffError, no_such_cashier

from . import audit, core
from . import schema as tables
from .raw import now_iso

_C = tables.cashiers
_NAMED = select(_C).where(_C.c.name == bindparam("name"))
_ID_NAMED = select(_C.c.id).where(_C.c.name == bindparam("name"))
_BY_NAME = update(_C).where(_C.c.name == bindparam("who"))
_VOID = insert(tables.voids)


def _cashier(row) -> Cashier:
    return Cashier(row.name, Role(row.role), bool(row.active), row.locked_until)


def _covers(conn, name: str) -> dict:
    """The cashier's row as it is now (name, role, PIN hash, active), for the event that changed it."""
    return audit.covers(conn, "cashier", list(conn.execute(_ID_NAMED, {"name": name}).scalars()))


class CashierRepo:
    def __init__(self, engine: Engine, till_id):
        self._engine = engine
        self._till_id = till_id  # callable: the till the events are recorded under

    def count_active(self) -> int:
        with core.reading(self._engine) as conn:
            return conn.execute(select(func.count()).where(_C.c.active)).scalar_one()

    def all(self) -> list[Cashier]:
        with core.reading(self._engine) as conn:
            return [_cashier(r) for r in conn.execute(select(_C).order_by(_C.c.name))]

    def get(self, name: str) -> tuple[Cashier, str, int] | None:
        """The cashier, their PIN hash and their wrong PINs in a row."""
        with core.reading(self._engine) as conn:
            row = conn.execute(_NAMED, {"name": name}).first()
        return (_cashier(row), row.pin_hash, row.failed_attempts) if row else None

    def add(self, name: str, role: Role, pin_hash: str) -> Cashier:
        with core.writing(self._engine) as conn:
            if conn.execute(_ID_NAMED, {"name": name}).first():
                raise StaffError(f"There is already a cashier called {name}.")
            row_id = conn.execute(
                insert(_C).values(
                    name=name, role=str(role), pin_hash=pin_hash, active=True, failed_attempts=0, created_at=now_iso()
                )
            ).lastrowid
            audit.append(
                conn,
                self._till_id(),
                "cashier_added",
                name,
                {"name": name, "role": str(role), **audit.covers(conn, "cashier", [row_id])},
            )
        return Cashier(name, role)

    def set_active(self, name: str, active: bool) -> None:
        with core.writing(self._engine) as conn:
            changed = conn.execute(_BY_NAME.values(active=active), {"who": name}).rowcount
            if not changed:
                raise no_such_cashier(name)
            kind = "cashier_enabled" if active else "cashier_disabled"
            audit.append(conn, self._till_id(), kind, name, {"name": name, **_covers(conn, name)})

    def set_pin(self, name: str, pin_hash: str) -> None:
        with core.writing(self._engine) as conn:
            changed = conn.execute(
                _BY_NAME.values(pin_hash=pin_hash, failed_attempts=0, locked_until=None), {"who": name}
            ).rowcount
            if not changed:
                raise no_such_cashier(name)
            # The row's digest covers the new PIN hash (a digest of a salted hash: it tells nothing of the PIN).
            payload = {"name": name, **_covers(conn, name)}
            audit.append(conn, self._till_id(), "cashier_pin_changed", name, payload)

    def record_attempt(self, name: str, ok: bool, locked_until: str | None) -> None:
        """A PIN tried: the wrong ones in a row reset on success, else one more (locked until the time given)."""
        with core.writing(self._engine) as conn:
            if ok:
                conn.execute(_BY_NAME.values(failed_attempts=0, locked_until=None), {"who": name})
                return
            conn.execute(
                _BY_NAME.values(
                    failed_attempts=_C.c.failed_attempts + 1,
                    locked_until=func.coalesce(locked_until, _C.c.locked_until),
                ),
                {"who": name},
            )
            if locked_until is not None:
                payload = {"name": name, "until": locked_until}
                audit.append(conn, self._till_id(), "cashier_locked", name, payload, actor=name)

    def record(self, kind: str, subject: str, payload: dict, approved_by: str = "", actor: str | None = None) -> None:
        """An event that records no row of its own: a sign-in, an approval."""
        with core.writing(self._engine) as conn:
            audit.append(conn, self._till_id(), kind, subject, payload, approved_by=approved_by, actor=actor)

    def record_void(
        self,
        kind: str,
        sale_id: int | None,
        amount_minor: int,
        currency: str,
        reason: str,
        approved_by: str = "",
    ) -> None:
        with core.writing(self._engine) as conn:
            write_void(conn, self._till_id(), kind, sale_id, amount_minor, currency, reason, approved_by)


def write_void(
    conn: Connection,
    till_id: str,
    kind: str,
    sale_id: int | None,
    amount_minor: int,
    currency: str,
    reason: str,
    approved_by: str,
) -> None:
    """A void's row and its audit record, in the caller's transaction (a voided sale's own, or its own)."""
    row_id = conn.execute(
        _VOID,
        {
            "till_id": till_id,
            "kind": kind,
            "sale_id": sale_id,
            "amount_minor": amount_minor,
            "currency": currency,
            "reason": reason,
            "cashier": audit.current_actor(),
            "approved_by": approved_by,
            "at": now_iso(),
        },
    ).lastrowid
    audit.append(
        conn, till_id, "void", f"void {kind}: {reason}", audit.covering(conn, "void", row_id), approved_by=approved_by
    )
