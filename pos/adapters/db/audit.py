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

Statements are SQLAlchemy Core (decision 0010) over the tables of schema.py, read UNTYPED
(`_stored`): a digest is of the values as they are on file, byte for byte what sqlite3 gave before
the trail moved to Core. A typed Boolean column would come back True where the file holds 1 (every
digest written before would change) and True where an insider wrote 2 (an edit no digest would see).
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Iterator

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    case,
    column,
    func,
    inspect,
    insert,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.expression import TableClause

from pos.domain.giftcards import sold_card
from pos.domain.receipt import format_receipt_no
from pos.services.states import UNFINISHED
from pos.domain.audit import GENESIS, Break, Event, canonical, chain_hash, digest, first_break

from . import compiled as cx
from . import core
from . import schema as tables
from .raw import now_iso
from .days import local_day_bounds, store_zone

HEAD_FILE = "audit-head"


def _stored(model: Any) -> TableClause:
    """A table of schema.py with its columns untyped: rows come back as the file holds them."""
    return table(model.name, *(column(c.name) for c in model.columns))


_EVENTS = _stored(tables.audit_events)
_SETTINGS = _stored(tables.settings)
_PRODUCTS = _stored(tables.products)
_CASHIERS = _stored(tables.cashiers)
_STOCK_ITEMS = _stored(tables.stock_items)
_STOCK_LEVELS = _stored(tables.stock_levels)
_STOCK_MOVEMENTS = _stored(tables.stock_movements)
_SALES = _stored(tables.sales)
_SALE_LINES = _stored(tables.sale_lines)
_RECEIPTS = _stored(tables.receipts)
_TENDERS = _stored(tables.tenders)
_REFUNDS = _stored(tables.refunds)
_REFUND_LINES = _stored(tables.refund_lines)
_RETURNS = _stored(tables.unverified_returns)
_CARDS = _stored(tables.gift_cards)
_REDEMPTIONS = _stored(tables.gift_card_redemptions)
_SOLD = _stored(tables.gift_card_sales)
_ENTRIES = _stored(tables.gift_card_entries)
_Z = _stored(tables.z_reports)
_VOIDS = _stored(tables.voids)
_OPENINGS = _stored(tables.drawer_openings)
_MOVEMENTS = _stored(tables.drawer_movements)

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


_LAST = select(_EVENTS.c.id, _EVENTS.c.hash).order_by(_EVENTS.c.id.desc()).limit(1)
_APPEND = insert(_EVENTS)
# Run on the driver's cursor in the caller's transaction (compiled.py): every recorded change appends.
_RUN_LAST = cx.Statement(_LAST)
_RUN_APPEND = cx.Statement(_APPEND)


def append(
    conn: Connection,
    till_id: str,
    kind: str,
    subject: str,
    payload: dict[str, Any],
    *,
    approved_by: str = "",
    actor: str | None = None,
) -> Event:
    """Append an event inside the caller's write transaction (so it commits with what it records)."""
    found = cx.rows(conn, _RUN_LAST)
    last = found[0] if found else None
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
    cx.execute(
        conn,
        _RUN_APPEND,
        {
            "id": sealed.seq,
            "at": sealed.at,
            "till_id": sealed.till_id,
            "kind": sealed.kind,
            "actor": sealed.actor,
            "approved_by": sealed.approved_by,
            "subject": sealed.subject,
            "payload": sealed.payload,
            "prev_hash": sealed.prev_hash,
            "hash": sealed.hash,
        },
    )
    return sealed


_TILL_ID = select(_SETTINGS.c.value).where(_SETTINGS.c.key == "till_id")


def till_of(conn: Connection) -> str:
    """The till id as stored (for a writer that is not told it): events are recorded under it."""
    found = conn.execute(_TILL_ID).scalar()
    return found if found is not None else "T1"


def numbered(till_id: str, number: int) -> str:
    """A record's number as receipts print it (T1-0001), for an event's subject."""
    return f"{till_id}-{format_receipt_no(number)}"


# -- what an event says a record was ---------------------------------------------------------
# Records are digested in the form their event names (`form`); events written before layout 11
# have none (form 1), and are checked as they were written. Form 4 adds what a record's meaning
# depends on that the earlier forms left out: each paid tender's card_last4 (which card, or which gift
# card's code, a part was paid by) and a gift card entry's card's issued_at and expires_on. A digest
# version, not a layout: a trail written in forms 1-3 verifies as it was written (no revision touches it).
FORM = 4
# The baseline runs inside revision 0001: the tables as that revision leaves them have form 2's
# columns (form 3's weighed-line columns come with revision 0004).
BASELINE_FORM = 2


