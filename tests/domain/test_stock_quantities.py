"""Stock quantities (issue 26): exact decimals in the product's unit, kept as thousandths."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from pos.domain.stock import (
    MovementKind,
    StockError,
    Unit,
    check_direction,
    format_quantity,
    parse_quantity,
    stock_item_from_row,
    to_milli,
)


def test_kg_takes_three_decimals_and_each_takes_none():
    assert parse_quantity("3.25", Unit.KG) == Decimal("3.250")
    assert format_quantity(to_milli(parse_quantity("3.25", Unit.KG)), Unit.KG) == "3.250"
    assert format_quantity(12000, Unit.EACH) == "12" and format_quantity(-3000, Unit.EACH) == "-3"
    for bad, unit, said in (
        ("1.2345", Unit.KG, "more than 3 decimals"),
        ("1.5", Unit.EACH, "must be whole"),
        ("1,5", Unit.KG, "not a number"),
        ("-2", Unit.EACH, "must not be negative"),
        ("", Unit.EACH, "not a number"),
    ):
        with pytest.raises(StockError, match=said):
            parse_quantity(bad, unit)


def test_a_kind_moves_stock_only_its_way():
    check_direction(MovementKind.DELIVERY, 1000)
    check_direction(MovementKind.COUNT, -500)
    for kind, milli in ((MovementKind.DELIVERY, -1000), (MovementKind.SALE, 1000), (MovementKind.WRITE_OFF, 1)):
        with pytest.raises(StockError):
            check_direction(kind, milli)


def test_catalog_stock_columns_are_optional_and_strict():
    assert stock_item_from_row({"sku": "A"}) is None
    item = stock_item_from_row({"track_stock": "yes", "unit": "kg", "low_stock": "2.5", "open_price": "no"})
    assert item is not None and item.track_stock and item.unit is Unit.KG and item.low_stock_milli == 2500
    with pytest.raises(StockError, match="must be yes or no"):
        stock_item_from_row({"track_stock": "maybe"})
    with pytest.raises(StockError, match="must be each or kg"):
        stock_item_from_row({"unit": "litre"})


@given(st.integers(-(10**11), 10**11))
def test_thousandths_round_trip_exactly(milli):
    text = format_quantity(milli, Unit.KG)
    assert to_milli(parse_quantity(text, Unit.KG, negative=True)) == milli
