"""Cashiers and voids in SQLite; each change is an audit event in the same transaction."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from pos.domain.staff import Cashier, Role, StaffError

from . import audit, raw
from .raw import now_iso


def _cashier(row) -> Cashier:
    return Cashier(row["name"], Role(row["role"]), bool(row["active"]), row["locked_until"])


def _covers(conn, name: str) -> dict:
    """The cashier's row as it is now (name, role, PIN hash, active), for the event that changed it."""
    return audit.covers(
        conn, "cashier", [r[0] for r in conn.execute("SELECT id FROM cashiers WHERE name = ?", (name,))]
    )


class CashierRepo:
    def __init__(self, engine: Engine, till_id):
        self._engine = engine
        self._till_id = till_id  # callable: the till the events are recorded under

    def count_active(self) -> int:
        with raw.connection(self._engine) as conn:
            return conn.execute("SELECT count(*) FROM cashiers WHERE active").fetchone()[0]

    def all(self) -> list[Cashier]:
        with raw.connection(self._engine) as conn:
            return [_cashier(r) for r in conn.execute("SELECT * FROM cashiers ORDER BY name")]

    def get(self, name: str) -> tuple[Cashier, str, int] | None:
        """The cashier, their PIN hash and their wrong PINs in a row."""
        with raw.connection(self._engine) as conn:
            row = conn.execute("SELECT * FROM cashiers WHERE name = ?", (name,)).fetchone()
        return (_cashier(row), row["pin_hash"], row["failed_attempts"]) if row else None

    def add(self, name: str, role: Role, pin_hash: str) -> Cashier:
        with raw.write(self._engine) as conn:
            if conn.execute("SELECT 1 FROM cashiers WHERE name = ?", (name,)).fetchone():
                raise StaffError(f"There is already a cashier called {name}.")
            row_id = conn.execute(
                "INSERT INTO cashiers (name, role, pin_hash, active, failed_attempts, created_at) VALUES (?,?,?,1,0,?)",
                (name, role, pin_hash, now_iso()),
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
        with raw.write(self._engine) as conn:
            changed = conn.execute("UPDATE cashiers SET active = ? WHERE name = ?", (active, name)).rowcount
            if not changed:
                raise StaffError(f"There is no cashier called {name}.")
            kind = "cashier_enabled" if active else "cashier_disabled"
            audit.append(conn, self._till_id(), kind, name, {"name": name, **_covers(conn, name)})

    def set_pin(self, name: str, pin_hash: str) -> None:
        with raw.write(self._engine) as conn:
            changed = conn.execute(
                "UPDATE cashiers SET pin_hash = ?, failed_attempts = 0, locked_until = NULL WHERE name = ?",
                (pin_hash, name),
            ).rowcount
            if not changed:
                raise StaffError(f"There is no cashier called {name}.")
            # The row's digest covers the new PIN hash (a digest of a salted hash: it tells nothing of the PIN).
            audit.append(conn, self._till_id(), "cashier_pin_changed", name, {"name": name, **_covers(conn, name)})

    def record_attempt(self, name: str, ok: bool, locked_until: str | None) -> None:
        """A PIN tried: the wrong ones in a row reset on success, else one more (locked until the time given)."""
        with raw.write(self._engine) as conn:
            if ok:
                conn.execute("UPDATE cashiers SET failed_attempts = 0, locked_until = NULL WHERE name = ?", (name,))
                return
            conn.execute(
                "UPDATE cashiers SET failed_attempts = failed_attempts + 1, locked_until = coalesce(?, locked_until)"
                " WHERE name = ?",
                (locked_until, name),
            )
            if locked_until is not None:
                audit.append(
                    conn, self._till_id(), "cashier_locked", name, {"name": name, "until": locked_until}, actor=name
                )

    def record(self, kind: str, subject: str, payload: dict, approved_by: str = "", actor: str | None = None) -> None:
        """An event that records no row of its own: a sign-in, an approval."""
        with raw.write(self._engine) as conn:
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
        with raw.write(self._engine) as conn:
            write_void(conn, self._till_id(), kind, sale_id, amount_minor, currency, reason, approved_by)


def write_void(
    conn, till_id: str, kind: str, sale_id: int | None, amount_minor: int, currency: str, reason: str, approved_by: str
) -> None:
    """A void's row and its audit record, in the caller's transaction (a voided sale's own, or its own)."""
    row_id = conn.execute(
        "INSERT INTO voids (till_id, kind, sale_id, amount_minor, currency, reason, cashier, approved_by, at)"
        " VALUES (?,?,?,?,?,?,?,?,?)",
        (till_id, kind, sale_id, amount_minor, currency, reason, audit.current_actor(), approved_by, now_iso()),
    ).lastrowid
    audit.append(
        conn, till_id, "void", f"void {kind}: {reason}", audit.covering(conn, "void", row_id), approved_by=approved_by
    )