def _every_column(of: TableClause, row_id: int) -> Select:
    """`SELECT *`: the row with every column the file has (a digest of what is there; the layout
    upgrade's baseline reads tables before later revisions add their columns)."""
    return select(literal_column("*")).select_from(of).where(of.c.id == row_id)


_TENDER_COLUMNS = (
    _TENDERS.c.part_no,
    _TENDERS.c.kind,
    _TENDERS.c.amount_minor,
    _TENDERS.c.tendered_minor,
    _TENDERS.c.change_minor,
    _TENDERS.c.rounding_minor,
    _TENDERS.c.payment_intent,
)
# A receipt's paid tenders by form: form 4 adds each one's card_last4.
_TENDERS_PAID = {
    later: select(*_TENDER_COLUMNS, *((_TENDERS.c.card_last4,) if later else ()))
    .where(_TENDERS.c.sale_id == bindparam("sale_id"), _TENDERS.c.state == "paid")
    .order_by(_TENDERS.c.part_no)
    for later in (False, True)
}
_L = _SALE_LINES.c
# Form 2 adds each line's tax, net amount and discounts (a line's tax could be edited unseen).
# Form 3 adds a weighed line's weight and unit.
_LINE_COLUMNS = {
    1: (_L.line_no, _L.sku, _L.name, _L.quantity, _L.unit_price_minor, _L.tax_rate_bp, _L.gross_minor),
    2: (_L.net_minor, _L.tax_minor, _L.line_discount_minor, _L.cart_share_minor),
    3: (_L.measure_milli, _L.unit, _L.measure_price_minor),
}


_RECEIPT_LINES = {
    form: select(*(c for f in (1, 2, 3) if form >= f for c in _LINE_COLUMNS[f]))
    .where(_L.sale_id == bindparam("sale_id"))
    .order_by(_L.line_no)
    for form in (1, 2, 3)
}


def _form(form: int) -> int:
    """The statements by form: forms after 3 read what form 3 reads (as the checks `form >= n` did)."""
    return min(max(form, 1), 3)


# What a receipt's digest holds, frozen: not the shop's RECEIPT_COLUMNS (adapters/shop/tables.py)
# though most names are the same, since a column added there must not change a digest written before.
_RECEIPT_FIELDS = (
    "till_id",
    "receipt_no",
    "created_at",
    "currency",
    "total_minor",
    "tax_minor",
    "discount_minor",
    "card_minor",
    "cash_minor",
    "change_minor",
    "rounding_minor",
    "payment_intent",
    "cashier",
)
_RECEIPT = select(_RECEIPTS.c.sale_id, *(_RECEIPTS.c[name] for name in _RECEIPT_FIELDS)).where(
    _RECEIPTS.c.id == bindparam("id")
)


_Row = Mapping[Any, Any]  # a row read by column name (a Core RowMapping)


def receipt_record(conn: Connection, receipt_id: int, form: int = FORM) -> dict[str, Any]:
    """A receipt as it stands: what it was sold for, how it was paid, its lines (not what changes
    later by design: its refunded amount and status, which its numbered refunds must add up to)."""
    r = conn.execute(_RECEIPT, {"id": receipt_id}).first()
    if r is None:
        return {}
    tenders = conn.execute(_TENDERS_PAID[form >= 4], {"sale_id": r.sale_id}).mappings().all()
    lines = conn.execute(_RECEIPT_LINES[_form(form)], {"sale_id": r.sale_id}).mappings().all()
    return _receipt_digested(r._mapping, tenders, lines, form)


def receipt_covering(
    receipt_id: int,
    receipt: _Row,
    tenders: Sequence[_Row],
    lines: Sequence[_Row],
) -> dict[str, Any]:
    """covering(conn, "receipt", receipt_id) in today's form, from rows its transaction has read
    already (the receipts row, its paid tenders by part, its sale's lines by number; any columns
    beyond the digested ones): the same digest without reading them again (issue 27)."""
    record = _receipt_digested(receipt, tenders, lines, FORM)
    return {"record": "receipt", "id": receipt_id, "form": FORM, "digest": digest(record)}


