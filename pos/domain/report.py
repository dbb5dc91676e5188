"""End-of-day figures (X and Z reports) and how they are written: text, CSV rows, JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import tax
from .money import Money
from .tender import TenderKind
from .text import center, printable


@dataclass(frozen=True)
class DayReport:
    kind: str  # "X" (nothing closed), "Z" (closes the day) or "day" (a calendar date)
    till_id: str
    currency: str
    period_start: datetime
    period_end: datetime
    sales_count: int
    gross_minor: int
    refunds_count: int
    refunds_minor: int
    tax_minor: int  # tax on the sales
    tax_by_rate: tuple[tuple[int, int], ...]  # (rate in basis points, tax on sales in minor units)
    by_brand: tuple[tuple[str, int, int], ...]  # (card brand, sales, minor units)
    by_hour: tuple[int, ...] = field(default=(0,) * 24)  # gross per local hour, minor units
    z_no: int | None = None
    receipt_numbers: tuple[int, int] | None = None  # first and last receipt covered, when any
    tax_refunded_minor: int = 0  # the tax inside the refunds covered
    discounts_minor: int = 0  # taken off the sales covered (gross is after them)
    # The drawer: cash put in or taken out other than by sales, and what was counted at the Z.
    float_minor: int = 0
    paid_in_minor: int = 0
    paid_out_minor: int = 0
    counted_cash_minor: int | None = None
    # By tender: what sales left in the drawer (cash handed over less change) and took by card.
    cash_sales_minor: int = 0
    card_sales_minor: int = 0
    change_minor: int = 0  # handed back as change (cash taken = cash_sales + change)
    # Cash rounding of the sales less that of the cash refunds (cash + card = gross + rounding, net of refunds).
    rounding_minor: int = 0
    cash_refunds_minor: int = 0  # handed back from the drawer, rounded (card parts too, when confirmed)
    card_refunds_minor: int = 0  # given back through Stripe
    # Goods taken back without a receipt (a manager approved each): inside the refunds above.
    unverified_returns_count: int = 0
    unverified_returns_minor: int = 0
    tips_minor: int = 0  # added by customers on the card reader: charged to cards, not part of the sales
    by_cashier: tuple[tuple[str, int, int], ...] = ()  # (cashier, sales, gross minor units); "" = no cashier
    voids_count: int = 0  # lines removed or carts cleared after Pay, sales abandoned
    audit_head: str = ""  # a Z: the audit trail's hash when it closed the day
    # Every kind of tender that has money, read from the tender and refund rows by kind (never one
    # kind as "the rest"): (kind, tender parts, sales minor units, refunds minor units), in TenderKind's
    # order. Sales are what the parts paid (cash: handed over less change); refunds what went back to
    # that kind (cash: what left the drawer, its rounding included). So the sales add up to the
    # cash and card sales plus every other kind's, and the refunds to the cash and card refunds plus
    # every other kind's.
    by_tender: tuple[tuple[str, int, int, int], ...] = ()
    # Gift cards sold or reloaded in the sales covered (inside gross): money held for customers, not
    # goods sold. A card spent later shows again as that sale's gift card tender, so takings are gross
    # less this (counting both would book the same money twice).
    gift_cards_sold_minor: int = 0

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.refunds_minor

    @property
    def goods_sales_minor(self) -> int:
        """Gross less the gift cards sold: what the goods and services sold came to."""
        return self.gross_minor - self.gift_cards_sold_minor

    @property
    def cash_taken_minor(self) -> int:
        return self.cash_sales_minor + self.change_minor

    @property
    def expected_cash_minor(self) -> int:
        """What the drawer should hold: float + cash taken − change − cash refunds + paid in − paid out."""
        return (
            self.float_minor
            + self.cash_taken_minor
            - self.change_minor
            - self.cash_refunds_minor
            + self.paid_in_minor
            - self.paid_out_minor
        )

    @property
    def over_short_minor(self) -> int | None:
        """Counted less expected: negative when the drawer is short; None when nobody counted."""
        return None if self.counted_cash_minor is None else self.counted_cash_minor - self.expected_cash_minor

    @property
    def net_tax_minor(self) -> int:
        """What is owed: tax on sales less the tax given back by refunds."""
        return self.tax_minor - self.tax_refunded_minor

    def money(self, minor: int) -> Money:
        return Money(minor, self.currency)

    def title(self) -> str:
        if self.kind == "Z":
            return f"Z report {self.z_no:04d} (day closed)"
        if self.kind == "X":
            return "X report (day still open)"
        return f"Report for {self.period_start:%Y-%m-%d}"

    def as_json(self) -> dict[str, Any]:
        """Amounts as integers in minor units, under names that say what they are."""
        return {
            "report": self.kind,
            "z_no": self.z_no,
            "till_id": self.till_id,
            "currency": self.currency,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "sales_count": self.sales_count,
            "gross_minor": self.gross_minor,
            "gift_cards_sold_minor": self.gift_cards_sold_minor,
            "goods_sales_minor": self.goods_sales_minor,
            "refunds_count": self.refunds_count,
            "refunds_minor": self.refunds_minor,
            "discounts_minor": self.discounts_minor,
            "net_minor": self.net_minor,
            "tax_minor": self.tax_minor,
            "tax_refunded_minor": self.tax_refunded_minor,
            "net_tax_minor": self.net_tax_minor,
            "cash_sales_minor": self.cash_sales_minor,
            "card_sales_minor": self.card_sales_minor,
            "cash_taken_minor": self.cash_taken_minor,
            "change_minor": self.change_minor,
            "rounding_minor": self.rounding_minor,
            "cash_refunds_minor": self.cash_refunds_minor,
            "card_refunds_minor": self.card_refunds_minor,
            "unverified_returns_count": self.unverified_returns_count,
            "unverified_returns_minor": self.unverified_returns_minor,
            "tips_minor": self.tips_minor,
            "by_tender": {
                kind: {"count": n, "sales_minor": sales, "refunds_minor": refunds}
                for kind, n, sales, refunds in self.by_tender
            },
            "by_cashier": {
                name or "(no cashier)": {"sales_count": n, "gross_minor": m} for name, n, m in self.by_cashier
            },
            "voids_count": self.voids_count,
            "float_minor": self.float_minor,
            "paid_in_minor": self.paid_in_minor,
            "paid_out_minor": self.paid_out_minor,
            "expected_cash_minor": self.expected_cash_minor,
            "counted_cash_minor": self.counted_cash_minor,
            "over_short_minor": self.over_short_minor,
            "tax_by_rate": [{"rate_percent": tax.format_rate(r), "tax_minor": t} for r, t in self.tax_by_rate],
            "by_card_brand": [{"brand": b, "sales_count": n, "gross_minor": m} for b, n, m in self.by_brand],
            "gross_by_hour_minor": list(self.by_hour),
            "receipt_numbers": list(self.receipt_numbers) if self.receipt_numbers else None,
        }

    def csv_rows(self) -> list[tuple[str, str, str]]:
        """(section, item, value) rows; amounts as plain decimals in the report's currency."""

        def money(minor: int) -> str:
            return self.money(minor).major_text()

        rows = [
            ("report", "kind", self.kind),
            ("report", "z_no", "" if self.z_no is None else str(self.z_no)),
            ("report", "till_id", self.till_id),
            ("report", "currency", self.currency),
            ("report", "period_start", self.period_start.isoformat()),
            ("report", "period_end", self.period_end.isoformat()),
            ("totals", "sales_count", str(self.sales_count)),
            ("totals", "gross", money(self.gross_minor)),
            ("totals", "gift_cards_sold", money(self.gift_cards_sold_minor)),
            ("totals", "goods_sales", money(self.goods_sales_minor)),
            ("totals", "refunds_count", str(self.refunds_count)),
            ("totals", "refunds", money(self.refunds_minor)),
            ("totals", "unverified_returns_count", str(self.unverified_returns_count)),
            ("totals", "unverified_returns", money(self.unverified_returns_minor)),
            ("totals", "discounts", money(self.discounts_minor)),
            ("totals", "net", money(self.net_minor)),
            ("totals", "tax", money(self.tax_minor)),
            ("totals", "tax_refunded", money(self.tax_refunded_minor)),
            ("totals", "net_tax", money(self.net_tax_minor)),
            ("by_tender", "cash_sales", money(self.cash_sales_minor)),
            ("by_tender", "card_sales", money(self.card_sales_minor)),
            ("by_tender", "rounding", money(self.rounding_minor)),
            ("by_tender", "cash_refunds", money(self.cash_refunds_minor)),
            ("by_tender", "card_refunds", money(self.card_refunds_minor)),
            ("by_tender", "card_tips", money(self.tips_minor)),
            ("drawer", "float", money(self.float_minor)),
            ("drawer", "cash_taken", money(self.cash_taken_minor)),
            ("drawer", "change", money(self.change_minor)),
            ("drawer", "paid_in", money(self.paid_in_minor)),
            ("drawer", "paid_out", money(self.paid_out_minor)),
            ("drawer", "expected", money(self.expected_cash_minor)),
            ("drawer", "counted", "" if self.counted_cash_minor is None else money(self.counted_cash_minor)),
            ("drawer", "over_short", "" if self.over_short_minor is None else money(self.over_short_minor)),
        ]
        rows += [
            row
            for kind, n, sales, refunds in self.by_tender
            for row in (
                ("tender_count", kind, str(n)),
                ("tender_sales", kind, money(sales)),
                ("tender_refunds", kind, money(refunds)),
            )
        ]
        rows += [("tax_by_rate", f"{tax.format_rate(r)}%", money(t)) for r, t in self.tax_by_rate]
        rows += [("card_brand", b, money(m)) for b, _n, m in self.by_brand]
        rows += [("gross_by_hour", f"{h:02d}", money(v)) for h, v in enumerate(self.by_hour)]
        return rows


