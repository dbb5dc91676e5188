"""The audit trail in SQLite: events appended in the same transaction as what they record.

Each event is chained to the one before (domain/audit.py). An event that records a receipt,
refund, void, drawer opening or Z holds the digest of that record as it was written; `verify`
recomputes those digests from the tables as they are now, walks the chain, and checks that every
receipt and refund is covered by an event, so editing, deleting or inserting any of them — or
an event — is found. The newest event's sequence and hash are also kept in a file beside the
database (`audit-head`), refreshed at start, at each Z and when the till closes: a trail cut
short while the till was off is seen at the next start.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy.engine import Engine

from pos.domain.receipt import format_receipt_no
from pos.domain.audit import GENESIS, Break, Event, canonical, chain_hash, digest, first_break

from . import raw
from .raw import now_iso
from .receipts import local_day_bounds, store_zone

HEAD_FILE = "audit-head"

# Who is signed in at this till (one till per process): the Staff service tells this module, and
# every event and record written names them. "" while the shop has no cashiers.
_actor_lock = threading.Lock()
_actor = ""


def set_actor(name: str) -> None:
    global _actor
    with _actor_lock:
        _actor = name


def current_actor() -> str:
    with _actor_lock:
        return _actor


def append(
    conn,
    till_id: str,
    kind: str,
    subject: str,
    payload: dict[str, Any],
    *,
    approved_by: str = "",
    actor: str | None = None,
) -> Event:
    """Append an event inside the caller's write transaction (so it commits with what it records)."""
    last = conn.execute("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    event = Event(
        seq=seq,
        at=now_iso(),
        till_id=till_id,
        kind=kind,
        actor=current_actor() if actor is None else actor,
        approved_by=approved_by,
        subject=subject,
        payload=canonical(payload),
        prev_hash=prev,
    )
    sealed = Event(**{**event.__dict__, "hash": chain_hash(prev, event)})
    conn.execute(
        "INSERT INTO audit_events (id, at, till_id, kind, actor, approved_by, subject, payload, prev_hash, hash)"
        " VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            sealed.seq,
            sealed.at,
            sealed.till_id,
            sealed.kind,
            sealed.actor,
            sealed.approved_by,
            sealed.subject,
            sealed.payload,
            sealed.prev_hash,
            sealed.hash,
        ),
    )
    return sealed


def numbered(till_id: str, number: int) -> str:
    """A record's number as receipts print it (T1-0001), for an event's subject."""
    return f"{till_id}-{format_receipt_no(number)}"


# -- what an event says a record was ---------------------------------------------------------
def receipt_record(conn, receipt_id: int) -> dict[str, Any]:
    """A receipt as it stands: what it was sold for, how it was paid, its lines (not what changes
    later by design: its refunded amount and status, which refund events cover)."""
    r = conn.execute("SELECT * FROM receipts WHERE id = ?", (receipt_id,)).fetchone()
    if r is None:
        return {}
    tenders = conn.execute(
        "SELECT part_no, kind, amount_minor, tendered_minor, change_minor, rounding_minor, payment_intent"
        " FROM tenders WHERE sale_id = ? AND state = 'paid' ORDER BY part_no",
        (r["sale_id"],),
    ).fetchall()
    lines = conn.execute(
        "SELECT line_no, sku, name, quantity, unit_price_minor, tax_rate_bp, gross_minor FROM sale_lines"
        " WHERE sale_id = ? ORDER BY line_no",
        (r["sale_id"],),
    ).fetchall()
    return {
        "till_id": r["till_id"],
        "receipt_no": r["receipt_no"],
        "created_at": r["created_at"],
        "currency": r["currency"],
        "total_minor": r["total_minor"],
        "tax_minor": r["tax_minor"],
        "discount_minor": r["discount_minor"],
        "card_minor": r["card_minor"],
        "cash_minor": r["cash_minor"],
        "change_minor": r["change_minor"],
        "rounding_minor": r["rounding_minor"],
        "payment_intent": r["payment_intent"],
        "cashier": r["cashier"],
        "tenders": [list(t) for t in tenders],
        "lines": [list(line) for line in lines],
    }


def refund_record(conn, refund_id: int) -> dict[str, Any]:
    f = conn.execute(
        "SELECT f.*, r.receipt_no AS of_receipt FROM refunds f JOIN receipts r ON r.id = f.receipt_id WHERE f.id = ?",
        (refund_id,),
    ).fetchone()
    if f is None:
        return {}
    return {
        "till_id": f["till_id"],
        "refund_no": f["refund_no"],
        "receipt_no": f["of_receipt"],
        "amount_minor": f["amount_minor"],
        "tax_minor": f["tax_minor"],
        "currency": f["currency"],
        "tender_kind": f["tender_kind"],
        "cash_for_card": bool(f["cash_for_card"]),
        "stripe_refund": f["stripe_refund"],
        "cashier": f["cashier"],
    }


def row_record(conn, table: str, row_id: int) -> dict[str, Any]:
    row = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,)).fetchone()  # noqa: S608 - fixed names
    return dict(row) if row is not None else {}


