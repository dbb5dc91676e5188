"""A cart line's quantity as typed on the keypad or a keyboard (domain/cart.parse_quantity)."""

from __future__ import annotations

import pytest

from pos.domain.cart import MAX_QUANTITY, CartError, parse_quantity


@pytest.mark.parametrize("text,quantity", [("1", 1), (" 3 ", 3), ("0012", 12), (str(MAX_QUANTITY), MAX_QUANTITY)])
def test_a_whole_number_in_range(text, quantity):
    assert parse_quantity(text) == quantity


@pytest.mark.parametrize("text", ["", "0", "-1", "1.5", "abc", "²", "١٢", str(MAX_QUANTITY + 1), "1e3"])
def test_anything_else_is_refused_in_the_cashiers_words(text):
    with pytest.raises(CartError, match="Type the quantity as a whole number from 1 to"):
        parse_quantity(text)