def _receipt_digested(r: _Row, tenders: Sequence[_Row], lines: Sequence[_Row], form: int) -> dict[str, Any]:
    """The digested fields, by name in the order the form's statements select them."""
    tender_columns = _TENDERS_PAID[form >= 4].selected_columns.keys()
    line_columns = _RECEIPT_LINES[_form(form)].selected_columns.keys()
    return {
        **{name: r[name] for name in _RECEIPT_FIELDS},
        "tenders": [[t[name] for name in tender_columns] for t in tenders],
        "lines": [[line[name] for name in line_columns] for line in lines],
    }


_F = _REFUNDS.alias("f")
_REFUND = (
    select(literal_column("f.*"), _RECEIPTS.c.receipt_no.label("of_receipt"))
    .select_from(_F.join(_RECEIPTS, _RECEIPTS.c.id == _F.c.receipt_id))
    .where(_F.c.id == bindparam("id"))
)
_REFUND_LINE_ROWS = (
    select(_REFUND_LINES.c.line_no, _REFUND_LINES.c.quantity, _REFUND_LINES.c.amount_minor)
    .where(_REFUND_LINES.c.refund_id == bindparam("id"))
    .order_by(_REFUND_LINES.c.id)
)


def refund_record(conn: Connection, refund_id: int, form: int = FORM) -> dict[str, Any]:
    found = conn.execute(_REFUND, {"id": refund_id}).first()
    if found is None:
        return {}
    f = found._mapping
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
    # baseline, in revision 0001, reads refunds before revision 0006 adds the column).
    if "store_credit_code" in f and f["store_credit_code"]:
        record["store_credit_code"] = f["store_credit_code"]
    return record


def _refund_lines(conn: Connection, refund_id: int) -> list[list[int]]:
    return [list(line) for line in conn.execute(_REFUND_LINE_ROWS, {"id": refund_id})]


def _row(conn: Connection, of: TableClause, row_id: int) -> Any:
    found = conn.execute(_every_column(of, row_id)).first()
    return found._mapping if found is not None else None


def refund_started_record(conn: Connection, refund_id: int, form: int = FORM) -> dict[str, Any]:
    """A refund as it was asked for, before Stripe answered: what `pos recover` may complete."""
    f = _row(conn, _REFUNDS, refund_id)
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


def return_started_record(conn: Connection, return_id: int, form: int = FORM) -> dict[str, Any]:
    """An unverified return as it was asked for (what recovery may complete): what stays as it was."""
    f = _row(conn, _RETURNS, return_id)
    if f is None:
        return {}
    fixed = ("return_key", "till_id", "tender_kind", "amount_minor", "currency", "note", "approved_by", "created_at")
    return {name: f[name] for name in fixed}


_STARTED_COLUMNS = (
    _L.line_no,
    _L.product_id,
    _L.sku,
    _L.name,
    _L.quantity,
    _L.unit_price_minor,
    _L.tax_rate_bp,
    _L.net_minor,
    _L.tax_minor,
    _L.gross_minor,
    _L.line_discount_minor,
    _L.cart_share_minor,
)
_STARTED_LINES = {
    form: select(*_STARTED_COLUMNS, *(_LINE_COLUMNS[3] if form >= 3 else ()))
    .where(_L.sale_id == bindparam("sale_id"))
    .order_by(_L.line_no)
    for form in (1, 2, 3)
}


def sale_started_record(conn: Connection, sale_id: int, form: int = FORM) -> dict[str, Any]:
    """A sale (or a card part of one) as it was started, before Stripe heard of it: what recovery may
    complete. Its state, intent and notes move on by design; none of this does."""
    s = _row(conn, _SALES, sale_id)
    if s is None:
        return {}
    lines = conn.execute(_STARTED_LINES[_form(form)], {"sale_id": sale_id}).all()
    return _started_digested(s, [list(line) for line in lines])


def sale_started_covering(sale_id: int, sale: _Row, lines: Sequence[_Row]) -> dict[str, Any]:
    """covering(conn, "sale_started", sale_id) in today's form, from the values its transaction has
    just written (the sales row's columns by name, its lines by number, each with every column
    sale_lines digests): the same digest without reading them back (issue 27). Only for values as
    the file holds them (whole numbers, text, None): tests hold it to the digest read from the file."""
    names = _STARTED_LINES[_form(FORM)].selected_columns.keys()
    record = _started_digested(sale, [[line[name] for name in names] for line in lines])
    return {"record": "sale_started", "id": sale_id, "form": FORM, "digest": digest(record)}


