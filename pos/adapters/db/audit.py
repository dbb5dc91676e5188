"""The audit trail in SQLite: events appended in the same transaction as what they record.

Each event is chained to the one before (domain/audit.py). Two kinds of row are covered:

- records written once (a sale or refund as it starts, a receipt with its lines and tenders, a
  numbered refund with its lines, a void, a drawer opening or movement, a Z): the event that
  writes one holds its digest, which must still match the row as it is now;
- rows that change by design (products, store settings, cashiers): every change is an event
  carrying the row's new digest (`covers`), and the newest one that covers a row must match it.

`verify` walks the chain once, then each covered table once, so editing, deleting or inserting a
row of any of them, or an event, is found; a receipt's refunded amount and status must be what
its numbered refunds add up to. The head (the count of events and the hash of the last one it
saw) is kept in a file beside the database (`audit-head`): the data folder's layout upgrade
writes it, it moves forward at start, at each Z and when the till closes, and only ever to a
trail that still holds the event it named, so a cut trail that grew again is not healed.
"""

from __future__ import annotations

import json
import re
import os
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy.engine import Engine

from pos.domain.receipt import format_receipt_no
from pos.services.states import UNFINISHED
from pos.domain.audit import GENESIS, Break, Event, canonical, chain_hash, digest, first_break

from . import raw
from .raw import now_iso
from .days import local_day_bounds, store_zone

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


def till_of(conn) -> str:
    """The till id as stored (for a writer that is not told it): events are recorded under it."""
    row = conn.execute("SELECT value FROM settings WHERE key = 'till_id'").fetchone()
    return row[0] if row else "T1"


def numbered(till_id: str, number: int) -> str:
    """A record's number as receipts print it (T1-0001), for an event's subject."""
    return f"{till_id}-{format_receipt_no(number)}"


# -- what an event says a record was ---------------------------------------------------------
# Records are digested in the form their event names (`form`); events written before layout 11
# have none (form 1), and are checked as they were written.
FORM = 3
# The baseline runs inside revision 0001: the tables as that revision leaves them have form 2's
# columns (form 3's weighed-line columns come with revision 0004).
BASELINE_FORM = 2


