"""Receipts as records: the history list (paged, searchable), one receipt in full, export."""

from __future__ import annotations

from typing import Iterator

from sqlalchemy.engine import Engine

from pos.domain.cart import LineTotals, Measure
from pos.domain.money import Money
from pos.domain.receipt import Receipt
from pos.domain.stock import MILLI, Unit, format_quantity
from pos.domain.tender import CardPresentReceipt, Tender, TenderKind, tender_type
from pos.services.receipts import EXPORT_COLUMNS, PAGE, TENDER_COLUMNS, ReceiptQuery, ReceiptSummary, criterion

from . import raw
from .days import local_day_bounds, store_zone
from .raw import parse_iso


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


def read_tenders(conn, sale_id: int, state: str = "paid") -> tuple[Tender, ...]:
    """A sale's tenders in the state asked (paid, or returned), in the order they were taken."""
    rows = conn.execute(
        "SELECT * FROM tenders WHERE sale_id = ? AND state = ? ORDER BY part_no", (sale_id, state)
    ).fetchall()
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


def build_receipt(conn, row, settings, sale=None) -> Receipt:
    """The domain Receipt for a receipts row (the sale and its lines read on the same connection)."""
    sale = sale or conn.execute("SELECT * FROM sales WHERE id = ?", (row["sale_id"],)).fetchone()
    lines = conn.execute("SELECT * FROM sale_lines WHERE sale_id = ? ORDER BY line_no", (row["sale_id"],)).fetchall()
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
        tenders=read_tenders(conn, row["sale_id"]),
    )


def _money(row, column: str, currency: str) -> Money | None:
    """A discount column as Money, None when there is none (or the row predates discounts)."""
    value = row[column] if column in row.keys() else 0
    return Money(value, currency) if value else None


# The kinds other than card and cash that paid a receipt (the row stores only those two), for its summary.
OTHER_KINDS = (
    "(SELECT group_concat(kind) FROM (SELECT DISTINCT t.kind FROM tenders t WHERE t.sale_id = receipts.sale_id"
    " AND t.kind NOT IN ('cash', 'card') ORDER BY t.kind)) AS other_kinds"
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
        others=tuple(TenderKind(k) for k in (row["other_kinds"] or "").split(",") if k)
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
        where, args = self._where(query, currency)
        by_time = query.kind == "dates"
        with raw.connection(self._engine) as conn:
            if before_id is not None:
                if by_time:
                    stamp = conn.execute("SELECT created_at FROM receipts WHERE id = ?", (before_id,)).fetchone()
                    where.append("(created_at, id) < (?, ?)")
                    args += [stamp[0] if stamp else "", before_id]
                else:
                    where.append("id < ?")
                    args.append(before_id)
            sql = (
                f"SELECT *, {OTHER_KINDS} FROM receipts"
                + (" WHERE " + " AND ".join(where) if where else "")
                + (" ORDER BY created_at DESC, id DESC" if by_time else " ORDER BY id DESC")
                + " LIMIT ?"
            )
            return [receipt_summary(r) for r in conn.execute(sql, (*args, limit)).fetchall()]

    def _where(self, query: ReceiptQuery, currency: str) -> tuple[list[str], list]:
        found = criterion(query, currency)
        if found.kind == "all":
            return [], []
        if found.kind == "number":
            return ["receipt_no = ?"], [found.value]
        if found.kind == "intent":
            # A split sale's card parts are its tenders' (the receipt keeps one intent only when one card paid).
            return ["(payment_intent = ? OR sale_id IN (SELECT sale_id FROM tenders WHERE payment_intent = ?))"], [
                found.value,
                found.value,
            ]
        if found.kind == "last4":
            return ["card_last4 = ?"], [found.value]
        if found.kind == "amount":
            return ["total_minor = ?"], [found.value]
        first, last = found.days
        start, end = local_day_bounds(first, last, store_zone(self._settings.load().time_zone))
        # By the receipts' own timestamps (indexed): ids follow the order of sales, which a clock
        # set back or forward does not, so an id range would list receipts under the wrong day.
        return ["created_at >= ?", "created_at < ?"], [start, end]

    def receipt(self, receipt_id: int) -> Receipt:
        with raw.connection(self._engine) as conn:
            row = conn.execute("SELECT * FROM receipts WHERE id = ?", (receipt_id,)).fetchone()
            return build_receipt(conn, row, self._settings.load())

    def receipt_id_for(self, receipt_no: int, till_id: str) -> int | None:
        with raw.connection(self._engine) as conn:
            row = conn.execute(
                "SELECT id FROM receipts WHERE receipt_no = ? AND till_id = ?", (receipt_no, till_id)
            ).fetchone()
        return row[0] if row else None

    def export_rows(self) -> Iterator[dict]:
        """Every receipt, oldest first, with its tenders, streamed so a million receipts do not fill memory."""
        with raw.connection(self._engine) as conn:
            cursor = conn.execute(
                f"SELECT sale_id, {', '.join(c for c in EXPORT_COLUMNS if c not in TENDER_COLUMNS)} FROM receipts"
                " ORDER BY till_id, receipt_no"
            )
            while True:
                rows = cursor.fetchmany(1000)
                if not rows:
                    return
                tenders: dict[int, list[dict]] = {}
                for sale_id, kind, present, amount, intent, last4 in conn.execute(
                    "SELECT sale_id, kind, card_present, amount_minor, payment_intent, card_last4 FROM tenders"
                    f" WHERE state = 'paid' AND sale_id IN ({','.join('?' * len(rows))}) ORDER BY sale_id, part_no",
                    [row["sale_id"] for row in rows],
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
                for line in conn.execute(
                    "SELECT sale_id, line_no, sku, name, quantity, measure_milli, unit, unit_price_minor, gross_minor"
                    f" FROM sale_lines WHERE sale_id IN ({','.join('?' * len(rows))}) ORDER BY sale_id, line_no",
                    [row["sale_id"] for row in rows],
                ):
                    lines.setdefault(line["sale_id"], []).append(_export_line(line))
                for row in rows:
                    record = dict(row)
                    record["lines"] = lines.get(record["sale_id"], [])
                    record["tenders"] = tenders.get(record.pop("sale_id"), [])
                    for column, kind in TENDER_COLUMNS.items():
                        record[column] = sum(t["amount_minor"] for t in record["tenders"] if t["type"] == kind)
                    yield record
