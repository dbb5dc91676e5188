"""The X/Z report's text (issue 28 item 7): no "-$0.00" rows; a zero never prints with a minus, and a
row with nothing in it is left out, on screen and on paper (both are this text)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from pos.domain.report import DayReport, render_report_text

QUIET = DayReport(
    kind="X",
    till_id="T1",
    currency="SGD",
    period_start=datetime(2026, 3, 14, 8, 0),
    period_end=datetime(2026, 3, 14, 18, 0),
    sales_count=2,
    gross_minor=1510,
    refunds_count=0,
    refunds_minor=0,
    tax_minor=125,
    tax_by_rate=((900, 125),),
    by_brand=(("visa", 1, 1000),),
    cash_sales_minor=510,
    card_sales_minor=1000,
    by_tender=(("cash", 1, 510, 0), ("card", 1, 1000, 0)),
)


def test_a_day_without_refunds_prints_no_minus_zero_and_no_empty_rows():
    text = render_report_text(QUIET, "Kopi")
    assert "-$0.00" not in text and not re.search(r"-\D?0\.00\b", text)
    for empty in ("Refunds", "Tax refunded", "Change given", "Cash refunds", "Paid in", "Paid out", "Discounts"):
        assert empty not in text, empty
    assert "Cash rounding" not in text
    for kept in ("Gross", "NET", "NET TAX", "Cash sales (1)", "Card sales (1)", "Float", "Expected in the drawer"):
        assert kept in text, kept


def test_what_was_taken_off_prints_with_its_minus():
    busy = replace(
        QUIET,
        refunds_count=1,
        refunds_minor=300,
        tax_refunded_minor=25,
        change_minor=490,
        cash_refunds_minor=300,
        paid_out_minor=1250,
        paid_in_minor=500,
        discounts_minor=60,
        rounding_minor=-2,
        by_tender=(("cash", 1, 510, 300), ("card", 1, 1000, 0)),
    )
    lines = render_report_text(busy, "Kopi").splitlines()

    def amount(label: str) -> str:
        [amount] = {line.split()[-1] for line in lines if line.strip().startswith(label)}  # by tender, drawer
        return amount

    assert amount("Refunds (1)") == "-$3.00"
    assert amount("Tax refunded") == "-$0.25"
    assert amount("Change given") == "-$4.90"
    assert amount("Cash refunds") == "-$3.00"
    assert amount("Paid out") == "-$12.50"
    assert amount("Paid in") == "$5.00"
    assert amount("Discounts given") == "$0.60"
    assert amount("Cash rounding") == "-$0.02"
    assert not [line for line in lines if line.strip().startswith("Card refunds")]  # nothing went back by card
