"""How a product's tile looks (issue 28 item 2): a colour is #rrggbb and its text stays readable
(>= 4.5:1, WCAG 2), a favourite's place is a whole number; the same rules at every door
(domain/catalog.product_from_row: CSV, the catalog dialog, the shop database)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.appearance import WHITE, contrast_ratio, text_on
from pos.domain.catalog import CatalogRowError, parse_colour, parse_favourite, product_from_row, product_to_row


@pytest.mark.parametrize("text,colour", [("", None), ("  ", None), ("#FFD54A", "#ffd54a"), (" #2f6f4f ", "#2f6f4f")])
def test_a_colour_is_rrggbb_or_none(text, colour):
    assert parse_colour(text) == colour


@pytest.mark.parametrize("text", ["red", "#fff", "#12345", "#1234567", "ffd54a", "#ggg000", "#ffd54a;x", "rgb(1,2,3)"])
def test_anything_else_is_refused(text):
    with pytest.raises(CatalogRowError, match="must be written #rrggbb"):
        parse_colour(text)


@given(st.integers(0, 0xFFFFFF))
def test_the_text_on_any_tile_colour_reaches_4_5_to_1(rgb):
    colour = f"#{rgb:06x}"
    assert contrast_ratio(colour, text_on(colour)) >= 4.5
    assert text_on("#6f4e37") == WHITE


@pytest.mark.parametrize("text,place", [("", None), ("1", 1), (" 12 ", 12), ("999", 999)])
def test_a_favourites_place(text, place):
    assert parse_favourite(text) == place


@pytest.mark.parametrize("text", ["0", "-1", "1.5", "1000", "first", "²"])
def test_a_favourites_place_refused(text):
    with pytest.raises(CatalogRowError, match="must be a whole number from 1"):
        parse_favourite(text)


ROW = {"sku": "TEA", "barcode": "", "name": "Teh", "category": "Tea", "price": "2.80", "tax_rate": "9"}


def test_a_row_carries_the_tiles_look_and_writes_it_back():
    product = product_from_row({**ROW, "colour": "#B7DFB0", "favourite": "3"}, "SGD")
    assert (product.colour, product.favourite) == ("#b7dfb0", 3)
    back = product_to_row(product)
    assert (back["colour"], back["favourite"]) == ("#b7dfb0", "3")
    plain = product_from_row(ROW, "SGD")  # a file without the columns
    assert (plain.colour, plain.favourite) == (None, None)
    assert (product_to_row(plain)["colour"], product_to_row(plain)["favourite"]) == ("", "")


def test_a_bad_colour_in_a_row_is_a_row_error():
    with pytest.raises(CatalogRowError, match="colour 'blue' must be written #rrggbb"):
        product_from_row({**ROW, "colour": "blue"}, "SGD")
