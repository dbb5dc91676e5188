"""End-of-day figures straight from SQL aggregates, and the Z sequence that closes a business day.

An X or Z report covers records by sequence, never by clock: every receipt and refund
numbered after the last Z's. A clock set back after a Z cannot hide a sale from the next
one, and one set forward cannot pull sales into a closed day. The period a report shows
is the time range its records actually carry. A calendar-day report (`pos report --date`)
is the one question asked by time, in the store's time zone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, Table, and_, case, cast, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

from pos.domain.catalog import GIFT_CARD_SKUS
from pos.domain.report import DayReport, tender_rows
from pos.domain.tender import TenderKind

from . import core
from . import schema as tables
from .raw import now_iso, parse_iso
from .days import local_day_bounds, store_zone


def tender_type_sql(kind: str, card_present: str) -> str:
    """domain/tender.tender_type in SQL, over the columns named: the kind a stored tender (or a
    refund given back to it) is reported as; a `card` row with a reader's EMV fields is card_present."""
    return (
        f"CASE WHEN {kind} = '{TenderKind.CARD}' AND coalesce({card_present}, '') != '' "
        f"THEN '{TenderKind.CARD_PRESENT}' ELSE {kind} END"
    )


def by_tender(
    sales: list[tuple[str, int, int]], refunds: list[tuple[str, int]]
) -> tuple[tuple[str, int, int, int], ...]:
    """DayReport.by_tender from (kind, parts, sales) and (kind, refunds) rows."""
    figures: dict[str, tuple[int, int, int]] = {}
    for kind, n, minor in sales:
        figures[kind] = (n, minor, figures.get(kind, (0, 0, 0))[2])
    for kind, minor in refunds:
        n, sold, _refunded = figures.get(kind, (0, 0, 0))
        figures[kind] = (n, sold, minor)
    return tender_rows(figures)


def tender_sums(tenders: tuple[tuple[str, int, int, int], ...]) -> dict[str, int]:
    """The report's cash and card lines, each from its own kinds' rows (a reader's card is a card):
    nothing is worked out as "the rest", so a gift card or store credit is never booked as card."""
    sales = {kind: minor for kind, _n, minor, _r in tenders}
    refunds = {kind: minor for kind, _n, _s, minor in tenders}
    cards = (TenderKind.CARD, TenderKind.CARD_PRESENT)
    return {
        "cash_sales_minor": sales.get(TenderKind.CASH, 0),
        "card_sales_minor": sum(sales.get(kind, 0) for kind in cards),
        "cash_refunds_minor": refunds.get(TenderKind.CASH, 0),
        "card_refunds_minor": sum(refunds.get(kind, 0) for kind in cards),
    }


def _summed(rows) -> list[tuple[str, int]]:
    """(kind, minor) rows with a kind more than once (refunds and unverified returns) added up."""
    out: dict[str, int] = {}
    for kind, minor in rows:
        out[kind] = out.get(kind, 0) + minor
    return list(out.items())


# The tables a report reads (schema's names for Core).
_receipts, _tenders, _refunds, _returns = tables.receipts, tables.tenders, tables.refunds, tables.unverified_returns
_lines = tables.sale_lines
_movements, _voids, _lines, _z = tables.drawer_movements, tables.voids, tables.sale_lines, tables.z_reports

Where = Callable[[Table], list[ColumnElement[bool]]]


def tender_type(kind: ColumnElement[str], card_present: ColumnElement[str | None]) -> ColumnElement[str]:
    """tender_type_sql as a Core expression, for the till's reports."""
    reader = and_(kind == TenderKind.CARD.value, func.coalesce(card_present, "") != "")
    return case((reader, TenderKind.CARD_PRESENT.value), else_=kind)


def _sum(column) -> ColumnElement[int]:
    return func.coalesce(func.sum(column), 0)


@dataclass(frozen=True)
class _Span:
    """Which records a report covers: by sequence numbers, or (a calendar day) by time. Each is the
    conditions on its table; `refunds` serves unverified returns too (one numbering, same columns)."""

    receipts: Where
    refunds: Where
    movements: Where
    voids: Where
    # The numbers a Z closes at: the last receipt, refund, drawer movement and void it covers.
    upto: tuple[int, int, int, int] = (0, 0, 0, 0)