def _started_digested(s: _Row, lines: list[list[Any]]) -> dict[str, Any]:
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
        "lines": lines,
    }


# The tables a record of a whole row is read from, by the name callers give (`row_record`).
_WHOLE_ROWS = {
    of.name: of for of in (_VOIDS, _OPENINGS, _MOVEMENTS, _Z, _RETURNS, _STOCK_MOVEMENTS, _PRODUCTS, _CASHIERS, _SALES)
}


def row_record(conn: Connection, table_name: str, row_id: int, form: int = FORM) -> dict[str, Any]:
    found = _row(conn, _WHOLE_ROWS[table_name], row_id)
    return dict(found) if found is not None else {}


_ENTRY_NAMES = ("id", "kind", "amount_minor", "entry_key", "at", "note", "code", "purpose", "currency")
_ENTRY_COLUMNS = (
    _ENTRIES.c.id,
    _ENTRIES.c.kind,
    _ENTRIES.c.amount_minor,
    _ENTRIES.c.entry_key,
    _ENTRIES.c.at,
    _ENTRIES.c.note,
    _CARDS.c.code,
    _CARDS.c.purpose,
    _CARDS.c.currency,
)
# Form 4 adds the card's issued_at and expires_on (when it was sold; from when it cannot be spent).
_ENTRY_LATER = ("issued_at", "expires_on")
_ENTRY = {
    later: select(*_ENTRY_COLUMNS, *((_CARDS.c.issued_at, _CARDS.c.expires_on) if later else ()))
    .select_from(_ENTRIES.join(_CARDS, _CARDS.c.id == _ENTRIES.c.card_id))
    .where(_ENTRIES.c.id == bindparam("id"))
    for later in (False, True)
}


def gift_card_entry_record(conn: Connection, entry_id: int, form: int = FORM) -> dict[str, Any]:
    """A till gift card's ledger entry, with the card's code, purpose and currency (so editing the
    card's row is found too); from form 4 its issued_at and expires_on as well."""
    e = conn.execute(_ENTRY[form >= 4], {"id": entry_id}).first()
    names = _ENTRY_NAMES + (_ENTRY_LATER if form >= 4 else ())
    return dict(zip(names, tuple(e), strict=True)) if e is not None else {}


def _z_record(conn: Connection, z_id: int, form: int = FORM) -> dict[str, Any]:
    record = row_record(conn, "z_reports", z_id)
    record.pop("audit_head", None)  # written after its own event: verify checks it is that event's hash
    return record


def _whole(of: TableClause) -> Callable[..., dict[str, Any]]:
    return lambda conn, row_id, form=FORM: row_record(conn, of.name, row_id)


_RECORDS: dict[str, Callable[..., dict[str, Any]]] = {
    "receipt": receipt_record,
    "refund": refund_record,
    "refund_started": refund_started_record,
    "sale_started": sale_started_record,
    "void": _whole(_VOIDS),
    "drawer_opening": _whole(_OPENINGS),
    "drawer_movement": _whole(_MOVEMENTS),
    "z_report": _z_record,
    "return_started": return_started_record,
    "unverified_return": _whole(_RETURNS),
    "gift_card_entry": gift_card_entry_record,
    "stock_movement": _whole(_STOCK_MOVEMENTS),
}


def _number(row: Any, column_name: str) -> str:
    """A record's number as printf('%04d') wrote it in these names when they were SQL."""
    value = row._mapping[column_name]
    return format_receipt_no(value) if isinstance(value, int) else "0000" if value is None else str(value)


@dataclass(frozen=True)
class _Every:
    """Every row of a table an event must cover: which (`where`), and how a finding names one."""

    of: TableClause
    name: Callable[[Any], str]
    where: ColumnElement[bool] | None = None

    def rows(self) -> Select:
        query: Select = select(literal_column("*")).select_from(self.of).order_by(self.of.c.id)
        return query if self.where is None else query.where(self.where)


