"""Each till's receipt figures per UTC quarter hour at the shop (`shop_till_figures`, issue 27 item 4).

The sync stores a batch's receipts, lines and tenders and, in the same shop transaction, works out
again from those rows every quarter hour of that till the batch touched (refresh): so the figures
are the rows' whatever was sent twice, and a crash leaves both or neither. The shop report reads a
day's quarters (a store's local day is a run of whole quarter hours in every time zone) rather than
the day's receipts. `differences` works every figure out from the rows again and names each one
that is not what is stored (`pos shop verify`).

A figure is (figure, item) -> (n, amount) per till and quarter:
  sales ''      count, sum of totals      tax/discount/change/rounding/tips ''  count, sum
  first/last '' count, min/max receipt no cashier NAME  count, sum of totals
  tender KIND   parts, sum of amounts     brand BRAND   card parts, sum of amounts
  tax_rate BP   lines, sum of line tax    gift_cards '' lines, sum of gift card lines' gross
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from sqlalchemy import text
from sqlalchemy.engine import Connection

from pos.adapters.db.reports import tender_type_sql
from pos.domain.catalog import GIFT_CARD_SKUS
from pos.domain.tender import TenderKind
from pos.domain.text import printable

TABLE = "shop_till_figures"


class Rows:
    """A batch's rows of one table as tuples, with where each column is in them."""

    def __init__(self, names: Sequence[str], rows: Sequence[Sequence[Any]]):
        self.index = {name: n for n, name in enumerate(names)}
        self.rows = rows


QUARTER_CHARS = 16  # 'YYYY-MM-DDTHH:MM', the quarter's start (UTC), as the receipts' text starts


def _quarter(column: str) -> str:
    minute = f"substr({column}, 15, 2)"
    return (
        f"substr({column}, 1, 14) || CASE WHEN {minute} < '15' THEN '00' WHEN {minute} < '30' THEN '15'"
        f" WHEN {minute} < '45' THEN '30' ELSE '45' END"
    )


_SUMS = ("tax_minor", "discount_minor", "change_minor", "rounding_minor", "tips_minor")
_JOIN_TENDERS = " FROM shop_tenders x JOIN shop_receipts r ON r.till_id = x.till_id AND r.receipt_no = x.receipt_no"
_JOIN_LINES = " FROM shop_receipt_lines l JOIN shop_receipts r ON r.till_id = l.till_id AND r.receipt_no = l.receipt_no"


def _figures_sql(where: str) -> str:
    """(till_id, quarter, figure, item, n, amount) worked out from the rows `where` picks (over r)."""
    q = _quarter("r.created_at")
    parts = [
        f"SELECT r.till_id, {q}, 'sales', '', count(*), sum(r.total_minor) FROM shop_receipts r WHERE {where}"
        " GROUP BY 1, 2",
        *(
            f"SELECT r.till_id, {q}, '{column[:-6]}', '', count(*), sum(r.{column}) FROM shop_receipts r"
            f" WHERE {where} GROUP BY 1, 2"
            for column in _SUMS
        ),
        f"SELECT r.till_id, {q}, 'first', '', count(*), min(r.receipt_no) FROM shop_receipts r WHERE {where}"
        " GROUP BY 1, 2",
        f"SELECT r.till_id, {q}, 'last', '', count(*), max(r.receipt_no) FROM shop_receipts r WHERE {where}"
        " GROUP BY 1, 2",
        f"SELECT r.till_id, {q}, 'cashier', r.cashier, count(*), sum(r.total_minor) FROM shop_receipts r"
        f" WHERE {where} GROUP BY 1, 2, 4",
        f"SELECT r.till_id, {q}, 'tender', {tender_type_sql('x.kind', 'x.card_present')}, count(*),"
        f" sum(x.amount_minor){_JOIN_TENDERS} WHERE {where} GROUP BY 1, 2, 4",
        f"SELECT r.till_id, {q}, 'brand', coalesce(x.card_brand, 'unknown'), count(*), sum(x.amount_minor)"
        f"{_JOIN_TENDERS} WHERE x.kind = 'card' AND {where} GROUP BY 1, 2, 4",
        f"SELECT r.till_id, {q}, 'tax_rate', CAST(l.tax_rate_bp AS TEXT), count(*), sum(l.tax_minor)"
        f"{_JOIN_LINES} WHERE {where} GROUP BY 1, 2, 4",
        f"SELECT r.till_id, {q}, 'gift_cards', '', count(*), sum(l.gross_minor){_JOIN_LINES}"
        f" WHERE upper(l.sku) LIKE '{GIFT_CARD_SKUS}%' AND {where} GROUP BY 1, 2",
    ]
    return " UNION ALL ".join(parts)


_COLUMNS = "(till_id, quarter, figure, item, n, amount)"
_SPAN = "r.till_id = :till AND r.created_at >= :lo AND r.created_at < :hi"
_REFRESH_DROP = text(f"DELETE FROM {TABLE} WHERE till_id = :till AND quarter >= :lo AND quarter < :hi")
_REFRESH_FILL = text(f"INSERT INTO {TABLE} {_COLUMNS} {_figures_sql(_SPAN)}")