def _by_sequence(
    till_id: str,
    after_receipt: int,
    upto_receipt: int,
    after_refund: int,
    upto_refund: int,
    after_movement: int,
    upto_movement: int,
    after_void: int = 0,
    upto_void: int = 0,
) -> _Span:
    return _Span(
        lambda t: [t.c.till_id == till_id, t.c.receipt_no > after_receipt, t.c.receipt_no <= upto_receipt],
        lambda t: [
            t.c.till_id == till_id,
            t.c.state == "succeeded",
            t.c.refund_no > after_refund,
            t.c.refund_no <= upto_refund,
        ],
        lambda t: [t.c.till_id == till_id, t.c.id > after_movement, t.c.id <= upto_movement],
        lambda t: [t.c.till_id == till_id, t.c.id > after_void, t.c.id <= upto_void],
        (upto_receipt, upto_refund, upto_movement, upto_void),
    )


def _by_time(till_id: str, start: str, end: str) -> _Span:
    def stamped(column: str) -> Where:
        return lambda t: [t.c.till_id == till_id, t.c[column] >= start, t.c[column] < end]

    def succeeded(t: Table) -> list[ColumnElement[bool]]:
        return [t.c.state == "succeeded", *stamped("updated_at")(t)]

    return _Span(stamped("created_at"), succeeded, stamped("at"), stamped("at"))


