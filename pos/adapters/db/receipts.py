"""Receipts as records: the history list (paged, searchable), one receipt in full, export."""

from __future__ import annotations

from typing import Iterator

from sqlalchemy import bindparam, distinct, func, insert, select, tuple_
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

from pos.domain.cart import LineTotals, Measure
from pos.domain.giftcards import sold_card
from pos.domain.money import Money
from pos.domain.receipt import Receipt
from pos.domain.stock import MILLI, Unit, format_quantity
from pos.domain.tender import CardPresentReceipt, Tender, TenderKind, tender_type
from pos.services.receipts import EXPORT_COLUMNS, PAGE, TENDER_COLUMNS, ReceiptQuery, ReceiptSummary, criterion

from . import compiled as cx
from . import core
from . import schema as tables
from .days import local_day_bounds, store_zone
from .raw import parse_iso

_r, _t, _lines = tables.receipts, tables.tenders, tables.sale_lines
# Built once: a Pay reads a receipt back inside the transaction that wrote it (the journal).
_TENDERS_IN_STATE = (
    select(_t).where(_t.c.sale_id == bindparam("sale_id"), _t.c.state == bindparam("state")).order_by(_t.c.part_no)
)
_SALE = select(tables.sales).where(tables.sales.c.id == bindparam("sale_id"))
_SALE_LINES = select(_lines).where(_lines.c.sale_id == bindparam("sale_id")).order_by(_lines.c.line_no)
_RECEIPT = select(_r).where(_r.c.id == bindparam("receipt_id"))
_CARDS_VALID_UNTIL = (
    select(tables.gift_card_sales.c.code, tables.gift_card_sales.c.expires_on)
    .where(tables.gift_card_sales.c.sale_id == bindparam("sale_id"), tables.gift_card_sales.c.expires_on.is_not(None))
    .order_by(tables.gift_card_sales.c.line_no)
)
_RECEIPT_ID = select(_r.c.id).where(_r.c.receipt_no == bindparam("receipt_no"), _r.c.till_id == bindparam("till_id"))
_RECEIPT_STAMP = select(_r.c.created_at).where(_r.c.id == bindparam("receipt_id"))
# The receipt's row as written (every column), in the statement that writes it.
_ADD_RECEIPT = cx.Statement(insert(_r).values(status="paid", refunded_minor=0).returning(*_r.c))


def add_receipt(conn: Connection, **values) -> int:
    """add_receipt_row, for a caller that needs only the receipt's id."""
    return int(add_receipt_row(conn, **values)["id"])


def add_receipt_row(
    conn: Connection,
    *,
    till_id: str,
    receipt_no: int,
    sale_id: int,
    created_at: str,
    currency: str,
    total_minor: int,
    tax_minor: int,
    discount_minor: int,
    payment_intent: str | None,
    card_brand: str | None,
    card_last4: str | None,
    card_minor: int,
    cash_minor: int,
    change_minor: int,
    rounding_minor: int,
    store_name: str,
    store_address: str,
    receipt_footer: str,
    cashier: str,
) -> dict:
    """A receipt's row, paid and nothing refunded yet: the one statement that writes one, for the
    journal (a sale paid at this till) and the shop's copies (another till's receipt, refunded here:
    adapters/shop/copies.py), so a column added to receipts is added here once. Returns its row as
    written (every column)."""
    return cx.mappings(
        conn,
        _ADD_RECEIPT,
        {
            "till_id": till_id,
            "receipt_no": receipt_no,
            "sale_id": sale_id,
            "created_at": created_at,
            "currency": currency,
            "total_minor": total_minor,
            "tax_minor": tax_minor,
            "discount_minor": discount_minor,
            "payment_intent": payment_intent,
            "card_brand": card_brand,
            "card_last4": card_last4,
            "card_minor": card_minor,
            "cash_minor": cash_minor,
            "change_minor": change_minor,
            "rounding_minor": rounding_minor,
            "store_name": store_name,
            "store_address": store_address,
            "receipt_footer": receipt_footer,
            "cashier": cashier,
        },
    )[0]