def tender_rows(figures: dict[str, tuple[int, int, int]]) -> tuple[tuple[str, int, int, int], ...]:
    """DayReport.by_tender from {kind: (parts, sales, refunds)}, in TenderKind's order (a kind this
    till does not know, synced to the shop by a newer till, after them by name)."""
    order = {kind.value: i for i, kind in enumerate(TenderKind)}
    return tuple(
        (kind, *figures[kind]) for kind in sorted(figures, key=lambda kind: (order.get(kind, len(order)), kind))
    )


def render_report_text(report: DayReport, store_name: str, *, width: int = 42, locale: str = "en_SG") -> str:
    def fmt(minor: int) -> str:
        return report.money(minor).format(locale)

    def row(left: str, right: str) -> str:
        return left + " " * max(1, width - len(left) - len(right)) + right

    def less(label: str, minor: int) -> list[str]:
        """A row taken off (refunds, change, paid out): left out when nothing was, so the report never
        prints a "-$0.00" line; a zero never carries a minus."""
        return [row(label, "-" + fmt(minor) if minor > 0 else fmt(-minor))] if minor else []

    def some(label: str, minor: int) -> list[str]:
        """A row that adds to what is above it: left out when it is zero (an empty row says nothing)."""
        return [row(label, fmt(minor))] if minor else []

    rule = "-" * width
    out = [
        center(printable(store_name), width),
        center(report.title(), width),
        rule,
        f"Till {printable(report.till_id)}",
        f"From {report.period_start:%Y-%m-%d %H:%M}",
        f"To   {report.period_end:%Y-%m-%d %H:%M}",
        *(
            [f"Receipts {report.receipt_numbers[0]:04d} to {report.receipt_numbers[1]:04d}"]
            if report.receipt_numbers
            else []
        ),
        rule,
        row("Sales", str(report.sales_count)),
        row("Gross", fmt(report.gross_minor)),
        *(
            [
                row("  Gift cards sold (held)", fmt(report.gift_cards_sold_minor)),
                row("  Goods sold", fmt(report.goods_sales_minor)),
            ]
            if report.gift_cards_sold_minor
            else []
        ),
        *less(f"Refunds ({report.refunds_count})", report.refunds_minor),
        *less(f"  Unverified returns ({report.unverified_returns_count})", report.unverified_returns_minor),
        *some("Discounts given (in gross)", report.discounts_minor),
        row("NET", fmt(report.net_minor)),
        rule,
        "Tax on sales",
    ]
    out += [row(f"  {tax.format_rate(r)}%", fmt(t)) for r, t in report.tax_by_rate] or ["  none"]
    out += [
        row("  Total tax on sales", fmt(report.tax_minor)),
        *less("Tax refunded", report.tax_refunded_minor),
        row("NET TAX", fmt(report.net_tax_minor)),
        rule,
        "By tender",
    ]
    # Every kind that has money, by its own rows; the cash and card lines always (a drawer to count).
    tenders = {kind: (n, sales, refunds) for kind, n, sales, refunds in report.by_tender}
    for kind in TenderKind:
        n, sales, refunds = tenders.get(kind, (0, 0, 0))
        if kind is TenderKind.CASH or kind is TenderKind.CARD or n or sales or refunds:
            out.append(row(f"  {kind.words} sales ({n})", fmt(sales)))
    out += some("  Cash rounding", report.rounding_minor)
    for kind in TenderKind:
        n, sales, refunds = tenders.get(kind, (0, 0, 0))
        out += less(f"  {kind.words} refunds", refunds)
    out += [
        *some("  Tips on cards (not sales)", report.tips_minor),
        rule,
        "Cash drawer",
        row("  Float", fmt(report.float_minor)),
        row("  Cash taken", fmt(report.cash_taken_minor)),
        *less("  Change given", report.change_minor),
        *less("  Cash refunds", report.cash_refunds_minor),
        *some("  Paid in", report.paid_in_minor),
        *less("  Paid out", report.paid_out_minor),
        row("  Expected in the drawer", fmt(report.expected_cash_minor)),
    ]
    if report.counted_cash_minor is not None and report.over_short_minor is not None:
        difference = report.over_short_minor
        out += [
            row("  Counted", fmt(report.counted_cash_minor)),
            row("  Over" if difference > 0 else "  Short" if difference < 0 else "  Over/short", fmt(abs(difference))),
        ]
    out += [
        rule,
        "By card",
    ]
    out += [row(f"  {b.upper()} ({n})", fmt(m)) for b, n, m in report.by_brand] or ["  none"]
    if any(name for name, _n, _m in report.by_cashier):
        out += [rule, "By cashier"]
        out += [row(f"  {printable(name) or '(no cashier)'} ({n})", fmt(m)) for name, n, m in report.by_cashier]
    out += [rule, row("Voids", str(report.voids_count))]
    out += [rule, "Sales by hour"]
    peak = max(report.by_hour) or 1
    for hour, value in enumerate(report.by_hour):
        if value:
            bar = "#" * max(1, round(16 * value / peak))
            out.append(row(f"  {hour:02d}h {bar}", fmt(value)))
    if report.audit_head:
        # The paper copy pins the day: a trail rewritten later cannot end in this hash.
        out += [rule, "Audit trail head (SHA-256)", f"  {report.audit_head[:32]}", f"  {report.audit_head[32:]}"]
    return printable("\n".join(out), multiline=True) + "\n"  # the rest from records, cleaned (domain/text.py)