# Every row of these must be in an event (a row no event covers was inserted behind the till's
# back, or the trail's newest events were cut): which rows, and how each is named.
_EVERY_ROW = {
    "receipt": _Every(_RECEIPTS, lambda r: f"receipt {r.till_id}-{_number(r, 'receipt_no')}"),
    "refund": _Every(
        _REFUNDS, lambda r: f"refund {r.till_id}-{_number(r, 'refund_no')}", _REFUNDS.c.state == "succeeded"
    ),
    "z_report": _Every(_Z, lambda r: f"Z {r.till_id}-{_number(r, 'z_no')}"),
    "unverified_return": _Every(
        _RETURNS, lambda r: f"unverified return {r.till_id}-{_number(r, 'refund_no')}", _RETURNS.c.state == "succeeded"
    ),
    "return_started": _Every(
        _RETURNS, lambda r: f"unfinished unverified return {r.id} ({r.amount_minor})", _RETURNS.c.state == "sent"
    ),
    "void": _Every(_VOIDS, lambda r: f"void {r.id} ({r.kind}, {r.amount_minor})"),
    "drawer_opening": _Every(_OPENINGS, lambda r: f"drawer opening {r.id} ({r.reason})"),
    "drawer_movement": _Every(_MOVEMENTS, lambda r: f"drawer movement {r.id} ({r.kind}, {r.amount_minor})"),
    "gift_card_entry": _Every(_ENTRIES, lambda r: f"gift card entry {r.id} ({r.kind}, {r.amount_minor})"),
    "stock_movement": _Every(_STOCK_MOVEMENTS, lambda r: f"stock movement {r.id} ({r.kind}, {r.quantity_milli})"),
    # Journal rows still waiting for Stripe's answer: what recovery would complete.
    "sale_started": _Every(
        _SALES,
        lambda r: f"unfinished sale {r.id} ({r.state}, {r.total_minor})",
        _SALES.c.state.in_([str(state) for state in UNFINISHED]),
    ),
    "refund_started": _Every(
        _REFUNDS, lambda r: f"unanswered refund {r.id} ({r.amount_minor})", _REFUNDS.c.state == "sent"
    ),
}


def covering(conn: Connection, kind: str, row_id: int, form: int = FORM) -> dict[str, Any]:
    """The payload of an event that records row `row_id` of `kind`: which record, and its digest (in
    today's form; an earlier one only to write again an event as an older till wrote it)."""
    return {"record": kind, "id": row_id, "form": form, "digest": digest(_RECORDS[kind](conn, row_id, form))}


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


def _chosen(key: Any) -> ColumnElement[bool]:
    """`key IN` the JSON array bound as `keys` (json_each: any number of keys, one parameter)."""
    return key.in_(select(column("value")).select_from(func.json_each(bindparam("keys"))))


@dataclass(frozen=True)
class _State:
    """A kind of row that changes by design: its columns (the key first) as digested."""

    of: TableClause
    columns: tuple[str, ...]
    where: ColumnElement[bool] | None = None

    def all(self) -> Select:
        query = select(*(self.of.c[name] for name in self.columns))
        return query if self.where is None else query.where(self.where)

    def chosen(self) -> Select:
        return select(*(self.of.c[name] for name in self.columns)).where(_chosen(self.of.c[self.columns[0]]))


_STATES = {
    "product": _State(
        _PRODUCTS, ("id", "sku", "barcode", "name", "category", "price_minor", "currency", "tax_rate_bp", "active")
    ),
    "setting": _State(_SETTINGS, ("key", "value"), _SETTINGS.c.key.not_in(BOOKKEEPING_SETTINGS)),
    # A cashier's wrong-PIN count and lock change on every PIN typed: not covered (the lock itself
    # is an event); their name, role, PIN hash and whether they may sign in are.
    "cashier": _State(_CASHIERS, ("id", "name", "role", "pin_hash", "active")),
    # How a product is stocked (tracked, unit, alert level, open price): the ledger's rules.
    "stock_item": _State(_STOCK_ITEMS, ("product_id", "track_stock", "unit", "low_stock_milli", "open_price")),
}


def _row_digests(rows) -> dict[str, str]:
    out = {}
    for row in rows:
        values = list(row)
        out[str(values[0])] = digest(values)
    return out


def covers(conn: Connection, kind: str, keys) -> dict[str, Any]:
    """`{"covers": {kind: {key: digest}}}`: the rows `keys` of `kind` as they are now (a key with no
    row is covered as deleted), to put in the payload of the event that changed them."""
    keys = list(keys)
    found = _row_digests(conn.execute(_STATES[kind].chosen(), {"keys": json.dumps(keys)}))
    return {"covers": {kind: {str(k): found.get(str(k), DELETED) for k in keys}}}