_EXPORTED = select(_r.c.sale_id, *(_r.c[c] for c in EXPORT_COLUMNS if c not in TENDER_COLUMNS)).order_by(
    _r.c.till_id, _r.c.receipt_no
)
_EXPORTED_LINES = (
    select(
        *(
            _lines.c[c]
            for c in ("sale_id", "line_no", "sku", "name", "quantity", "measure_milli", "unit")
            + ("unit_price_minor", "gross_minor")
        )
    )
    .where(_lines.c.sale_id.in_(bindparam("sale_ids", expanding=True)))
    .order_by(_lines.c.sale_id, _lines.c.line_no)
)
_EXPORTED_TENDERS = (
    select(_t.c.sale_id, _t.c.kind, _t.c.card_present, _t.c.amount_minor, _t.c.payment_intent, _t.c.card_last4)
    .where(_t.c.state == "paid", _t.c.sale_id.in_(bindparam("sale_ids", expanding=True)))
    .order_by(_t.c.sale_id, _t.c.part_no)
)


def _printed(row, column: str, today: str) -> str:
    value = row[column] if column in row.keys() else None
    return today if value is None else value


def tender_from_row(row) -> Tender:
    cur = row["currency"]
    kind = TenderKind(row["kind"])
    cash = kind is TenderKind.CASH
    tipped = not cash and row["tendered_minor"] > row["amount_minor"]  # a card charged with a tip
    return Tender(
        kind=kind,
        amount=Money(row["amount_minor"], cur),
        tendered=Money(row["tendered_minor"], cur) if cash or tipped else None,
        change=Money(row["change_minor"], cur) if cash else None,
        rounding=Money(row["rounding_minor"], cur) if row["rounding_minor"] else None,
        payment_intent=row["payment_intent"],
        card_brand=row["card_brand"],
        card_last4=row["card_last4"],
        # Rows from before layout 10 (and the shop's before its revision 0004) have no such column.
        card_present=CardPresentReceipt.from_json(row["card_present"] if "card_present" in row.keys() else None),
    )


def read_tenders(conn: Connection, sale_id: int, state: str = "paid") -> tuple[Tender, ...]:
    """A sale's tenders in the state asked (paid, or returned), in the order they were taken."""
    rows = conn.execute(_TENDERS_IN_STATE, {"sale_id": sale_id, "state": state}).mappings()
    return tuple(tender_from_row(r) for r in rows)


def _export_line(line) -> dict:
    """A sold line as exports show it: the quantity a decimal string in its unit ("2", "1.250")."""
    unit = Unit(line["unit"] or Unit.EACH.value)
    milli = line["quantity"] * (line["measure_milli"] if line["measure_milli"] is not None else MILLI)
    return {
        "line_no": line["line_no"],
        "sku": line["sku"],
        "name": line["name"],
        "quantity": format_quantity(milli, unit),
        "unit": unit.value,
        "unit_price_minor": line["unit_price_minor"],
        "gross_minor": line["gross_minor"],
    }


def _measure(line, currency: str) -> Measure | None:
    keys = line.keys()
    if "measure_milli" not in keys or line["measure_milli"] is None:
        return None
    return Measure(line["measure_milli"], line["unit"], Money(line["measure_price_minor"] or 0, currency))


