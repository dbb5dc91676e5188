"""The cart's summary as shoppers read it (issue 28 item 7): plain domain code, Hypothesis for "the
lines add up to what the summary says they add up to"."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pos.domain.cart import compute_totals
from pos.domain.cart_summary import Row, cart_summary, line_amount
from pos.domain.catalog import Product
from pos.domain.discounts import Discount, DiscountKind
from pos.domain.money import Money


def product(sku: str, minor: int, rate_bp: int = 900) -> Product:
    return Product(sku=sku, name=sku, category="c", price=Money(minor, "SGD"), tax_rate_bp=rate_bp)


def shown(rows) -> list[tuple[Row, str, str]]:
    return [(r.row, r.caption, r.amount.format("en_SG")) for r in rows]


def test_tax_included_shows_the_total_and_what_it_includes():
    totals = compute_totals([(product("latte", 580), 2), (product("toastie", 350), 1)], "SGD", True)
    assert shown(cart_summary(totals, True)) == [
        (Row.TOTAL, "Total", "$15.10"),
        (Row.INCLUDES_TAX, "includes tax", "$1.25"),
    ]  # not "Subtotal $13.85 / Tax (included) $1.25 / Total $15.10"


def test_tax_added_shows_subtotal_tax_total():
    totals = compute_totals([(product("latte", 580), 2)], "SGD", False)
    assert shown(cart_summary(totals, False)) == [
        (Row.SUBTOTAL, "Subtotal", "$11.60"),
        (Row.TAX, "Tax", "$1.04"),
        (Row.TOTAL, "Total", "$12.64"),
    ]


def test_discounts_first_and_no_tax_row_without_tax():
    totals = compute_totals(
        [(product("bag", 1000, 0), 1)], "SGD", True, cart_discount=Discount(DiscountKind.PERCENT, 1000, "staff")
    )
    assert shown(cart_summary(totals, True)) == [
        (Row.DISCOUNTS, "Discounts (incl. 10% staff on the sale)", "$1.00"),
        (Row.TOTAL, "Total", "$9.00"),
    ]


@given(
    st.lists(st.tuples(st.integers(0, 100_000), st.integers(1, 9), st.sampled_from([0, 700, 900])), min_size=1),
    st.booleans(),
)
def test_the_lines_add_up_to_the_first_amount_the_summary_sums(lines, inclusive):
    totals = compute_totals(
        [(product(f"p{i}", price, rate), qty) for i, (price, qty, rate) in enumerate(lines)], "SGD", inclusive
    )
    listed = sum((line_amount(line, inclusive) for line in totals.lines), Money(0, "SGD"))
    rows = {r.row: r.amount for r in cart_summary(totals, inclusive)}
    assert listed == (rows[Row.TOTAL] if inclusive else rows[Row.SUBTOTAL])
    assert (Row.SUBTOTAL in rows) is not inclusive
    assert Row.TAX not in rows or not inclusive  # tax inside a total is never a row of its own