_SUMMED = (
    "sales_count",
    "gross_minor",
    "gift_cards_sold_minor",
    "refunds_count",
    "refunds_minor",
    "tax_minor",
    "tax_refunded_minor",
    "discounts_minor",
    "float_minor",
    "paid_in_minor",
    "paid_out_minor",
    "cash_sales_minor",
    "card_sales_minor",
    "change_minor",
    "rounding_minor",
    "cash_refunds_minor",
    "card_refunds_minor",
    "unverified_returns_count",
    "unverified_returns_minor",
    "tips_minor",
    "voids_count",
)


def combined(reports: list[DayReport], *, till_id: str, currency: str, period: tuple[datetime, datetime]) -> DayReport:
    """Several tills' figures for one period as one report: every amount and count is the sum of
    the tills' (so a shop report is exactly its tills' reports added up); breakdowns merge by key."""

    def merge(pairs: list[tuple[Any, int]]) -> dict[Any, int]:
        out: dict[Any, int] = {}
        for key, value in pairs:
            out[key] = out.get(key, 0) + value
        return out

    sums = {name: sum(getattr(r, name) for r in reports) for name in _SUMMED}
    rates = merge([pair for r in reports for pair in r.tax_by_rate])
    brand_counts = merge([(b, n) for r in reports for b, n, _m in r.by_brand])
    brand_amounts = merge([(b, m) for r in reports for b, _n, m in r.by_brand])
    cashier_counts = merge([(c, n) for r in reports for c, n, _m in r.by_cashier])
    cashier_amounts = merge([(c, m) for r in reports for c, _n, m in r.by_cashier])
    tenders: dict[str, tuple[int, int, int]] = {}
    for kind, n, sales, refunds in (row for r in reports for row in r.by_tender):
        before = tenders.get(kind, (0, 0, 0))
        tenders[kind] = (before[0] + n, before[1] + sales, before[2] + refunds)
    return DayReport(
        kind="day",
        till_id=till_id,
        currency=currency,
        period_start=period[0],
        period_end=period[1],
        tax_by_rate=tuple(sorted(rates.items())),
        by_brand=tuple(
            sorted(((b, brand_counts[b], brand_amounts[b]) for b in brand_counts), key=lambda x: (-x[2], x[0]))
        ),
        by_cashier=tuple(sorted((c, cashier_counts[c], cashier_amounts[c]) for c in cashier_counts)),
        by_hour=tuple(sum(r.by_hour[h] for r in reports) for h in range(24)),
        by_tender=tender_rows(tenders),
        **sums,
    )