def build_receipt(
    conn: Connection, row, settings, sale=None, lines=None, tenders=None, *, just_written: bool = False
) -> Receipt:
    """The domain Receipt for a receipts row (the sale, its lines and its paid tenders read on the
    same connection, unless the caller's transaction has them already: every column, lines by number,
    tenders by part). Rows are read by column name (Core row mappings, or sqlite3.Rows).
    `just_written`: in the receipt's own transaction, where the cards it sold are owed, not stamped
    yet, so their expiry days are not looked for."""
    sale = sale or conn.execute(_SALE, {"sale_id": row["sale_id"]}).mappings().one()
    if lines is None:
        lines = conn.execute(_SALE_LINES, {"sale_id": row["sale_id"]}).mappings().all()
    # Only a receipt that sold a gift card reads when its cards expire (every other sale reads nothing more).
    sold_cards = not just_written and any(sold_card(line["sku"]) for line in lines)
    cur = row["currency"]
    line_totals = tuple(
        LineTotals(
            sku=line["sku"],
            name=line["name"],
            quantity=line["quantity"],
            unit_price=Money(line["unit_price_minor"], cur),
            tax_rate_bp=line["tax_rate_bp"],
            net=Money(line["net_minor"], cur),
            tax=Money(line["tax_minor"], cur),
            gross=Money(line["gross_minor"], cur),
            line_discount=_money(line, "line_discount_minor", cur),
            cart_share=_money(line, "cart_share_minor", cur),
            discount_reason=line["discount_reason"] if "discount_reason" in line.keys() else None,
            measure=_measure(line, cur),
        )
        for line in lines
    )
    by_rate: dict[int, int] = {}
    for line in lines:
        by_rate[line["tax_rate_bp"]] = by_rate.get(line["tax_rate_bp"], 0) + line["tax_minor"]
    return Receipt(
        receipt_no=row["receipt_no"],
        till_id=row["till_id"],
        created_at=parse_iso(row["created_at"]).astimezone(),
        # As printed at the sale; receipts from before the snapshot was kept fall back to today's settings.
        store_name=_printed(row, "store_name", settings.store_name),
        store_address=_printed(row, "store_address", settings.address),
        footer=_printed(row, "receipt_footer", settings.receipt_footer),
        lines=line_totals,
        subtotal=Money(sale["subtotal_minor"], cur),
        tax=Money(row["tax_minor"], cur),
        total=Money(row["total_minor"], cur),
        tax_inclusive=bool(sale["tax_inclusive"]),
        payment_intent=row["payment_intent"],
        card_brand=row["card_brand"],
        card_last4=row["card_last4"],
        refunded=Money(row["refunded_minor"], cur),
        tax_by_rate=tuple((rate, Money(v, cur)) for rate, v in sorted(by_rate.items())),
        cart_discount=_money(sale, "cart_discount_minor", cur),
        cart_discount_reason=sale["cart_discount_reason"] if "cart_discount_reason" in sale.keys() else None,
        tenders=read_tenders(conn, row["sale_id"]) if tenders is None else tuple(tender_from_row(t) for t in tenders),
        cards_valid_until=cards_valid_until(conn, row["sale_id"]) if sold_cards else (),
    )


def cards_valid_until(conn: Connection, sale_id: int) -> tuple[tuple[str, str], ...]:
    """The expiry day of each card a sale sold, by code, as stamped when it was issued (gift_card_sales)."""
    return tuple((r.code, r.expires_on) for r in conn.execute(_CARDS_VALID_UNTIL, {"sale_id": sale_id}))


def _money(row, column: str, currency: str) -> Money | None:
    """A discount column as Money, None when there is none (or the row predates discounts)."""
    value = row[column] if column in row.keys() else 0
    return Money(value, currency) if value else None


# The kinds other than card and cash that paid a receipt (the row stores only those two), for its
# summary; group_concat keeps no order, receipt_summary sorts them.
_OTHER_KINDS = (
    select(func.group_concat(distinct(_t.c.kind)))
    .where(_t.c.sale_id == _r.c.sale_id, _t.c.kind.not_in((TenderKind.CASH.value, TenderKind.CARD.value)))
    .scalar_subquery()
    .label("other_kinds")
)


def receipt_summary(row) -> ReceiptSummary:
    """A receipts row (this till's, or the shop database's with the same columns) as the list shows it."""
    cur = row["currency"]
    return ReceiptSummary(
        id=row["id"],
        receipt_no=row["receipt_no"],
        till_id=row["till_id"],
        created_at=parse_iso(row["created_at"]).astimezone(),
        total=Money(row["total_minor"], cur),
        card_brand=row["card_brand"],
        card_last4=row["card_last4"],
        payment_intent=row["payment_intent"],
        status=row["status"],
        refunded=Money(row["refunded_minor"], cur),
        cash=Money(row["cash_minor"], cur),
        # Listed from the shop database: its rows carry no tenders' kinds (card and cash only, as before).
        others=tuple(TenderKind(k) for k in sorted((row["other_kinds"] or "").split(",")) if k)
        if "other_kinds" in row.keys()
        else (),
    )


