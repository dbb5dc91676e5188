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
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from pos.domain.report import DayReport, tender_rows
from pos.domain.tender import TenderKind

from . import audit, raw
from .raw import now_iso, parse_iso
from .days import local_day_bounds, store_zone
from .returns import next_refund_no


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


@dataclass(frozen=True)
class _Span:
    """Which records a report covers: by sequence numbers, or (a calendar day) by time."""

    receipts: tuple[str, tuple]
    refunds: tuple[str, tuple]
    movements: tuple[str, tuple]
    voids: tuple[str, tuple]


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
        ("till_id = ? AND receipt_no > ? AND receipt_no <= ?", (till_id, after_receipt, upto_receipt)),
        (
            "till_id = ? AND state = 'succeeded' AND refund_no > ? AND refund_no <= ?",
            (till_id, after_refund, upto_refund),
        ),
        ("till_id = ? AND id > ? AND id <= ?", (till_id, after_movement, upto_movement)),
        ("till_id = ? AND id > ? AND id <= ?", (till_id, after_void, upto_void)),
    )


class ReportsRepo:
    def __init__(self, engine: Engine, zone: str = ""):
        self._engine = engine
        self._zone: ZoneInfo | None = store_zone(zone)

    def _figures(
        self,
        conn,
        kind: str,
        till_id: str,
        currency: str,
        span: _Span,
        z_no: int | None = None,
        period: tuple[str, str] | None = None,
    ) -> DayReport:
        where, args = span.receipts
        count, gross, tax_total, discounts, first_at, last_at, first_no, last_no = conn.execute(
            "SELECT count(*), coalesce(sum(total_minor), 0), coalesce(sum(tax_minor), 0), "
            "coalesce(sum(discount_minor), 0), min(created_at), "
            f"max(created_at), min(receipt_no), max(receipt_no) FROM receipts WHERE {where}",
            args,
        ).fetchone()
        change, rounding = conn.execute(
            f"SELECT coalesce(sum(change_minor), 0), coalesce(sum(rounding_minor), 0) FROM receipts WHERE {where}",
            args,
        ).fetchone()
        # By tender: every kind from its own rows (the parts that paid the covered sales).
        tender_sales = conn.execute(
            f"SELECT {tender_type_sql('kind', 'card_present')}, count(*), sum(amount_minor) FROM tenders "
            f"WHERE state = 'paid' AND sale_id IN (SELECT sale_id FROM receipts WHERE {where}) GROUP BY 1",
            args,
        ).fetchall()
        by_cashier = conn.execute(
            f"SELECT cashier, count(*), coalesce(sum(total_minor), 0) FROM receipts WHERE {where} "
            "GROUP BY cashier ORDER BY cashier",
            args,
        ).fetchall()
        (voids_count,) = conn.execute(f"SELECT count(*) FROM voids WHERE {span.voids[0]}", span.voids[1]).fetchone()
        # Tips given on the card reader: what the cards were charged beyond their share of the sales.
        (tips,) = conn.execute(
            "SELECT coalesce(sum(tendered_minor - amount_minor), 0) FROM tenders WHERE kind = 'card' "
            f"AND state = 'paid' AND sale_id IN (SELECT sale_id FROM receipts WHERE {where})",
            args,
        ).fetchone()
        refund_where, refund_args = span.refunds
        refunds_count, refunds, tax_refunded, refund_first_at, refund_last_at, refund_rounding = conn.execute(
            "SELECT count(*), coalesce(sum(amount_minor), 0), coalesce(sum(tax_minor), 0), min(updated_at), "
            f"max(updated_at), coalesce(sum(rounding_minor), 0) FROM refunds WHERE {refund_where}",
            refund_args,
        ).fetchone()
        # What went back to each kind, from the refund's own kind (how it was given back; a card
        # refund of a reader payment is card_present): cash with its rounding, as it left the drawer.
        tender_refunds = conn.execute(
            f"SELECT {tender_type_sql('f.tender_kind', 'x.card_present')}, sum(f.amount_minor + f.rounding_minor)"
            f" FROM (SELECT * FROM refunds WHERE {refund_where}) f LEFT JOIN tenders x ON x.id = f.tender_id"
            " GROUP BY 1",
            refund_args,
        ).fetchall()
        # Goods back without a receipt: refunds of goods in the same numbering, by how they were given
        # back (cash or store credit), and counted again apart as unverified.
        unverified_count, unverified, unverified_first_at, unverified_last_at = conn.execute(
            "SELECT count(*), coalesce(sum(amount_minor), 0), min(updated_at), max(updated_at) "
            f"FROM unverified_returns WHERE {refund_where}",
            refund_args,
        ).fetchone()
        tender_refunds = (
            tender_refunds
            + conn.execute(
                "SELECT tender_kind, sum(amount_minor + rounding_minor) "
                f"FROM unverified_returns WHERE {refund_where} GROUP BY 1",
                refund_args,
            ).fetchall()
        )
        tenders = by_tender([tuple(r) for r in tender_sales], _summed(tender_refunds))
        sums = tender_sums(tenders)
        movements = dict(
            conn.execute(
                f"SELECT kind, sum(amount_minor) FROM drawer_movements WHERE {span.movements[0]} GROUP BY kind",
                span.movements[1],
            ).fetchall()
        )
        by_rate = conn.execute(
            "SELECT tax_rate_bp, sum(tax_minor) FROM sale_lines "
            f"WHERE sale_id IN (SELECT sale_id FROM receipts WHERE {where}) "
            "GROUP BY tax_rate_bp ORDER BY tax_rate_bp",
            args,
        ).fetchall()
        # Card payments by brand: each card part of a sale counts (a bill split over two cards is two).
        by_brand = conn.execute(
            "SELECT coalesce(card_brand, 'unknown'), count(*), sum(amount_minor) FROM tenders "
            f"WHERE kind = 'card' AND sale_id IN (SELECT sale_id FROM receipts WHERE {where}) "
            "GROUP BY 1 ORDER BY 3 DESC",
            args,
        ).fetchall()
        hours = [0] * 24
        # Summed per UTC quarter hour in SQL (every time zone's offset is a whole number of quarters),
        # then each quarter placed in the store's local hour: exact, and ~100 rows instead of a day's sales.
        for utc_hour, quarter, value in conn.execute(
            "SELECT substr(created_at, 1, 13), CAST(substr(created_at, 15, 2) AS INTEGER) / 15, "
            f"sum(total_minor) FROM receipts WHERE {where} GROUP BY 1, 2",
            args,
        ):
            start = datetime.fromisoformat(f"{utc_hour}:00+00:00") + timedelta(minutes=15 * quarter)
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
        span = _Span(
            ("till_id = ? AND created_at >= ? AND created_at < ?", (till_id, start, end)),
            ("till_id = ? AND state = 'succeeded' AND updated_at >= ? AND updated_at < ?", (till_id, start, end)),
            ("till_id = ? AND at >= ? AND at < ?", (till_id, start, end)),
            ("till_id = ? AND at >= ? AND at < ?", (till_id, start, end)),
        )
        with raw.connection(self._engine) as conn:
            return self._figures(conn, "day", till_id, currency, span, period=(start, end))

    def _open_span(self, conn, till_id: str) -> _Span:
        """Everything numbered after the last Z, up to the newest numbers now."""
        closed = conn.execute(
            "SELECT last_receipt_no, last_refund_no, last_movement_id, last_void_id FROM z_reports WHERE till_id = ? "
            "ORDER BY z_no DESC LIMIT 1",
            (till_id,),
        ).fetchone()
        after_receipt, after_refund, after_movement, after_void = closed if closed else (0, 0, 0, 0)
        upto_void = conn.execute("SELECT coalesce(max(id), 0) FROM voids WHERE till_id = ?", (till_id,)).fetchone()[0]
        upto_movement = conn.execute(
            "SELECT coalesce(max(id), 0) FROM drawer_movements WHERE till_id = ?", (till_id,)
        ).fetchone()[0]
        upto_receipt = conn.execute(
            "SELECT coalesce(max(receipt_no), 0) FROM receipts WHERE till_id = ?", (till_id,)
        ).fetchone()[0]
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
        with raw.connection(self._engine) as conn:
            return self._figures(conn, "X", till_id, currency, self._open_span(conn, till_id))

    def close_day(self, till_id: str, currency: str, counted_cash_minor: int | None = None) -> DayReport:
        """The Z report: the same figures as an X report now, numbered, closing them by sequence,
        with the cash the cashier counted in the drawer (if counted)."""
        with raw.write(self._engine) as conn:
            span = self._open_span(conn, till_id)
            number = (
                conn.execute("SELECT max(z_no) FROM z_reports WHERE till_id = ?", (till_id,)).fetchone()[0] or 0
            ) + 1
            report = replace(
                self._figures(conn, "Z", till_id, currency, span, z_no=number), counted_cash_minor=counted_cash_minor
            )
            upto_receipt, upto_refund, upto_movement = span.receipts[1][2], span.refunds[1][2], span.movements[1][2]
            upto_void = span.voids[1][2]
            z_id = conn.execute(
                "INSERT INTO z_reports (till_id, z_no, period_start, period_end, figures, last_receipt_no, "
                "last_refund_no, last_movement_id, counted_cash_minor, cashier, last_void_id)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    till_id,
                    number,
                    report.period_start.isoformat(),
                    report.period_end.isoformat(),
                    json.dumps(report.as_json()),
                    upto_receipt,
                    upto_refund,
                    upto_movement,
                    counted_cash_minor,
                    audit.current_actor(),
                    upto_void,
                ),
            ).lastrowid
            # The Z's own event closes the day in the trail; its hash is the head the Z prints.
            event = audit.append(
                conn,
                till_id,
                "z_report",
                f"Z {audit.numbered(till_id, number)}",
                audit.covering(conn, "z_report", z_id),
            )
            conn.execute("UPDATE z_reports SET audit_head = ? WHERE id = ?", (event.hash, z_id))
        return replace(report, audit_head=event.hash)


__all__ = ["ReportsRepo", "by_tender", "tender_sums", "tender_type_sql"]