_RECORDS = {
    "receipt": lambda conn, i: receipt_record(conn, i),
    "refund": lambda conn, i: refund_record(conn, i),
    "void": lambda conn, i: row_record(conn, "voids", i),
    "drawer_opening": lambda conn, i: row_record(conn, "drawer_openings", i),
    "drawer_movement": lambda conn, i: row_record(conn, "drawer_movements", i),
    "z_report": lambda conn, i: _z_record(conn, i),
}


def _z_record(conn, z_id: int) -> dict[str, Any]:
    record = row_record(conn, "z_reports", z_id)
    record.pop("audit_head", None)  # written after its own event: the head it prints
    return record


def covering(conn, kind: str, row_id: int) -> dict[str, Any]:
    """The payload of an event that records row `row_id` of `kind`: which record, and its digest."""
    return {"record": kind, "id": row_id, "digest": digest(_RECORDS[kind](conn, row_id))}


# -- reading the trail --------------------------------------------------------------------------
def _event(row) -> Event:
    return Event(
        seq=row["id"],
        at=row["at"],
        till_id=row["till_id"],
        kind=row["kind"],
        actor=row["actor"],
        approved_by=row["approved_by"],
        subject=row["subject"],
        payload=row["payload"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str


class AuditRepo:
    def __init__(self, engine: Engine, data_dir: Path, zone=lambda: ""):
        self._engine = engine
        self._anchor = Path(data_dir) / HEAD_FILE
        self._zone = zone  # the store's time zone name: export days are its calendar days

    def _events(self, conn, since: str | None = None, until: str | None = None) -> Iterator[Event]:
        for row in conn.execute("SELECT * FROM audit_events ORDER BY id"):
            if (since is None or row["at"] >= since) and (until is None or row["at"] < until):
                yield _event(row)

    def head(self) -> Head | None:
        with raw.connection(self._engine) as conn:
            row = conn.execute("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
        return Head(row[0], row[1]) if row else None

    def anchor(self) -> Head | None:
        """The head as last written beside the database, if any."""
        try:
            seq, hash_ = self._anchor.read_text().split()
            return Head(int(seq), hash_)
        except (OSError, ValueError):
            return None

    def write_anchor(self) -> None:
        """Remember the current head beside the database (best effort: only ever moves forward)."""
        head = self.head()
        kept = self.anchor()
        if head is None or (kept is not None and kept.seq > head.seq):
            return  # never overwrite the evidence of a cut with the cut trail's head
        try:
            self._anchor.write_text(f"{head.seq} {head.hash}\n")
        except OSError:
            pass

    def verify(self) -> Break | None:
        """The first place the trail does not hold, or None when it is intact."""
        with raw.connection(self._engine) as conn:
            events = list(self._events(conn))  # read once: the chain, then what each event covers
            broken = first_break(events)
            if broken is not None:
                return broken
            covered: dict[str, set[int]] = {kind: set() for kind in _RECORDS}
            for event in events:
                payload = json.loads(event.payload)
                kind = payload.get("record")
                if kind not in _RECORDS:
                    continue
                covered[kind].add(payload["id"])
                record = _RECORDS[kind](conn, payload["id"])
                if digest(record) != payload["digest"]:
                    what = "changed" if record else "deleted"
                    return Break(event.seq, f"the {kind} it records ({event.subject}) was {what} after it was written")
            for kind, sql in (
                ("receipt", "SELECT id, till_id, receipt_no FROM receipts ORDER BY id"),
                ("refund", "SELECT id, till_id, refund_no FROM refunds WHERE state = 'succeeded' ORDER BY id"),
                ("z_report", "SELECT id, till_id, z_no FROM z_reports ORDER BY id"),
                ("void", "SELECT id, till_id, id FROM voids ORDER BY id"),
            ):
                for row_id, till, number in conn.execute(sql):
                    if row_id not in covered[kind]:
                        return Break(
                            None,
                            f"{kind} {numbered(till, number)} is in no event: it was inserted behind the till's back, "
                            "or the trail's newest events were cut",
                        )
        last_seq = events[-1].seq if events else 0
        anchor = self.anchor()
        if anchor is not None and anchor.seq > last_seq:
            return Break(anchor.seq, f"the trail ends at event {last_seq}, but it had reached {anchor.seq}: it was cut")
        return None

    def check_tail(self) -> str | None:
        """At start: a warning if the trail is shorter than it was, or broken at its newest event."""
        head, anchor = self.head(), self.anchor()
        if anchor is not None and (head is None or head.seq < anchor.seq):
            return (
                f"The audit trail was cut: it had {anchor.seq} events, it has {head.seq if head else 0}. "
                "Run `pos audit verify` and keep the last Z report."
            )
        if anchor is not None and head is not None and head.seq == anchor.seq and head.hash != anchor.hash:
            return "The audit trail's newest event was changed. Run `pos audit verify`."
        self.write_anchor()
        return None

    def export(self, first: date | None, last: date | None) -> Iterator[dict[str, Any]]:
        """The events of the store's days `first` to `last` (either open), as JSON objects for an accountant."""
        zone = store_zone(self._zone())
        since = local_day_bounds(first, first, zone)[0] if first else None
        until = local_day_bounds(last, last, zone)[1] if last else None
        with raw.connection(self._engine) as conn:
            events = list(self._events(conn, since, until))
        for event in events:
            yield {
                **event.content(),
                "payload": json.loads(event.payload),
                "prev_hash": event.prev_hash,
                "hash": event.hash,
            }