def receipt_record(conn, receipt_id: int, form: int = FORM) -> dict[str, Any]:
    """A receipt as it stands: what it was sold for, how it was paid, its lines (not what changes
    later by design: its refunded amount and status, which its numbered refunds must add up to)."""
    r = conn.execute("SELECT * FROM receipts WHERE id = ?", (receipt_id,)).fetchone()
    if r is None:
        return {}
    tenders = conn.execute(
        "SELECT part_no, kind, amount_minor, tendered_minor, change_minor, rounding_minor, payment_intent"
        " FROM tenders WHERE sale_id = ? AND state = 'paid' ORDER BY part_no",
        (r["sale_id"],),
    ).fetchall()
    # Form 2 adds each line's tax, net amount and discounts (a line's tax could be edited unseen).
    # Form 3 adds a weighed line's weight and unit.
    columns = (
        "line_no, sku, name, quantity, unit_price_minor, tax_rate_bp, gross_minor"
        + (", net_minor, tax_minor, line_discount_minor, cart_share_minor" if form >= 2 else "")
        + (", measure_milli, unit, measure_price_minor" if form >= 3 else "")
    )
    lines = conn.execute(
        f"SELECT {columns} FROM sale_lines WHERE sale_id = ? ORDER BY line_no",  # noqa: S608 - fixed names
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


def refund_record(conn, refund_id: int, form: int = FORM) -> dict[str, Any]:
    f = conn.execute(
        "SELECT f.*, r.receipt_no AS of_receipt FROM refunds f JOIN receipts r ON r.id = f.receipt_id WHERE f.id = ?",
        (refund_id,),
    ).fetchone()
    if f is None:
        return {}
    record: dict[str, Any] = {
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
    if form >= 2:  # and what it gave back, line by line
        record["lines"] = _refund_lines(conn, refund_id)
    # Only when there is one: refunds written before the column (all 0) keep the digests they have.
    if f["rounding_minor"]:
        record["rounding_minor"] = f["rounding_minor"]
    # The same: refunds from before store credit keep their digests (and the layout upgrade's
    # baseline, in revision 0001, reads refunds before revision 0004 adds the column).
    if "store_credit_code" in f.keys() and f["store_credit_code"]:
        record["store_credit_code"] = f["store_credit_code"]
    return record


def _refund_lines(conn, refund_id: int) -> list[list[int]]:
    return [
        list(line)
        for line in conn.execute(
            "SELECT line_no, quantity, amount_minor FROM refund_lines WHERE refund_id = ? ORDER BY id", (refund_id,)
        )
    ]


def refund_started_record(conn, refund_id: int, form: int = FORM) -> dict[str, Any]:
    """A refund as it was asked for, before Stripe answered: what `pos recover` may complete."""
    f = conn.execute("SELECT * FROM refunds WHERE id = ?", (refund_id,)).fetchone()
    if f is None:
        return {}
    return {
        "refund_key": f["refund_key"],
        "receipt_id": f["receipt_id"],
        "till_id": f["till_id"],
        "amount_minor": f["amount_minor"],
        "tax_minor": f["tax_minor"],
        "currency": f["currency"],
        "tender_id": f["tender_id"],
        "tender_kind": f["tender_kind"],
        "cash_for_card": bool(f["cash_for_card"]),
        "params": f["params"],
        "created_at": f["created_at"],
        "lines": _refund_lines(conn, refund_id),
    }


def return_started_record(conn, return_id: int, form: int = FORM) -> dict[str, Any]:
    """An unverified return as it was asked for (what recovery may complete): what stays as it was."""
    f = conn.execute("SELECT * FROM unverified_returns WHERE id = ?", (return_id,)).fetchone()
    if f is None:
        return {}
    fixed = ("return_key", "till_id", "tender_kind", "amount_minor", "currency", "note", "approved_by", "created_at")
    return {name: f[name] for name in fixed}


def sale_started_record(conn, sale_id: int, form: int = FORM) -> dict[str, Any]:
    """A sale (or a card part of one) as it was started, before Stripe heard of it: what recovery may
    complete. Its state, intent and notes move on by design; none of this does."""
    s = conn.execute("SELECT * FROM sales WHERE id = ?", (sale_id,)).fetchone()
    if s is None:
        return {}
    weighed = ", measure_milli, unit, measure_price_minor" if form >= 3 else ""  # form 3: a weighed line's weight
    lines = conn.execute(
        "SELECT line_no, product_id, sku, name, quantity, unit_price_minor, tax_rate_bp, net_minor, tax_minor,"
        f" gross_minor, line_discount_minor, cart_share_minor{weighed} FROM sale_lines WHERE sale_id = ?"  # noqa: S608
        " ORDER BY line_no",
        (sale_id,),
    ).fetchall()
    return {
        "sale_key": s["sale_key"],
        "till_id": s["till_id"],
        "currency": s["currency"],
        "total_minor": s["total_minor"],
        "tax_minor": s["tax_minor"],
        "subtotal_minor": s["subtotal_minor"],
        "tax_inclusive": bool(s["tax_inclusive"]),
        "create_params": s["create_params"],
        "order_id": s["order_id"],
        "cart_discount_minor": s["cart_discount_minor"],
        "created_at": s["created_at"],
        "lines": [list(line) for line in lines],
    }


def row_record(conn, table: str, row_id: int, form: int = FORM) -> dict[str, Any]:
    row = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,)).fetchone()  # noqa: S608 - fixed names
    return dict(row) if row is not None else {}


def gift_card_entry_record(conn, entry_id: int, form: int = FORM) -> dict[str, Any]:
    """A till gift card's ledger entry, with the card's code, purpose and currency (so editing the
    card's row is found too)."""
    names = ("id", "kind", "amount_minor", "entry_key", "at", "note", "code", "purpose", "currency")
    e = conn.execute(
        "SELECT e.id, e.kind, e.amount_minor, e.entry_key, e.at, e.note, c.code, c.purpose, c.currency"
        " FROM gift_card_entries e JOIN gift_cards c ON c.id = e.card_id WHERE e.id = ?",
        (entry_id,),
    ).fetchone()
    return dict(zip(names, tuple(e), strict=True)) if e is not None else {}


def _z_record(conn, z_id: int, form: int = FORM) -> dict[str, Any]:
    record = row_record(conn, "z_reports", z_id)
    record.pop("audit_head", None)  # written after its own event: verify checks it is that event's hash
    return record