def covers_all(conn: Connection, kind: str) -> dict[str, str]:
    return _row_digests(conn.execute(_STATES[kind].all()))


DELETED = "deleted"

_PRODUCT_IDS = select(_PRODUCTS.c.id).where(_chosen(_PRODUCTS.c.sku))


def product_ids(conn: Connection, skus) -> list[int]:
    return list(conn.execute(_PRODUCT_IDS, {"keys": json.dumps(list(skus))}).scalars())


def _expected_receipt_states_query() -> Select:
    f = _REFUNDS
    given_by = (
        select(f.c.receipt_id, func.sum(f.c.amount_minor).label("given"))
        .where(f.c.state == "succeeded")
        .group_by(f.c.receipt_id)
        .subquery("f")
    )
    r = _RECEIPTS
    given = func.coalesce(given_by.c.given, 0)
    expected = case((given == 0, "paid"), (given >= r.c.total_minor, "refunded"), else_="partially_refunded")
    return (
        select(r.c.id, r.c.till_id, r.c.receipt_no, r.c.status, r.c.refunded_minor, given)
        .select_from(r.outerjoin(given_by, given_by.c.receipt_id == r.c.id))
        .where(or_(r.c.refunded_minor != given, r.c.status != expected))
    )


_EXPECTED_RECEIPT_STATES = _expected_receipt_states_query()


def _expected_receipt_states(conn: Connection) -> Iterator[tuple[int, str, int, str, int, int]]:
    """Each receipt whose refunded amount or status is not what its numbered refunds make it."""
    for row in conn.execute(_EXPECTED_RECEIPT_STATES):
        yield tuple(row)


