"""End-of-day figures straight from SQL aggregates, and the Z sequence that closes a business day."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy.engine import Engine

from pos.domain.report import DayReport

from . import raw
from .raw import now_iso, parse_iso
from .receipts import local_day_bounds


class ReportsRepo:
    def __init__(self, engine: Engine):
        self._engine = engine

    def _figures(self, conn, kind: str, till_id: str, currency: str, start: str, end: str,
                 z_no: int | None = None) -> DayReport:
        where = "till_id = ? AND created_at >= ? AND created_at < ?"
        args = (till_id, start, end)
        count, gross, tax_total = conn.execute(
            f"SELECT count(*), coalesce(sum(total_minor), 0), coalesce(sum(tax_minor), 0) FROM receipts WHERE {where}",
            args).fetchone()
        refunds_count, refunds = conn.execute(
            "SELECT count(*), coalesce(sum(amount_minor), 0) FROM refunds WHERE till_id = ? AND state = 'succeeded' "
            "AND updated_at >= ? AND updated_at < ?", args).fetchone()
        by_rate = conn.execute(
            "SELECT l.tax_rate_bp, sum(l.tax_minor) FROM receipts r JOIN sale_lines l ON l.sale_id = r.sale_id "
            "WHERE r.till_id = ? AND r.created_at >= ? AND r.created_at < ? "
            "GROUP BY l.tax_rate_bp ORDER BY l.tax_rate_bp", args).fetchall()
        by_brand = conn.execute(
            f"SELECT coalesce(card_brand, 'unknown'), count(*), sum(total_minor) FROM receipts WHERE {where} "
            "GROUP BY 1 ORDER BY 3 DESC", args).fetchall()
        hours = [0] * 24
        for hour, value in conn.execute(
                f"SELECT CAST(strftime('%H', created_at, 'localtime') AS INTEGER), sum(total_minor) FROM receipts "
                f"WHERE {where} GROUP BY 1", args):
            hours[hour] = value
        return DayReport(kind=kind, till_id=till_id, currency=currency,
                         period_start=parse_iso(start).astimezone(), period_end=parse_iso(end).astimezone(),
                         sales_count=count, gross_minor=gross, refunds_count=refunds_count, refunds_minor=refunds,
                         tax_minor=tax_total, tax_by_rate=tuple((r, t) for r, t in by_rate),
                         by_brand=tuple((b, n, m) for b, n, m in by_brand), by_hour=tuple(hours), z_no=z_no)

    def for_date(self, day: date, till_id: str, currency: str) -> DayReport:
        start, end = local_day_bounds(day, day)
        with raw.connection(self._engine) as conn:
            return self._figures(conn, "day", till_id, currency, start, end)

    def _open_since(self, conn, till_id: str) -> str:
        last = conn.execute("SELECT max(period_end) FROM z_reports WHERE till_id = ?", (till_id,)).fetchone()[0]
        if last:
            return last
        first = conn.execute("SELECT min(created_at) FROM receipts WHERE till_id = ?", (till_id,)).fetchone()[0]
        return first or now_iso()

    def x_report(self, till_id: str, currency: str) -> DayReport:
        """Everything since the last Z report; closes nothing."""
        with raw.connection(self._engine) as conn:
            return self._figures(conn, "X", till_id, currency, self._open_since(conn, till_id), now_iso())

    def close_day(self, till_id: str, currency: str) -> DayReport:
        """The Z report: the same figures as an X report now, numbered and closing the period."""
        with raw.write(self._engine) as conn:
            start, end = self._open_since(conn, till_id), now_iso()
            number = (conn.execute("SELECT max(z_no) FROM z_reports WHERE till_id = ?",
                                   (till_id,)).fetchone()[0] or 0) + 1
            report = self._figures(conn, "Z", till_id, currency, start, end, z_no=number)
            conn.execute("INSERT INTO z_reports (till_id, z_no, period_start, period_end, figures) VALUES (?,?,?,?,?)",
                         (till_id, number, start, end, json.dumps(report.as_json())))
        return report