_RECORDS = {
    "receipt": receipt_record,
    "refund": refund_record,
    "refund_started": refund_started_record,
    "sale_started": sale_started_record,
    "void": lambda conn, i, form=FORM: row_record(conn, "voids", i),
    "drawer_opening": lambda conn, i, form=FORM: row_record(conn, "drawer_openings", i),
    "drawer_movement": lambda conn, i, form=FORM: row_record(conn, "drawer_movements", i),
    "z_report": _z_record,
    "return_started": return_started_record,
    "unverified_return": lambda conn, i, form=FORM: row_record(conn, "unverified_returns", i),
    "gift_card_entry": gift_card_entry_record,
    "stock_movement": lambda conn, i, form=FORM: row_record(conn, "stock_movements", i),
}

# Every row of these must be in an event (a row no event covers was inserted behind the till's
# back, or the trail's newest events were cut): which rows, and how each is named.
_EVERY_ROW = {
    "receipt": "SELECT id, 'receipt ' || till_id || '-' || printf('%04d', receipt_no) FROM receipts",
    "refund": "SELECT id, 'refund ' || till_id || '-' || printf('%04d', refund_no) FROM refunds"
    " WHERE state = 'succeeded'",
    "z_report": "SELECT id, 'Z ' || till_id || '-' || printf('%04d', z_no) FROM z_reports",
    "unverified_return": "SELECT id, 'unverified return ' || till_id || '-' || printf('%04d', refund_no)"
    " FROM unverified_returns WHERE state = 'succeeded'",
    "return_started": "SELECT id, 'unfinished unverified return ' || id || ' (' || amount_minor || ')'"
    " FROM unverified_returns WHERE state = 'sent'",
    "void": "SELECT id, 'void ' || id || ' (' || kind || ', ' || amount_minor || ')' FROM voids",
    "drawer_opening": "SELECT id, 'drawer opening ' || id || ' (' || reason || ')' FROM drawer_openings",
    "drawer_movement": "SELECT id, 'drawer movement ' || id || ' (' || kind || ', ' || amount_minor || ')'"
    " FROM drawer_movements",
    "gift_card_entry": "SELECT e.id, 'gift card entry ' || e.id || ' (' || e.kind || ', ' || e.amount_minor || ')'"
    " FROM gift_card_entries e",
    "stock_movement": "SELECT m.id, 'stock movement ' || m.id || ' (' || m.kind || ', ' || m.quantity_milli || ')'"
    " FROM stock_movements m",
    # Journal rows still waiting for Stripe's answer: what recovery would complete.
    "sale_started": "SELECT id, 'unfinished sale ' || id || ' (' || state || ', ' || total_minor || ')' FROM sales"
    f" WHERE state IN ({', '.join(repr(str(state)) for state in UNFINISHED)})",
    "refund_started": "SELECT id, 'unanswered refund ' || id || ' (' || amount_minor || ')' FROM refunds"
    " WHERE state = 'sent'",
}


def covering(conn, kind: str, row_id: int) -> dict[str, Any]:
    """The payload of an event that records row `row_id` of `kind`: which record, and its digest."""
    return {"record": kind, "id": row_id, "form": FORM, "digest": digest(_RECORDS[kind](conn, row_id))}


# -- rows that change by design ---------------------------------------------------------------
# Settings rows that are the till's own bookkeeping, not settings: when storage was last proved
# writable, the shop link's install id, its sync cursors and what it set aside. They move no money and change without
# an event (every start, every sync round).
BOOKKEEPING_SETTINGS = (
    "storage_checked_at",
    "install_id",
    "shop_acked_seq",
    "shop_outbox_sent",
    "shop_products_version",
    "shop_settings_version",
    "shop_set_aside",  # rows from the shop this till would not take, and why (a note for `pos sync`)
    "shop_stock_seq",  # the last stock movement of another till taken down from the shop
)
_NOT_BOOKKEEPING = f"key NOT IN ({', '.join(repr(k) for k in BOOKKEEPING_SETTINGS)})"

# kind: (the rows as they are now, keyed; the same for chosen keys, `?` a JSON array of them)
_STATES = {
    "product": (
        "SELECT id, sku, barcode, name, category, price_minor, currency, tax_rate_bp, active FROM products",
        "SELECT id, sku, barcode, name, category, price_minor, currency, tax_rate_bp, active FROM products"
        " WHERE id IN (SELECT value FROM json_each(?))",
    ),
    "setting": (
        f"SELECT key, value FROM settings WHERE {_NOT_BOOKKEEPING}",  # noqa: S608 - fixed names
        "SELECT key, value FROM settings WHERE key IN (SELECT value FROM json_each(?))",
    ),
    # A cashier's wrong-PIN count and lock change on every PIN typed: not covered (the lock itself
    # is an event); their name, role, PIN hash and whether they may sign in are.
    "cashier": (
        "SELECT id, name, role, pin_hash, active FROM cashiers",
        "SELECT id, name, role, pin_hash, active FROM cashiers WHERE id IN (SELECT value FROM json_each(?))",
    ),
    # How a product is stocked (tracked, unit, alert level, open price): the ledger's rules.
    "stock_item": (
        "SELECT product_id, track_stock, unit, low_stock_milli, open_price FROM stock_items",
        "SELECT product_id, track_stock, unit, low_stock_milli, open_price FROM stock_items"
        " WHERE product_id IN (SELECT value FROM json_each(?))",
    ),
}


