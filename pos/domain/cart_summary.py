"""The cart's summary as shoppers read it (issue 28 item 7): with prices that include tax, the lines add
up to the total and the tax inside it is one quiet line ("includes tax $1.24"), never a "Subtotal /
Tax (included)" pair that looks like tax on top; with tax added, Subtotal / Tax / Total, the lines at
their prices before tax so that they add up to the subtotal."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .cart import LineTotals, Totals
from .money import Money


class Row(Enum):
    DISCOUNTS = "discounts"  # taken off the lines above (shown with a minus)
    SUBTOTAL = "subtotal"
    TAX = "tax"  # added on top
    TOTAL = "total"
    INCLUDES_TAX = "includes_tax"  # inside the total, for the shopper's information


@dataclass(frozen=True)
class SummaryRow:
    row: Row
    caption: str
    amount: Money


def line_amount(line: LineTotals, tax_inclusive: bool) -> Money:
    """A line's amount as the cart lists it: its price with tax where prices include it, before tax
    where tax is added (so the lines add up to the total or to the subtotal, never to neither)."""
    return line.gross if tax_inclusive else line.net


def cart_summary(totals: Totals, tax_inclusive: bool) -> tuple[SummaryRow, ...]:
    """The rows under the cart's lines, in order. Discounts only when something was taken off; the tax
    row only when there is tax."""
    rows: list[SummaryRow] = []
    if totals.discount.minor:
        caption = "Discounts"
        if totals.cart_discount_reason:
            caption += f" (incl. {totals.cart_discount_reason} on the sale)"
        rows.append(SummaryRow(Row.DISCOUNTS, caption, totals.discount))
    if tax_inclusive:
        rows.append(SummaryRow(Row.TOTAL, "Total", totals.total))
        if totals.tax.minor:
            rows.append(SummaryRow(Row.INCLUDES_TAX, "includes tax", totals.tax))
        return tuple(rows)
    rows.append(SummaryRow(Row.SUBTOTAL, "Subtotal", totals.subtotal))
    if totals.tax.minor:
        rows.append(SummaryRow(Row.TAX, "Tax", totals.tax))
    rows.append(SummaryRow(Row.TOTAL, "Total", totals.total))
    return tuple(rows)
