"""Partial refunds of a line always add up to exactly the line's gross."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain import tax
from pos.domain.refunds import RefundableLine, RefundError, lines_amount


@given(st.sampled_from(["JPY", "SGD", "KWD"]), st.integers(1, 50), st.integers(0, 500_000), st.data())
def test_partial_refunds_sum_to_the_gross(currency, quantity, units_price, data):
    step = tax.rounding_step(currency)
    gross = units_price * quantity * step
    refunded, total = 0, 0
    while refunded < quantity:
        units = data.draw(st.integers(1, quantity - refunded))
        line = RefundableLine(1, "x", quantity, gross, refunded)
        amount = lines_amount([line], {1: units}, currency)
        assert amount % step == 0 and amount >= 0
        total += amount
        refunded += units
    assert total == gross


def test_cannot_refund_more_units_than_left():
    line = RefundableLine(1, "Latte", 2, 1160, 1)
    with pytest.raises(RefundError):
        lines_amount([line], {1: 2}, "SGD")
    with pytest.raises(RefundError):
        lines_amount([line], {}, "SGD")
    assert lines_amount([line], {1: 1}, "SGD") == 580


@given(
    st.sampled_from(["JPY", "SGD", "KWD"]),
    st.booleans(),
    st.integers(1, 50),
    st.integers(1, 500_000),
    st.sampled_from([0, 500, 700, 900, 1000, 2000]),
    st.data(),
)
def test_the_tax_given_back_by_units_adds_up_to_the_lines_tax(currency, inclusive, quantity, unit, rate, data):
    from pos.domain.refunds import lines_tax

    step = tax.rounding_step(currency)
    line_amount = unit * quantity * step
    line_tax = tax.line_tax(line_amount, rate, inclusive, currency)
    gross = line_amount if inclusive else line_amount + line_tax
    refunded, given_back = 0, 0
    while refunded < quantity:
        units = data.draw(st.integers(1, quantity - refunded))
        line = RefundableLine(1, "x", quantity, gross, refunded, tax_minor=line_tax)
        part = lines_tax([line], {1: units}, currency)
        assert 0 <= part <= lines_amount([line], {1: units}, currency)
        given_back += part
        refunded += units
    assert given_back == line_tax


@given(
    st.sampled_from(["JPY", "SGD", "KWD"]),
    st.integers(1, 10_000_000),
    st.integers(0, 100),
    st.lists(st.integers(1, 10_000_000), max_size=8),
)
def test_the_tax_given_back_by_amounts_adds_up_to_the_receipts_tax(currency, total_units, tax_percent, cuts):
    from pos.domain.refunds import amount_tax

    step = tax.rounding_step(currency)
    total = total_units * step
    receipt_tax = (total * tax_percent // 100) // step * step
    # Up to nine refunds that together give back the whole receipt, cut at these points.
    points = sorted({c % total_units for c in cuts} - {0}) + [total_units]
    refunded, given_back = 0, 0
    for point in points:
        amount = point * step - refunded
        part = amount_tax(receipt_tax, total, refunded, amount, currency)
        assert 0 <= part <= amount and part % step == 0
        given_back += part
        refunded += amount
    assert given_back == receipt_tax


def test_a_refund_of_a_550_line_at_9_percent_inclusive_gives_back_its_45_cents():
    from pos.domain.refunds import lines_tax

    line_tax = tax.line_tax(550, 900, True, "SGD")
    assert line_tax == 45
    line = RefundableLine(1, "Sandwich", 1, 550, 0, tax_minor=line_tax)
    assert (lines_amount([line], {1: 1}, "SGD"), lines_tax([line], {1: 1}, "SGD")) == (550, 45)