def _row_digests(rows) -> dict[str, str]:
    out = {}
    for row in rows:
        values = list(row)
        out[str(values[0])] = digest(values)
    return out


def covers(conn, kind: str, keys) -> dict[str, Any]:
    """`{"covers": {kind: {key: digest}}}`: the rows `keys` of `kind` as they are now (a key with no
    row is covered as deleted), to put in the payload of the event that changed them."""
    keys = list(keys)
    found = _row_digests(conn.execute(_STATES[kind][1], (json.dumps(keys),)))
    return {"covers": {kind: {str(k): found.get(str(k), DELETED) for k in keys}}}


def covers_all(conn, kind: str) -> dict[str, str]:
    return _row_digests(conn.execute(_STATES[kind][0]))


DELETED = "deleted"


def product_ids(conn, skus) -> list[int]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT id FROM products WHERE sku IN (SELECT value FROM json_each(?))", (json.dumps(list(skus)),)
        )
    ]


def _expected_receipt_states(conn) -> Iterator[tuple[int, str, int, str, int, int]]:
    """Each receipt whose refunded amount or status is not what its numbered refunds make it."""
    yield from conn.execute(
        "SELECT r.id, r.till_id, r.receipt_no, r.status, r.refunded_minor, coalesce(f.given, 0) FROM receipts r"
        " LEFT JOIN (SELECT receipt_id, sum(amount_minor) AS given FROM refunds WHERE state = 'succeeded'"
        " GROUP BY receipt_id) f ON f.receipt_id = r.id"
        " WHERE r.refunded_minor != coalesce(f.given, 0) OR r.status != CASE WHEN coalesce(f.given, 0) = 0 THEN 'paid'"
        " WHEN coalesce(f.given, 0) >= r.total_minor THEN 'refunded' ELSE 'partially_refunded' END"
    )


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