class ReceiptsRepo:
    def __init__(self, engine: Engine, settings_repo=None):
        from .settings import SettingsRepo

        self._engine = engine
        self._settings = settings_repo or SettingsRepo(engine)

    def page(
        self, query: ReceiptQuery, currency: str, before_id: int | None = None, limit: int = PAGE
    ) -> list[ReceiptSummary]:
        """Newest first; the next page starts after the last row of this one (keyset paging).

        A date search lists by the receipts' own time (the created_at index, walked backwards), so a
        receipt shows under the day it carries even when the clock was wrong; the rest by id.
        """
        where = self._where(query, currency)
        by_time = query.kind == "dates"
        with core.reading(self._engine) as conn:
            if before_id is not None:
                if by_time:
                    stamp = conn.execute(_RECEIPT_STAMP, {"receipt_id": before_id}).scalar()
                    where.append(tuple_(_r.c.created_at, _r.c.id) < tuple_(stamp or "", before_id))
                else:
                    where.append(_r.c.id < before_id)
            order = (_r.c.created_at.desc(), _r.c.id.desc()) if by_time else (_r.c.id.desc(),)
            found = conn.execute(select(_r, _OTHER_KINDS).where(*where).order_by(*order).limit(limit)).mappings()
            return [receipt_summary(r) for r in found]

    def _where(self, query: ReceiptQuery, currency: str) -> list[ColumnElement[bool]]:
        found = criterion(query, currency)
        if found.kind == "all":
            return []
        if found.kind == "number":
            return [_r.c.receipt_no == found.value, *([_r.c.till_id == found.till] if found.till else [])]
        if found.kind == "intent":
            # A split sale's card parts are its tenders' (the receipt keeps one intent only when one card paid).
            paid_by = select(_t.c.sale_id).where(_t.c.payment_intent == found.value)
            return [(_r.c.payment_intent == found.value) | _r.c.sale_id.in_(paid_by)]
        if found.kind == "last4":
            return [_r.c.card_last4 == found.value]
        if found.kind == "number_or_last4":
            assert isinstance(found.value, str)
            return [(_r.c.receipt_no == int(found.value)) | (_r.c.card_last4 == found.value)]
        if found.kind == "amount":
            return [_r.c.total_minor == found.value]
        first, last = found.days
        start, end = local_day_bounds(first, last, store_zone(self._settings.load().time_zone))
        # By the receipts' own timestamps (indexed): ids follow the order of sales, which a clock
        # set back or forward does not, so an id range would list receipts under the wrong day.
        return [_r.c.created_at >= start, _r.c.created_at < end]

    def receipt(self, receipt_id: int) -> Receipt:
        with core.reading(self._engine) as conn:
            row = conn.execute(_RECEIPT, {"receipt_id": receipt_id}).mappings().one()
            return build_receipt(conn, row, self._settings.load())

    def receipt_id_for(self, receipt_no: int, till_id: str) -> int | None:
        with core.reading(self._engine) as conn:
            return conn.execute(_RECEIPT_ID, {"receipt_no": receipt_no, "till_id": till_id}).scalar()

    def export_rows(self) -> Iterator[dict]:
        """Every receipt, oldest first, with its tenders, streamed so a million receipts do not fill memory."""
        with core.reading(self._engine) as conn:
            cursor = conn.execute(_EXPORTED).mappings()
            while True:
                rows = cursor.fetchmany(1000)
                if not rows:
                    return
                tenders: dict[int, list[dict]] = {}
                for sale_id, kind, present, amount, intent, last4 in conn.execute(
                    _EXPORTED_TENDERS, {"sale_ids": [row["sale_id"] for row in rows]}
                ):
                    tenders.setdefault(sale_id, []).append(
                        {
                            "type": tender_type(kind, present).value,
                            "amount_minor": amount,
                            "payment_intent": intent,
                            "card_last4": last4,
                        }
                    )
                lines: dict[int, list[dict]] = {}
                for line in conn.execute(_EXPORTED_LINES, {"sale_ids": [row["sale_id"] for row in rows]}).mappings():
                    lines.setdefault(line["sale_id"], []).append(_export_line(line))
                for row in rows:
                    record = dict(row)
                    record["lines"] = lines.get(record["sale_id"], [])
                    record["tenders"] = tenders.get(record.pop("sale_id"), [])
                    for column, kind in TENDER_COLUMNS.items():
                        record[column] = sum(t["amount_minor"] for t in record["tenders"] if t["type"] == kind)
                    yield record