class ReportsRepo:
    def __init__(self, engine: Engine, zone: str = ""):
        self._engine = engine
        self._zone: ZoneInfo | None = store_zone(zone)

    def _figures(
        self,
        conn: Connection,
        kind: str,
        till_id: str,
        currency: str,
        span: _Span,
        z_no: int | None = None,
        period: tuple[str, str] | None = None,
    ) -> DayReport:
        r, t = _receipts, _tenders
        where = span.receipts(r)
        sold = select(r.c.sale_id).where(*where)  # the sales the covered receipts closed
        count, gross, tax_total, discounts, first_at, last_at, first_no, last_no, change, rounding = conn.execute(
            select(
                func.count(),
                _sum(r.c.total_minor),
                _sum(r.c.tax_minor),
                _sum(r.c.discount_minor),
                func.min(r.c.created_at),
                func.max(r.c.created_at),
                func.min(r.c.receipt_no),
                func.max(r.c.receipt_no),
                _sum(r.c.change_minor),
                _sum(r.c.rounding_minor),
            ).where(*where)
        ).one()
        # Gift card lines among them (money held for customers, not goods): domain/catalog's SKU prefix.
        gift_cards_sold = conn.execute(
            select(_sum(_lines.c.gross_minor)).where(
                _lines.c.sale_id.in_(sold), func.upper(_lines.c.sku).like(GIFT_CARD_SKUS + "%")
            )
        ).scalar_one()
        # By tender: every kind from its own rows (the parts that paid the covered sales).
        kind_of = tender_type(t.c.kind, t.c.card_present)
        tender_sales = conn.execute(
            select(kind_of, func.count(), func.sum(t.c.amount_minor))
            .where(t.c.state == "paid", t.c.sale_id.in_(sold))
            .group_by(kind_of)
        ).all()
        by_cashier = conn.execute(
            select(r.c.cashier, func.count(), _sum(r.c.total_minor))
            .where(*where)
            .group_by(r.c.cashier)
            .order_by(r.c.cashier)
        ).all()
        voids_count = conn.execute(select(func.count()).select_from(_voids).where(*span.voids(_voids))).scalar_one()
        # Tips given on the card reader: what the cards were charged beyond their share of the sales.
        tips = conn.execute(
            select(_sum(t.c.tendered_minor - t.c.amount_minor)).where(
                t.c.kind == "card", t.c.state == "paid", t.c.sale_id.in_(sold)
            )
        ).scalar_one()
        f = _refunds
        refunds_count, refunds, tax_refunded, refund_first_at, refund_last_at, refund_rounding = conn.execute(
            select(
                func.count(),
                _sum(f.c.amount_minor),
                _sum(f.c.tax_minor),
                func.min(f.c.updated_at),
                func.max(f.c.updated_at),
                _sum(f.c.rounding_minor),
            ).where(*span.refunds(f))
        ).one()
        # What went back to each kind, from the refund's own kind (how it was given back; a card
        # refund of a reader payment is card_present): cash with its rounding, as it left the drawer.
        given = select(f).where(*span.refunds(f)).subquery("f")
        back_to = tender_type(given.c.tender_kind, t.c.card_present)
        tender_refunds = list(
            conn.execute(
                select(back_to, func.sum(given.c.amount_minor + given.c.rounding_minor))
                .select_from(given.outerjoin(t, t.c.id == given.c.tender_id))
                .group_by(back_to)
            ).all()
        )
        # Goods back without a receipt: refunds of goods in the same numbering, by how they were given
        # back (cash or store credit), and counted again apart as unverified.
        u = _returns
        unverified_count, unverified, unverified_first_at, unverified_last_at = conn.execute(
            select(func.count(), _sum(u.c.amount_minor), func.min(u.c.updated_at), func.max(u.c.updated_at)).where(
                *span.refunds(u)
            )
        ).one()
        tender_refunds += conn.execute(
            select(u.c.tender_kind, func.sum(u.c.amount_minor + u.c.rounding_minor))
            .where(*span.refunds(u))
            .group_by(u.c.tender_kind)
        ).all()
        tenders = by_tender([tuple(row) for row in tender_sales], _summed(tender_refunds))
        sums = tender_sums(tenders)
        m = _movements
        movements = dict(
            conn.execute(
                select(m.c.kind, func.sum(m.c.amount_minor)).where(*span.movements(m)).group_by(m.c.kind)
            ).all()
        )
        by_rate = conn.execute(
            select(_lines.c.tax_rate_bp, func.sum(_lines.c.tax_minor))
            .where(_lines.c.sale_id.in_(sold))
            .group_by(_lines.c.tax_rate_bp)
            .order_by(_lines.c.tax_rate_bp)
        ).all()
        # Card payments by brand: each card part of a sale counts (a bill split over two cards is two).
        brand, brand_sum = func.coalesce(t.c.card_brand, "unknown"), func.sum(t.c.amount_minor)
        by_brand = conn.execute(
            select(brand, func.count(), brand_sum)
            .where(t.c.kind == "card", t.c.sale_id.in_(sold))
            .group_by(brand)
            .order_by(brand_sum.desc())
        ).all()
        hours = [0] * 24
        # Summed per UTC quarter hour in SQL (every time zone's offset is a whole number of quarters),
        # then each quarter placed in the store's local hour: exact, and ~100 rows instead of a day's sales.
        utc_hour = func.substr(r.c.created_at, 1, 13)
        quarter = cast(func.substr(r.c.created_at, 15, 2), Integer) // 15
        for hour_text, quarter_no, value in conn.execute(
            select(utc_hour, quarter, func.sum(r.c.total_minor)).where(*where).group_by(utc_hour, quarter)
        ):
            start = datetime.fromisoformat(f"{hour_text}:00+00:00") + timedelta(minutes=15 * quarter_no)
            hours[start.astimezone(self._zone).hour] += value
        if period is None:
            # The time range the covered records actually carry (it may run backwards if the clock did).
            stamps = [
                t
                for t in (first_at, last_at, refund_first_at, refund_last_at, unverified_first_at, unverified_last_at)
                if t
            ]
            period = (min(stamps), max(stamps)) if stamps else (now_iso(), now_iso())
        return DayReport(
            kind=kind,
            till_id=till_id,
            currency=currency,
            period_start=parse_iso(period[0]).astimezone(self._zone),
            period_end=parse_iso(period[1]).astimezone(self._zone),
            sales_count=count,
            gross_minor=gross,
            gift_cards_sold_minor=gift_cards_sold,
            refunds_count=refunds_count + unverified_count,
            refunds_minor=refunds + unverified,
            tax_minor=tax_total,
            tax_refunded_minor=tax_refunded,
            discounts_minor=discounts,
            change_minor=change,
            # Cash refunds hand back their amount plus its cash rounding; the rounding line is the
            # sales' less the refunds' (a sale paid 4.55 for 4.53, refunded 4.55 in cash: 0 in all).
            rounding_minor=rounding - refund_rounding,
            by_tender=tenders,
            cash_sales_minor=sums["cash_sales_minor"],
            card_sales_minor=sums["card_sales_minor"],
            cash_refunds_minor=sums["cash_refunds_minor"],
            card_refunds_minor=sums["card_refunds_minor"],
            unverified_returns_count=unverified_count,
            unverified_returns_minor=unverified,
            tips_minor=tips,
            by_cashier=tuple((c, n, m) for c, n, m in by_cashier),
            voids_count=voids_count,
            float_minor=movements.get("float", 0),
            paid_in_minor=movements.get("paid_in", 0),
            paid_out_minor=movements.get("paid_out", 0),
            tax_by_rate=tuple((r, t) for r, t in by_rate),
            by_brand=tuple((b, n, m) for b, n, m in by_brand),
            by_hour=tuple(hours),
            z_no=z_no,
            receipt_numbers=(first_no, last_no) if count else None,
        )

    def for_date(self, day: date, till_id: str, currency: str) -> DayReport:
        """A calendar day in the store's time zone: the one report asked by time, not by sequence."""
        start, end = local_day_bounds(day, day, self._zone)
        with core.reading(self._engine) as conn:
            return self._figures(conn, "day", till_id, currency, _by_time(till_id, start, end), period=(start, end))

    def _open_span(self, conn: Connection, till_id: str) -> _Span:
        """Everything numbered after the last Z, up to the newest numbers now."""
        closed = conn.execute(
            select(_z.c.last_receipt_no, _z.c.last_refund_no, _z.c.last_movement_id, _z.c.last_void_id)
            .where(_z.c.till_id == till_id)
            .order_by(_z.c.z_no.desc())
            .limit(1)
        ).first()
        after_receipt, after_refund, after_movement, after_void = closed if closed else (0, 0, 0, 0)
        # On first use (an X or a Z): `pos report` of a calendar day reads neither module (issue 27 item 2).
        from .returns import next_refund_no

        def newest(column) -> int:
            return conn.execute(
                select(func.coalesce(func.max(column), 0)).where(column.table.c.till_id == till_id)
            ).scalar_one()

        upto_void, upto_movement = newest(_voids.c.id), newest(_movements.c.id)
        upto_receipt = newest(_receipts.c.receipt_no)
        upto_refund = next_refund_no(conn, till_id) - 1  # refunds and unverified returns share the numbering
        return _by_sequence(
            till_id,
            after_receipt,
            max(upto_receipt, after_receipt),
            after_refund,
            max(upto_refund, after_refund),
            after_movement,
            max(upto_movement, after_movement),
            after_void,
            max(upto_void, after_void),
        )

    def x_report(self, till_id: str, currency: str) -> DayReport:
        """Everything since the last Z report; closes nothing."""
        with core.reading(self._engine) as conn:
            return self._figures(conn, "X", till_id, currency, self._open_span(conn, till_id))

    def close_day(self, till_id: str, currency: str, counted_cash_minor: int | None = None) -> DayReport:
        """The Z report: the same figures as an X report now, numbered, closing them by sequence,
        with the cash the cashier counted in the drawer (if counted)."""
        from . import audit  # on first use: a report that only reads writes no event

        with core.writing(self._engine) as conn:
            span = self._open_span(conn, till_id)
            number = (conn.execute(select(func.max(_z.c.z_no)).where(_z.c.till_id == till_id)).scalar() or 0) + 1
            report = replace(
                self._figures(conn, "Z", till_id, currency, span, z_no=number), counted_cash_minor=counted_cash_minor
            )
            upto_receipt, upto_refund, upto_movement, upto_void = span.upto
            z_id = conn.execute(
                insert(_z).values(
                    till_id=till_id,
                    z_no=number,
                    period_start=report.period_start.isoformat(),
                    period_end=report.period_end.isoformat(),
                    figures=json.dumps(report.as_json()),
                    last_receipt_no=upto_receipt,
                    last_refund_no=upto_refund,
                    last_movement_id=upto_movement,
                    counted_cash_minor=counted_cash_minor,
                    cashier=audit.current_actor(),
                    last_void_id=upto_void,
                )
            ).lastrowid
            # The Z's own event closes the day in the trail; its hash is the head the Z prints.
            event = audit.append(
                conn,
                till_id,
                "z_report",
                f"Z {audit.numbered(till_id, number)}",
                audit.covering(conn, "z_report", z_id),
            )
            conn.execute(update(_z).where(_z.c.id == z_id).values(audit_head=event.hash))
        return replace(report, audit_head=event.hash)


__all__ = ["ReportsRepo", "by_tender", "tender_sums", "tender_type_sql"]