def tail(conn) -> Head:
    """The trail's newest event (0 and GENESIS while it is empty)."""
    row = conn.execute("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
    return Head(row[0], row[1]) if row else Head(0, GENESIS)


def read_head(path: Path) -> Head | None:
    try:
        seq, hash_ = path.read_text().split()
        return Head(int(seq), hash_)
    except (OSError, ValueError):
        return None


def write_head(path: Path, head: Head) -> None:
    """Replace the head file whole (a crash leaves the old one or the new one, never half)."""
    # Named for this process: two processes upgrading one folder at once must not rename each other's file.
    temporary = path.with_name(f"{path.name}.new.{os.getpid()}")
    with open(temporary, "w") as handle:
        handle.write(f"{head.seq} {head.hash}\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def head_holds(conn, head: Head) -> bool:
    """Whether the trail still holds the event the head names, as the head saw it."""
    if head.seq == 0:
        return head.hash == GENESIS
    row = conn.execute("SELECT hash FROM audit_events WHERE id = ?", (head.seq,)).fetchone()
    return row is not None and row[0] == head.hash


def baseline(conn, till_id: str) -> None:
    """At the layout upgrade (layout 11), inside its transaction: cover what is on file that no
    event covers yet, as it stands, so that verify can require an event for every row from then on:
    the rows that change by design, records written before the trail covered them (a till older
    than layout 8), and each refund still waiting for Stripe's answer (so `pos recover` may complete
    it). A brand-new database has none of these, and gets no event."""
    covered: dict[str, set[int]] = {kind: set() for kind in _RECORDS}
    for (payload,) in conn.execute("SELECT payload FROM audit_events ORDER BY id"):
        for kind, row_id, _form, _digest in _recorded(json.loads(payload)):
            covered[kind].add(row_id)
    records: dict[str, dict[str, str]] = {}
    # The baseline runs inside the layout upgrade (till revision 0001): a table a later revision
    # adds is not there yet, and has no row to cover.
    present = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for kind, sql in _EVERY_ROW.items():
        if re.search(r"FROM (\w+)", sql)[1] not in present:  # type: ignore[index]
            continue
        for row_id, _name in conn.execute(sql + " ORDER BY id").fetchall():  # noqa: S608 - fixed names
            if row_id not in covered[kind]:
                records.setdefault(kind, {})[str(row_id)] = digest(_RECORDS[kind](conn, row_id, BASELINE_FORM))
    states = {
        kind: found
        for kind, (sql, _chosen) in _STATES.items()
        if re.search(r"FROM (\w+)", sql)[1] in present  # type: ignore[index]
        and (found := covers_all(conn, kind))
    }
    if records or states:
        payload = {"form": BASELINE_FORM, "records": records, "covers": states}
        append(conn, till_id, "audit_baseline", "what was on file at the layout upgrade", payload, actor="")


def is_covered(conn, kind: str, row_id: int) -> bool:
    """Whether an event records row `row_id` of `kind` as it is now (for recovery: a journal row no
    event records was written behind the till's back, and is never completed)."""
    now: dict[int, str] = {}  # the row's digest in each form an event recorded it with
    for (payload,) in conn.execute(
        "SELECT payload FROM audit_events WHERE (json_extract(payload, '$.record') = ?"
        " AND json_extract(payload, '$.id') = ?) OR json_extract(payload, ?) IS NOT NULL",
        (kind, row_id, f'$.records.{kind}."{row_id}"'),
    ):
        for found, found_id, form, recorded in _recorded(json.loads(payload)):
            if (found, found_id) != (kind, row_id):
                continue
            # A layout upgrade's baseline covers rows in the form of the layout it ran in (an older
            # till's unfinished sale, say): compare in that form, as verify does.
            if form not in now:
                now[form] = digest(_RECORDS[kind](conn, row_id, form))
            if recorded == now[form]:
                return True
    return False


def _recorded(payload: dict[str, Any]) -> Iterator[tuple[str, int, int, str]]:
    """The records an event's payload holds the digest of: (kind, id, form, digest)."""
    kind = payload.get("record")
    if kind in _RECORDS:
        yield kind, payload["id"], payload.get("form", 1), payload["digest"]
    for kind, rows in (payload.get("records") or {}).items():
        if kind in _RECORDS:
            for row_id, recorded in rows.items():
                yield kind, int(row_id), payload.get("form", 1), recorded


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
            found = tail(conn)
        return found if found.seq else None

    def anchor(self) -> Head | None:
        """The head as last written beside the database, if any."""
        return read_head(self._anchor)

    def write_anchor(self) -> None:
        """Move the head beside the database forward to the trail's newest event: only when the trail
        still holds the event the head named (a trail cut and grown again is never made to look
        whole), and never create a missing one (the layout upgrade does, and a missing one is a
        finding). Best effort."""
        kept = self.anchor()
        if kept is None:
            return
        with raw.connection(self._engine) as conn:
            if not head_holds(conn, kept):
                return  # the evidence of a cut stays
            newest = tail(conn)
        if newest.seq <= kept.seq:
            return
        try:
            write_head(self._anchor, newest)
        except OSError:
            pass

    def verify(self) -> Break | None:
        """The first place the trail does not hold, or None when it is intact."""
        with raw.connection(self._engine) as conn:
            events = list(self._events(conn))  # read once: the chain, then what each event covers
            broken = first_break(events)
            if broken is not None:
                return broken
            broken = self._check_head(events)
            if broken is not None:
                return broken
            return self._check_records(conn, events)

    def _check_head(self, events: list[Event]) -> Break | None:
        anchor = self.anchor()
        last_seq = events[-1].seq if events else 0
        if anchor is None:
            if not events:
                return None  # nothing written yet: nothing to have cut
            return Break(
                None,
                f"the trail's head file ({HEAD_FILE}) is missing: it was deleted, so a cut of the newest events "
                "could not be seen",
            )
        if anchor.seq > last_seq:
            return Break(anchor.seq, f"the trail ends at event {last_seq}, but it had reached {anchor.seq}: it was cut")
        held = GENESIS if anchor.seq == 0 else events[anchor.seq - 1].hash
        if held != anchor.hash:
            return Break(
                anchor.seq,
                "it is not the event the trail's head recorded: the trail was cut and new events written in its place",
            )
        return None

    def _check_records(self, conn, events: list[Event]) -> Break | None:
        covered: dict[str, set[int]] = {kind: set() for kind in _RECORDS}
        newest: dict[str, dict[str, tuple[str, Event]]] = {kind: {} for kind in _STATES}
        z_heads: dict[int, str] = {}
        started_break: Break | None = None
        for event in events:
            payload = json.loads(event.payload)
            for kind, rows in (payload.get("covers") or {}).items():
                if kind in newest:
                    for key, row_digest in rows.items():
                        newest[kind][key] = (row_digest, event)
            for kind, row_id, form, recorded in _recorded(payload):
                covered[kind].add(row_id)
                if kind == "z_report":
                    z_heads[row_id] = event.hash
                record = _RECORDS[kind](conn, row_id, form)
                if digest(record) != recorded:
                    what = "changed" if record else "deleted"
                    subject = event.subject if "record" in payload else f"{kind} {row_id}"
                    found = Break(event.seq, f"the {kind} it records ({subject}) was {what} after it was written")
                    if kind not in ("refund_started", "sale_started", "return_started"):
                        return found
                    # A sale or refund that went through is named by its number, in its own later event:
                    # that finding first; one that never did is reported once the trail is read.
                    started_break = started_break or found
        if started_break is not None:
            return started_break
        for kind, sql in _EVERY_ROW.items():
            for row_id, name in conn.execute(sql + " ORDER BY id"):  # noqa: S608 - fixed names
                if row_id not in covered[kind]:
                    return Break(
                        None,
                        f"{name} is in no event: it was inserted behind the till's back, "
                        "or the trail's newest events were cut",
                    )
        for z_id, printed in conn.execute("SELECT id, audit_head FROM z_reports ORDER BY id"):
            if printed and printed != z_heads.get(z_id):
                return Break(None, f"Z report {z_id} prints an audit head that is not the hash of its own event")
        for kind, latest in newest.items():
            now = covers_all(conn, kind)
            for key, row_digest in now.items():
                if key not in latest:
                    return Break(None, f"{kind} {key} is in no event: it was inserted behind the till's back")
                if latest[key][0] != row_digest:
                    seq = latest[key][1].seq
                    return Break(seq, f"{kind} {key} was changed after the newest event that records it")
            for key, (row_digest, event) in latest.items():
                if key not in now and row_digest != DELETED:
                    return Break(event.seq, f"{kind} {key} that it records was deleted behind the till's back")
        for sku, snapshot, total in stock_drift(conn):
            return Break(
                None,
                f"the on-hand of {sku} reads {snapshot} thousandths but its stock movements add up to {total}: "
                "the stock snapshot was changed behind the till's back",
            )
        for _id, till, number, status, refunded, given in _expected_receipt_states(conn):
            return Break(
                None,
                f"receipt {numbered(till, number)} says {status}, {refunded} refunded, "
                f"but its refunds give back {given}",
            )
        return None

    def check_tail(self) -> str | None:
        """At start: a warning if the trail is shorter than it was, its head is missing, or the event
        the head names is not there as it was."""
        anchor = self.anchor()
        with raw.connection(self._engine) as conn:
            newest = tail(conn)
            holds = anchor is not None and head_holds(conn, anchor)
        if anchor is None:
            if newest.seq == 0:
                return None
            return (
                f"The audit trail's head file ({HEAD_FILE}) is missing. "
                "Run `pos audit verify` and keep the last Z report."
            )
        if newest.seq < anchor.seq:
            return (
                f"The audit trail was cut: it had {anchor.seq} events, it has {newest.seq}. "
                "Run `pos audit verify` and keep the last Z report."
            )
        if not holds:
            return "The audit trail's newest events were changed or cut. Run `pos audit verify`."
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


def stock_drift(conn) -> list[tuple[str, int, int]]:
    """Products whose stock snapshot (`stock_levels`, what on-hand reads) is not their ledger's sum:
    (sku, snapshot, sum). The movements are covered by the trail; the snapshot is checked by this
    (an UPDATE of it alone changed every level shown and the audit still passed)."""
    rows = conn.execute(
        "SELECT p.sku, coalesce(l.on_hand_milli, 0), coalesce(s.total, 0) FROM products p"
        " LEFT JOIN stock_levels l ON l.product_id = p.id"
        " LEFT JOIN (SELECT product_id, sum(quantity_milli) AS total FROM stock_movements GROUP BY product_id) s"
        " ON s.product_id = p.id WHERE coalesce(l.on_hand_milli, 0) != coalesce(s.total, 0) ORDER BY p.sku"
    )
    return [(r[0], int(r[1]), int(r[2])) for r in rows]