def quarter_of(at: str) -> str:
    """The start of the UTC quarter hour the stored time `at` falls in, as the figures key it."""
    return at[:14] + f"{int(at[14:16]) // 15 * 15:02d}"


_MINUTE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def unfiled(times: Iterable[Any]) -> str | None:
    """The first of the stored times no quarter hour can be worked out from (a till file edited by
    hand: a time cut to its day, not text at all), or None. quarter_of and the SQL's substr read
    'YYYY-MM-DDTHH:MM' at the start of each; the sync refuses a batch with any other."""
    for at in times:
        minute = at[:QUARTER_CHARS] if isinstance(at, str) else None
        try:
            if minute is None or not _MINUTE.fullmatch(minute):
                return repr(at)
            datetime.fromisoformat(minute)
        except ValueError:
            return repr(at)
    return None


def _tender_named(kind: Any, card_present: Any) -> Any:
    """The tender a stored part is reported as, by the rule of tender_type_sql (the SQL the verify
    works the figures out with): any kind the row holds, not only those TenderKind knows (a file
    edited by hand, a till of a later version), so the two ways agree on every row."""
    return TenderKind.CARD_PRESENT.value if kind == TenderKind.CARD and card_present not in (None, "") else kind


def _after(quarter: str) -> str:
    return (datetime.fromisoformat(quarter) + timedelta(minutes=15)).isoformat(timespec="minutes")


_ADD = text(
    f"INSERT INTO {TABLE} {_COLUMNS} VALUES (:till, :quarter, :figure, :item, :n, :amount)"
    f" ON CONFLICT (till_id, quarter, figure, item) DO UPDATE SET n = {TABLE}.n + excluded.n, amount = CASE"
    f" {TABLE}.figure WHEN 'first' THEN least({TABLE}.amount, excluded.amount)"
    f" WHEN 'last' THEN greatest({TABLE}.amount, excluded.amount) ELSE {TABLE}.amount + excluded.amount END"
)


def add_new(conn: Connection, receipts: Rows, lines: Rows, tenders: Rows) -> None:
    """Adds receipts just stored new (each counted once: the caller knows none was there before)
    with their lines and tenders, as the sync read them, to their quarter hours' figures: the same
    figures _figures_sql works out from the rows, added up here rather than read back (PostgreSQL,
    in the caller's transaction). `verify` and the tests hold the two to the same numbers."""
    found: dict[tuple[str, str, str, str], list[int]] = {}

    def count(key: tuple[str, str, str, str], n: int, amount: int, combine=int.__add__) -> None:
        held = found.get(key)
        found[key] = [n, amount] if held is None else [held[0] + n, combine(held[1], amount)]

    # The receipts by till and quarter hour first, then each figure as one sum over a column (the
    # sums in C, not ten dictionary updates a receipt: issue 27 item 4's per-row Python).
    r = receipts.index
    till_at, no_at, at_at = r["till_id"], r["receipt_no"], r["created_at"]
    minutes: dict[str, str] = {}  # 'YYYY-MM-DDTHH:MM' -> its quarter: a batch's receipts share few
    quarters: dict[tuple[str, int], tuple[str, str]] = {}  # (till, receipt no) -> (till, quarter)
    groups: dict[tuple[str, str], list[Sequence[Any]]] = {}
    for row in receipts.rows:
        minute, till = row[at_at][:16], row[till_at]
        quarter = minutes.get(minute) or minutes.setdefault(minute, quarter_of(minute))
        quarters[(till, row[no_at])] = (till, quarter)
        groups.setdefault((till, quarter), []).append(row)
    for (till, quarter), rows in groups.items():
        columns, n = list(zip(*rows, strict=True)), len(rows)
        count((till, quarter, "sales", ""), n, sum(columns[r["total_minor"]]))
        for column in _SUMS:
            count((till, quarter, column[:-6], ""), n, sum(columns[r[column]]))
        count((till, quarter, "first", ""), n, min(columns[no_at]), min)
        count((till, quarter, "last", ""), n, max(columns[no_at]), max)
        by_cashier: dict[Any, list[int]] = {}
        for cashier, total in zip(columns[r["cashier"]], columns[r["total_minor"]], strict=True):
            held = by_cashier.get(cashier)
            if held is None:
                by_cashier[cashier] = [1, total]
            else:
                held[0] += 1
                held[1] += total
        for cashier, (n, total) in by_cashier.items():
            count((till, quarter, "cashier", cashier), n, total)
    # Tenders and lines: tallied by their figure's key in one dictionary each, inline (a function
    # call a row was half of add_new's time), then added to the figures once a key.
    x = tenders.index
    till_at, no_at, kind_at, present_at = x["till_id"], x["receipt_no"], x["kind"], x["card_present"]
    amount_at, brand_at = x["amount_minor"], x["card_brand"]
    parts: dict[tuple[Any, ...], list[int]] = {}  # (quarter's key, kind, card present, brand) -> n, sum
    for row in tenders.rows:
        key = (quarters[(row[till_at], row[no_at])], row[kind_at], row[present_at], row[brand_at])
        held = parts.get(key)
        if held is None:
            parts[key] = [1, row[amount_at]]
        else:
            held[0] += 1
            held[1] += row[amount_at]
    types: dict[tuple[str, Any], str] = {}
    for ((till, quarter), kind, present, brand), (n, amount) in parts.items():
        named = types.get((kind, present)) or types.setdefault((kind, present), _tender_named(kind, present))
        count((till, quarter, "tender", named), n, amount)
        if kind == TenderKind.CARD:
            count((till, quarter, "brand", brand or "unknown"), n, amount)
    ln = lines.index
    till_at, no_at, rate_at, tax_at, sku_at, gross_at = (
        ln[name] for name in ("till_id", "receipt_no", "tax_rate_bp", "tax_minor", "sku", "gross_minor")
    )
    rates: dict[tuple[Any, ...], list[int]] = {}  # (quarter's key, tax rate) -> lines, sum of their tax
    gifts: dict[tuple[str, str], list[int]] = {}  # quarter's key -> gift card lines, sum of their gross
    gift = {sku: str(sku).upper().startswith(GIFT_CARD_SKUS) for sku in {r[sku_at] for r in lines.rows}}
    for row in lines.rows:
        quarter_key = quarters[(row[till_at], row[no_at])]
        rate_key = (quarter_key, row[rate_at])
        held = rates.get(rate_key)
        if held is None:
            rates[rate_key] = [1, row[tax_at]]
        else:
            held[0] += 1
            held[1] += row[tax_at]
        if gift[row[sku_at]]:
            held = gifts.get(quarter_key)
            if held is None:
                gifts[quarter_key] = [1, row[gross_at]]
            else:
                held[0] += 1
                held[1] += row[gross_at]
    for ((till, quarter), rate), (n, tax) in rates.items():
        count((till, quarter, "tax_rate", str(rate)), n, tax)
    for (till, quarter), (n, gross) in gifts.items():
        count((till, quarter, "gift_cards", ""), n, gross)
    if found:
        conn.execute(
            _ADD,
            [
                {"till": k[0], "quarter": k[1], "figure": k[2], "item": k[3], "n": v[0], "amount": v[1]}
                for k, v in sorted(found.items())  # one order for every till: no two lock each other's rows
            ],
        )


