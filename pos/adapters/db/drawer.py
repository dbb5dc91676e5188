"""The cash drawer's records: every opening, and the float and cash paid in or out (tables older
tills simply do not have: create_all adds them)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from . import audit, raw
from .raw import now_iso


class SqlDrawerLog:
    def __init__(self, engine: Engine):
        self._engine = engine

    def record_opening(self, till_id: str, reason: str, opened: bool, message: str, approved_by: str = "") -> None:
        with raw.write(self._engine) as conn:
            row_id = conn.execute(
                "INSERT INTO drawer_openings (till_id, opened_at, reason, opened, message, cashier)"
                " VALUES (?,?,?,?,?,?)",
                (till_id, now_iso(), reason, opened, message, audit.current_actor()),
            ).lastrowid
            audit.append(
                conn,
                till_id,
                "drawer_opened",
                f"drawer: {reason}",
                audit.covering(conn, "drawer_opening", row_id),
                approved_by=approved_by,
            )

    def record_movement(self, till_id: str, kind: str, amount_minor: int, currency: str, reason: str) -> None:
        with raw.write(self._engine) as conn:
            row_id = conn.execute(
                "INSERT INTO drawer_movements (till_id, kind, amount_minor, currency, reason, at, cashier)"
                " VALUES (?,?,?,?,?,?,?)",
                (till_id, kind, amount_minor, currency, reason, now_iso(), audit.current_actor()),
            ).lastrowid
            audit.append(
                conn, till_id, "drawer_movement", f"drawer {kind}", audit.covering(conn, "drawer_movement", row_id)
            )
