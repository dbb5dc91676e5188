"""The cash drawer's records: every opening, and the float and cash paid in or out."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from . import audit, core
from . import schema as tables
from .raw import now_iso

_OPENED = insert(tables.drawer_openings)
_MOVED = insert(tables.drawer_movements)


class SqlDrawerLog:
    def __init__(self, engine: Engine):
        self._engine = engine

    def record_opening(self, till_id: str, reason: str, opened: bool, message: str, approved_by: str = "") -> None:
        with core.writing(self._engine) as conn:
            row_id = conn.execute(
                _OPENED,
                {
                    "till_id": till_id,
                    "opened_at": now_iso(),
                    "reason": reason,
                    "opened": opened,
                    "message": message,
                    "cashier": audit.current_actor(),
                },
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
        with core.writing(self._engine) as conn:
            row_id = conn.execute(
                _MOVED,
                {
                    "till_id": till_id,
                    "kind": kind,
                    "amount_minor": amount_minor,
                    "currency": currency,
                    "reason": reason,
                    "at": now_iso(),
                    "cashier": audit.current_actor(),
                },
            ).lastrowid
            audit.append(
                conn, till_id, "drawer_movement", f"drawer {kind}", audit.covering(conn, "drawer_movement", row_id)
            )
