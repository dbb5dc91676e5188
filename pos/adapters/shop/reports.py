"""The shop report: a calendar day across every till, from the shop database.

Each till's figures are worked out here with the same rules as that till's own report
(adapters/db/reports.py: receipts by their time, refunds by when they were given, the drawer and
voids by theirs, all in the store's time zone), grouped by till in SQL; the shop's figures are
their sum (domain/report.combined). So `pos shop report` equals the tills' `pos report` added up
as soon as every till has synced.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from pos.adapters.db.raw import parse_iso
from pos.adapters.db.days import local_day_bounds, store_zone
from pos.adapters.db.reports import by_tender, tender_sums, tender_type_sql
from pos.domain.catalog import GIFT_CARD_SKUS
from pos.domain.report import DayReport, combined

from .connect import shop_errors
from .figures import QUARTER_CHARS


SHOP_TILL_ID = "shop"


def _on_quarters(at: str) -> bool:
    """Whether the stored time `at` is the start of a quarter hour (a day's bound in the store's zone)."""
    moment = parse_iso(at)
    return moment.minute % 15 == 0 and moment.second == 0 and moment.microsecond == 0


class ShopReports:
    def __init__(self, engine: Engine, zone: str = ""):
        self._engine = engine
        self._zone = store_zone(zone)

    def over_refunds(self) -> list[str]:
        """Every receipt the tills' refunds together give back more than was paid on (the refunds met
        at the shop after tills refunded it while cut off from it), one line each."""
        from .claims import over_refunds

        with shop_errors(), self._engine.connect() as conn:
            return over_refunds(conn)

    def figure_differences(self) -> list[str]:
        """Every figure the report reads (figures.py) worked out again from the receipts: those that differ."""
        from .figures import differences

        with shop_errors(), self._engine.connect() as conn:
            return differences(conn)

    def stock_levels(self, location: str | None = None) -> list[tuple[str, str, int]]:
        """(location, sku, on-hand in thousandths) from every till's movements, per location (one
        location's only when named), in location and SKU order."""
        with shop_errors(), self._engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT location, sku, sum(quantity_milli) FROM shop_stock_movements"
                    " WHERE CAST(:loc AS TEXT) IS NULL OR location = :loc GROUP BY location, sku ORDER BY location, sku"
                ),
                {"loc": location},
            ).all()
        return [(str(loc), str(sku), int(milli)) for loc, sku, milli in rows]

    def for_date(self, day: date, currency: str) -> tuple[DayReport, dict[str, DayReport]]:
        """The shop's figures for the day, and each till's (tills with nothing that day are left out)."""
        start, end = local_day_bounds(day, day, self._zone)
        span = {"s": start, "e": end}
        tills: dict[str, dict[str, Any]] = {}

        def till(name: str) -> dict[str, Any]:
            return tills.setdefault(
                name,
                {
                    "by_cashier": [],
                    "tax_by_rate": [],
                    "by_brand": [],
                    "by_hour": [0] * 24,
                    "movements": {},
                    "tender_sales": [],
                    "tender_refunds": [],
                },
            )

        with shop_errors(), self._engine.connect() as conn:

            def rows(sql: str):
                return conn.execute(text(sql), span).all()

            if _on_quarters(start) and _on_quarters(end):
                self._from_figures(conn, start, end, till)
            else:  # a day that does not start on a quarter hour (a zone's old local mean time): the rows
                self._from_rows(rows, till)
            for r in rows(
                f"SELECT f.till_id, {tender_type_sql('f.tender_kind', 'x.card_present')},"
                " sum(f.amount_minor + f.rounding_minor) FROM shop_refunds f LEFT JOIN shop_tenders x"
                " ON x.till_id = f.receipt_till_id AND x.receipt_no = f.receipt_no AND x.part_no = f.tender_part_no"
                " WHERE f.at >= :s AND f.at < :e GROUP BY 1, 2"
            ):
                till(r[0])["tender_refunds"].append((r[1], r[2]))
            for r in rows("SELECT till_id, count(*) FROM shop_voids WHERE at >= :s AND at < :e GROUP BY till_id"):
                till(r[0])["voids_count"] = r[1]
            for r in rows(
                "SELECT till_id, count(*), coalesce(sum(amount_minor), 0), coalesce(sum(tax_minor), 0),"
                " coalesce(sum(rounding_minor), 0)"
                " FROM shop_refunds WHERE at >= :s AND at < :e GROUP BY till_id"
            ):
                # As the till's report: the rounding line is the sales' less the refunds'.
                figures = till(r[0])
                figures.update(
                    refunds_count=r[1],
                    refunds_minor=r[2],
                    tax_refunded_minor=r[3],
                    rounding_minor=figures.get("rounding_minor", 0) - r[4],
                )
            for r in rows(
                "SELECT till_id, kind, sum(amount_minor) FROM shop_drawer_movements WHERE at >= :s AND at < :e"
                " GROUP BY till_id, kind"
            ):
                till(r[0])["movements"][r[1]] = r[2]
        period = (parse_iso(start).astimezone(self._zone), parse_iso(end).astimezone(self._zone))
        by_till = {name: self._report(name, figures, currency, period) for name, figures in sorted(tills.items())}
        shop = combined(list(by_till.values()), till_id=SHOP_TILL_ID, currency=currency, period=period)
        return shop, by_till

    def _from_rows(self, rows, till) -> None:
        """The receipts' figures for the day worked out from the day's receipts, lines and tenders."""
        for r in rows(
            "SELECT till_id, count(*), coalesce(sum(total_minor), 0), coalesce(sum(tax_minor), 0),"
            " coalesce(sum(discount_minor), 0),"
            " coalesce(sum(change_minor), 0), coalesce(sum(rounding_minor), 0), coalesce(sum(tips_minor), 0),"
            " min(receipt_no), max(receipt_no)"
            " FROM shop_receipts WHERE created_at >= :s AND created_at < :e GROUP BY till_id"
        ):
            till(r[0]).update(
                sales_count=r[1],
                gross_minor=r[2],
                tax_minor=r[3],
                discounts_minor=r[4],
                change_minor=r[5],
                rounding_minor=r[6],
                tips_minor=r[7],
                receipt_numbers=(r[8], r[9]),
            )
        # By tender, every kind from its own rows, as the till's report reads them.
        for r in rows(
            f"SELECT x.till_id, {tender_type_sql('x.kind', 'x.card_present')}, count(*), sum(x.amount_minor)"
            " FROM shop_tenders x JOIN shop_receipts r ON r.till_id = x.till_id AND r.receipt_no = x.receipt_no"
            " WHERE r.created_at >= :s AND r.created_at < :e GROUP BY 1, 2"
        ):
            till(r[0])["tender_sales"].append((r[1], r[2], r[3]))
        for r in rows(
            "SELECT till_id, cashier, count(*), coalesce(sum(total_minor), 0) FROM shop_receipts"
            " WHERE created_at >= :s AND created_at < :e GROUP BY till_id, cashier ORDER BY till_id, cashier"
        ):
            till(r[0])["by_cashier"].append((r[1], r[2], r[3]))
        for r in rows(
            "SELECT l.till_id, sum(l.gross_minor) FROM shop_receipt_lines l JOIN shop_receipts r"
            " ON r.till_id = l.till_id AND r.receipt_no = l.receipt_no"
            " WHERE r.created_at >= :s AND r.created_at < :e"
            f" AND upper(l.sku) LIKE '{GIFT_CARD_SKUS}%' GROUP BY l.till_id"
        ):
            till(r[0])["gift_cards_sold_minor"] = r[1]  # held for customers, as the till's report says
        for r in rows(
            "SELECT l.till_id, l.tax_rate_bp, sum(l.tax_minor) FROM shop_receipt_lines l JOIN shop_receipts r"
            " ON r.till_id = l.till_id AND r.receipt_no = l.receipt_no"
            " WHERE r.created_at >= :s AND r.created_at < :e GROUP BY l.till_id, l.tax_rate_bp"
            " ORDER BY l.till_id, l.tax_rate_bp"
        ):
            till(r[0])["tax_by_rate"].append((r[1], r[2]))
        for r in rows(
            "SELECT x.till_id, coalesce(x.card_brand, 'unknown'), count(*), sum(x.amount_minor)"
            " FROM shop_tenders x JOIN shop_receipts r ON r.till_id = x.till_id AND r.receipt_no = x.receipt_no"
            " WHERE x.kind = 'card' AND r.created_at >= :s AND r.created_at < :e GROUP BY 1, 2"
        ):
            till(r[0])["by_brand"].append((r[1], r[2], r[3]))
        # Per UTC quarter hour in SQL, then into the store's local hour (as the till's report does).
        for r in rows(
            "SELECT till_id, substr(created_at, 1, 13), CAST(substr(created_at, 15, 2) AS INTEGER) / 15,"
            " sum(total_minor) FROM shop_receipts WHERE created_at >= :s AND created_at < :e GROUP BY 1, 2, 3"
        ):
            at = datetime.fromisoformat(f"{r[1]}:00+00:00") + timedelta(minutes=15 * r[2])
            till(r[0])["by_hour"][at.astimezone(self._zone).hour] += r[3]

    def _from_figures(self, conn, start: str, end: str, till) -> None:
        """The receipts' figures for the day from the tills' quarter hours (figures.py): the same
        figures as _from_rows gives, read from a few hundred rows whatever the day's receipts."""
        span = {"s": start[:QUARTER_CHARS], "e": end[:QUARTER_CHARS]}
        found = conn.execute(
            text(
                "SELECT till_id, figure, item, sum(n), sum(amount), min(amount), max(amount) FROM shop_till_figures"
                " WHERE quarter >= :s AND quarter < :e AND figure != 'sales' GROUP BY till_id, figure, item"
            ),
            span,
        ).all()
        sales = conn.execute(
            text(
                "SELECT till_id, quarter, n, amount FROM shop_till_figures"
                " WHERE quarter >= :s AND quarter < :e AND figure = 'sales' ORDER BY till_id, quarter"
            ),
            span,
        ).all()
        for name, quarter, n, amount in sales:
            figures = till(name)
            figures["sales_count"] = figures.get("sales_count", 0) + int(n)
            figures["gross_minor"] = figures.get("gross_minor", 0) + int(amount)
            at = datetime.fromisoformat(f"{quarter}:00+00:00")
            figures["by_hour"][at.astimezone(self._zone).hour] += int(amount)
        sums = {"tax": "tax_minor", "discount": "discounts_minor", "change": "change_minor"}
        sums.update(rounding="rounding_minor", tips="tips_minor", gift_cards="gift_cards_sold_minor")
        numbers: dict[str, list[int]] = {}
        names = {name for name, *_ in found}
        for name, figure, item, n, amount, least, most in sorted(found, key=lambda r: (r[0], r[1], r[2])):
            figures = till(name)
            if figure in sums:
                figures[sums[figure]] = int(amount)
            elif figure == "first":
                numbers.setdefault(name, [0, 0])[0] = int(least)
            elif figure == "last":
                numbers.setdefault(name, [0, 0])[1] = int(most)
            elif figure == "cashier":
                figures["by_cashier"].append((item, int(n), int(amount)))
            elif figure == "tender":
                figures["tender_sales"].append((item, int(n), int(amount)))
            elif figure == "brand":
                figures["by_brand"].append((item, int(n), int(amount)))
            elif figure == "tax_rate":
                figures["tax_by_rate"].append((int(item), int(amount)))
        for name, (first, last) in numbers.items():
            till(name)["receipt_numbers"] = (first, last)
        for name in names:
            till(name)["tax_by_rate"].sort()

    @staticmethod
    def _report(name: str, f: dict[str, Any], currency: str, period: tuple[datetime, datetime]) -> DayReport:
        movements = f.pop("movements")
        tenders = by_tender(f.pop("tender_sales"), f.pop("tender_refunds"))
        sums = tender_sums(tenders)
        brands = sorted(f.pop("by_brand"), key=lambda b: (-b[2], b[0]))
        return DayReport(
            kind="day",
            till_id=name,
            currency=currency,
            period_start=period[0],
            period_end=period[1],
            sales_count=f.pop("sales_count", 0),
            gross_minor=f.pop("gross_minor", 0),
            refunds_count=f.pop("refunds_count", 0),
            refunds_minor=f.pop("refunds_minor", 0),
            tax_minor=f.pop("tax_minor", 0),
            tax_by_rate=tuple(f.pop("tax_by_rate")),
            by_brand=tuple(brands),
            by_hour=tuple(f.pop("by_hour")),
            by_cashier=tuple(f.pop("by_cashier")),
            float_minor=movements.get("float", 0),
            paid_in_minor=movements.get("paid_in", 0),
            paid_out_minor=movements.get("paid_out", 0),
            by_tender=tenders,
            cash_sales_minor=sums["cash_sales_minor"],
            card_sales_minor=sums["card_sales_minor"],
            cash_refunds_minor=sums["cash_refunds_minor"],
            card_refunds_minor=sums["card_refunds_minor"],
            **f,
        )


__all__ = ["SHOP_TILL_ID", "ShopReports"]
