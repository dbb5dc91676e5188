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