# -- reading the trail --------------------------------------------------------------------------
def _event(row) -> Event:
    return Event(
        seq=row.id,
        at=row.at,
        till_id=row.till_id,
        kind=row.kind,
        actor=row.actor,
        approved_by=row.approved_by,
        subject=row.subject,
        payload=row.payload,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str


def tail(conn: Connection) -> Head:
    """The trail's newest event (0 and GENESIS while it is empty)."""
    row = conn.execute(_LAST).first()
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


_HASH_OF = select(_EVENTS.c.hash).where(_EVENTS.c.id == bindparam("id"))


def head_holds(conn: Connection, head: Head) -> bool:
    """Whether the trail still holds the event the head names, as the head saw it."""
    if head.seq == 0:
        return head.hash == GENESIS
    found = conn.execute(_HASH_OF, {"id": head.seq}).first()
    return found is not None and found[0] == head.hash


_PAYLOADS = select(_EVENTS.c.payload).order_by(_EVENTS.c.id)


def baseline(conn: Connection, till_id: str) -> None:
    """At the layout upgrade (layout 11), inside its transaction: cover what is on file that no
    event covers yet, as it stands, so that verify can require an event for every row from then on:
    the rows that change by design, records written before the trail covered them (a till older
    than layout 8), and each refund still waiting for Stripe's answer (so `pos recover` may complete
    it). A brand-new database has none of these, and gets no event."""
    covered: dict[str, set[int]] = {kind: set() for kind in _RECORDS}
    for payload in conn.execute(_PAYLOADS).scalars():
        for kind, row_id, _form, _digest in _recorded(json.loads(payload)):
            covered[kind].add(row_id)
    records: dict[str, dict[str, str]] = {}
    # The baseline runs inside the layout upgrade (till revision 0001): a table a later revision
    # adds is not there yet, and has no row to cover.
    present = set(inspect(conn).get_table_names())
    for kind, every in _EVERY_ROW.items():
        if every.of.name not in present:
            continue
        for row in conn.execute(every.rows()).all():
            if row.id not in covered[kind]:
                records.setdefault(kind, {})[str(row.id)] = digest(_RECORDS[kind](conn, row.id, BASELINE_FORM))
    states = {
        kind: found for kind, state in _STATES.items() if state.of.name in present and (found := covers_all(conn, kind))
    }
    if records or states:
        payload = {"form": BASELINE_FORM, "records": records, "covers": states}
        append(conn, till_id, "audit_baseline", "what was on file at the layout upgrade", payload, actor="")


_PAYLOAD = _EVENTS.c.payload
_COVERING = select(_PAYLOAD).where(
    or_(
        (func.json_extract(_PAYLOAD, "$.record") == bindparam("kind"))
        & (func.json_extract(_PAYLOAD, "$.id") == bindparam("id")),
        func.json_extract(_PAYLOAD, bindparam("path")).is_not(None),
    )
)


def is_covered(conn: Connection, kind: str, row_id: int) -> bool:
    """Whether an event records row `row_id` of `kind` as it is now (for recovery: a journal row no
    event records was written behind the till's back, and is never completed)."""
    now: dict[int, str] = {}  # the row's digest in each form an event recorded it with
    found = conn.execute(_COVERING, {"kind": kind, "id": row_id, "path": f'$.records.{kind}."{row_id}"'})
    for payload in found.scalars():
        for found_kind, found_id, form, recorded in _recorded(json.loads(payload)):
            if (found_kind, found_id) != (kind, row_id):
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


_ALL_EVENTS = select(_EVENTS).order_by(_EVENTS.c.id)
_Z_HEADS = select(_Z.c.id, _Z.c.audit_head).order_by(_Z.c.id)

# A refund or a void of a gift card part goes back onto the code its redemption row names, and that
# row changes by design (its state) so no event digests it. The till ledger's redeem entry does (with
# its card's code) and is keyed by the redemption: each such entry must have its redemption, naming
# the same till card, amount and currency. (A shop card's entry is at the shop: not checked here.)
_R = _REDEMPTIONS.alias("r")
_REDEEMED = (
    select(
        _ENTRIES.c.id,
        _ENTRIES.c.amount_minor,
        _CARDS.c.code,
        _CARDS.c.currency,
        _R.c.id.label("redemption_id"),
        _R.c.code.label("redemption_code"),
        _R.c.shop,
        _R.c.amount_minor.label("redemption_minor"),
        _R.c.currency.label("redemption_currency"),
    )
    .select_from(
        _ENTRIES.join(_CARDS, _CARDS.c.id == _ENTRIES.c.card_id).outerjoin(
            _R, _R.c.redemption_key == _ENTRIES.c.entry_key
        )
    )
    .where(_ENTRIES.c.kind == "redeem")
    .order_by(_ENTRIES.c.id)
)


# A card a paid sale sold or reloaded is owed from its gift_card_sales row (activate_sold issues the
# code and amount it names, at the next receipt or start if not at once), and no event digests that
# row. The receipt's digest does cover the line that sold it (its sku holds the code, and whether it
# reloads): each row must be such a line of a receipt's sale, and each such line must have its row
# (but a copy of another till's receipt, brought from the shop: that till owes its cards).
_S = _SALE_LINES.alias("l")
_SOLD_AS_PRINTED = (
    select(
        _SOLD.c.id,
        _SOLD.c.code,
        _SOLD.c.reload,
        _SOLD.c.currency,
        _SOLD.c.amount_minor,
        _S.c.sku,
        _S.c.quantity,
        _S.c.unit_price_minor,
        _RECEIPTS.c.currency.label("receipt_currency"),
    )
    .select_from(
        _SOLD.outerjoin(_S, (_S.c.sale_id == _SOLD.c.sale_id) & (_S.c.line_no == _SOLD.c.line_no)).outerjoin(
            _RECEIPTS, _RECEIPTS.c.sale_id == _SOLD.c.sale_id
        )
    )
    .order_by(_SOLD.c.id)
)
_SOLD_LINES_UNOWED = (
    select(_S.c.sale_id, _S.c.line_no, _S.c.sku)
    .select_from(
        _S.join(_RECEIPTS, _RECEIPTS.c.sale_id == _S.c.sale_id)
        .join(_SALES, _SALES.c.id == _S.c.sale_id)
        .outerjoin(_SOLD, (_SOLD.c.sale_id == _S.c.sale_id) & (_SOLD.c.line_no == _S.c.line_no))
    )
    .where(
        _S.c.sku.like("GIFTCARD%"),
        _SOLD.c.id.is_(None),
        _SALES.c.sale_key.not_like(tables.COPIED_SALE_PREFIX + "%"),
    )
    .order_by(_S.c.sale_id, _S.c.line_no)
)


def _sold_card_breaks(conn: Connection) -> Iterator[Break]:
    for s in conn.execute(_SOLD_AS_PRINTED):
        printed = sold_card(s.sku) if s.sku is not None and s.receipt_currency is not None else None
        owed = (s.code, s.reload == 1, s.reload in (0, 1), s.currency, s.amount_minor)
        if printed is None or owed != (*printed, True, s.receipt_currency, s.unit_price_minor * s.quantity):
            yield Break(
                None,
                f"gift card sale {s.id} (card {s.code[-4:]}, {s.amount_minor}) is not a gift card line of a "
                "receipt: it was inserted or changed behind the till's back, and the till would issue what it says",
            )
    for line in conn.execute(_SOLD_LINES_UNOWED):
        if sold_card(line.sku) is not None:
            yield Break(
                None,
                f"the gift card line {line.line_no} of sale {line.sale_id} has no gift card sale: it was deleted "
                "behind the till's back, and the card would never be issued",
            )


def _redemption_breaks(conn: Connection) -> Iterator[Break]:
    for e in conn.execute(_REDEEMED):
        if e.redemption_id is None:
            yield Break(
                None,
                f"gift card entry {e.id} (redeem, {e.amount_minor}) has no gift card redemption in the sale "
                "journal: it was deleted or its key changed behind the till's back",
            )
        elif (e.redemption_code, e.shop, e.redemption_minor, e.redemption_currency) != (
            e.code,
            0,
            e.amount_minor,
            e.currency,
        ):
            yield Break(
                None,
                f"gift card redemption {e.redemption_id} is not what the gift card ledger took for it (entry "
                f"{e.id}): it was changed behind the till's back, and a refund would go to the card it names now",
            )


class AuditRepo:
    def __init__(self, engine: Engine, data_dir: Path, zone=lambda: ""):
        self._engine = engine
        self._anchor = Path(data_dir) / HEAD_FILE
        self._zone = zone  # the store's time zone name: export days are its calendar days

    def _events(self, conn: Connection, since: str | None = None, until: str | None = None) -> Iterator[Event]:
        for row in conn.execute(_ALL_EVENTS):
            if (since is None or row.at >= since) and (until is None or row.at < until):
                yield _event(row)

    def head(self) -> Head | None:
        with core.reading(self._engine) as conn:
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
        with core.reading(self._engine) as conn:
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
        with core.reading(self._engine) as conn:
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

    def _check_records(self, conn: Connection, events: list[Event]) -> Break | None:
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
        for kind, every in _EVERY_ROW.items():
            for row in conn.execute(every.rows()):
                if row.id not in covered[kind]:
                    return Break(
                        None,
                        f"{every.name(row)} is in no event: it was inserted behind the till's back, "
                        "or the trail's newest events were cut",
                    )
        for z_id, printed in conn.execute(_Z_HEADS):
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
        return next(_redemption_breaks(conn), None) or next(_sold_card_breaks(conn), None)

    def check_tail(self) -> str | None:
        """At start: a warning if the trail is shorter than it was, its head is missing, or the event
        the head names is not there as it was."""
        anchor = self.anchor()
        with core.reading(self._engine) as conn:
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
        with core.reading(self._engine) as conn:
            events = list(self._events(conn, since, until))
        for event in events:
            yield {
                **event.content(),
                "payload": json.loads(event.payload),
                "prev_hash": event.prev_hash,
                "hash": event.hash,
            }


_MOVED = (
    select(_STOCK_MOVEMENTS.c.product_id, func.sum(_STOCK_MOVEMENTS.c.quantity_milli).label("total"))
    .group_by(_STOCK_MOVEMENTS.c.product_id)
    .subquery("s")
)
_SNAPSHOT = func.coalesce(_STOCK_LEVELS.c.on_hand_milli, 0)
_DRIFT = (
    select(_PRODUCTS.c.sku, _SNAPSHOT, func.coalesce(_MOVED.c.total, 0))
    .select_from(
        _PRODUCTS.outerjoin(_STOCK_LEVELS, _STOCK_LEVELS.c.product_id == _PRODUCTS.c.id).outerjoin(
            _MOVED, _MOVED.c.product_id == _PRODUCTS.c.id
        )
    )
    .where(_SNAPSHOT != func.coalesce(_MOVED.c.total, 0))
    .order_by(_PRODUCTS.c.sku)
)


def stock_drift(conn: Connection) -> list[tuple[str, int, int]]:
    """Products whose stock snapshot (`stock_levels`, what on-hand reads) is not their ledger's sum:
    (sku, snapshot, sum). The movements are covered by the trail; the snapshot is checked by this
    (an UPDATE of it alone changed every level shown and the audit still passed)."""
    return [(r[0], int(r[1]), int(r[2])) for r in conn.execute(_DRIFT)]