def refresh(conn: Connection, receipts: Iterable[tuple[str, str]]) -> None:
    """Works out again, from the shop's rows, every quarter hour the receipts sent (till id, created
    at) fall in, for each till that wrote them (in the caller's transaction, after their rows are
    stored). Only the till that wrote a receipt sends it, one round at a time (its row at the shop
    is locked), so no other transaction writes these quarters meanwhile."""
    spans: dict[str, tuple[str, str]] = {}
    for till, at in receipts:
        lo, hi = spans.get(till, (at, at))
        spans[till] = (min(lo, at), max(hi, at))
    for till, (first, last) in spans.items():
        span = {"till": till, "lo": quarter_of(first), "hi": _after(quarter_of(last))}
        conn.execute(_REFRESH_DROP, span)
        conn.execute(_REFRESH_FILL, span)


def refill_all(conn: Connection) -> None:
    """Every till's figures worked out again from every receipt (the migration that adds them)."""
    conn.execute(text(f"DELETE FROM {TABLE}"))
    conn.execute(text(f"INSERT INTO {TABLE} {_COLUMNS} {_figures_sql('1 = 1')}"))


def differences(conn: Connection, limit: int = 20) -> list[str]:
    """Every stored figure that is not what the rows give (missing, extra or another value), one
    line each in the owner's words, at most `limit`; none when they agree."""
    worked_out = _figures_sql("1 = 1")
    stored = f"SELECT till_id, quarter, figure, item, n, amount FROM {TABLE}"
    found = []
    for label, sql in (
        ("the receipts give", f"{worked_out} EXCEPT {stored}"),
        ("stored", f"{stored} EXCEPT SELECT * FROM ({worked_out}) w"),
    ):
        for till, quarter, figure, item, n, amount in conn.execute(text(f"SELECT * FROM ({sql}) d LIMIT {limit}")):
            # A row written by hand may hold line ends or terminal escapes: the owner gets one plain line.
            what, where = printable(f"{figure} {item}".strip()), printable(f"till {till}, {quarter} UTC")
            found.append(f"{where}, {what}: {label} {int(n)} for {int(amount)}")
    return found[:limit]


__all__ = ["QUARTER_CHARS", "TABLE", "Rows", "add_new", "differences", "quarter_of", "refill_all", "refresh", "unfiled"]
