"""The rounding rule (docs/architecture.md), held by property tests for exponents 0, 2 and 3."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pos.domain import tax
from pos.domain.cart import Cart, CartError, Measure, compute_totals
from pos.domain.catalog import Product
from pos.domain.discounts import Discount, DiscountKind
from pos.domain.money import Money

CURRENCIES = ["JPY", "SGD", "KWD"]  # exponents 0, 2, 3
RATES = st.sampled_from([0, 500, 700, 800, 825, 900, 1000, 1500, 2000, 2500])


@st.composite
def carts(draw):
    currency = draw(st.sampled_from(CURRENCIES))
    step = tax.rounding_step(currency)
    n = draw(st.integers(1, 12))
    lines = []
    for i in range(n):
        price = draw(st.integers(0, 2_000_000)) * step
        product = Product(
            sku=f"S{i}", name=f"P{i}", category="c", price=Money(price, currency), tax_rate_bp=draw(RATES)
        )
        lines.append((product, draw(st.integers(1, 50))))
    return currency, lines, draw(st.booleans())


@settings(max_examples=300)
@given(carts())
def test_everything_adds_up(case):
    currency, lines, inclusive = case
    totals = compute_totals(lines, currency, inclusive)
    step = tax.rounding_step(currency)
    assert totals.subtotal + totals.tax == totals.total
    assert totals.total.minor == sum(line.gross.minor for line in totals.lines)
    assert totals.subtotal.minor == sum(line.net.minor for line in totals.lines)
    assert totals.tax.minor == sum(line.tax.minor for line in totals.lines)
    assert totals.tax.minor == sum(m.minor for _r, m in totals.tax_by_rate)
    for (product, qty), line in zip(lines, totals.lines, strict=True):
        amount = product.price.minor * qty
        assert line.net + line.tax == line.gross
        assert (line.gross.minor if inclusive else line.net.minor) == amount
        rate = Fraction(product.tax_rate_bp, 10_000)
        exact = amount * rate / (1 + rate) if inclusive else amount * rate
        # Half up to the rounding step: never more than half a step away from the exact tax.
        assert abs(line.tax.minor - exact) <= Fraction(step, 2)
        assert line.tax.minor % step == 0
    # Three-decimal currencies: every amount stays chargeable (ends in 0).
    assert totals.total.minor % step == 0


def test_inclusive_singapore_example():
    latte = Product(sku="L", name="Latte", category="c", price=Money(580, "SGD"), tax_rate_bp=900)
    totals = compute_totals([(latte, 1)], "SGD", inclusive=True)
    # 5.80 * 9/109 = 0.4789 -> 0.48
    assert (totals.tax.minor, totals.subtotal.minor, totals.total.minor) == (48, 532, 580)


def test_exclusive_example():
    item = Product(sku="L", name="Item", category="c", price=Money(1000, "USD"), tax_rate_bp=825)
    totals = compute_totals([(item, 3)], "USD", inclusive=False)
    # 30.00 * 8.25% = 2.475 -> 2.48 (half up)
    assert (totals.subtotal.minor, totals.tax.minor, totals.total.minor) == (3000, 248, 3248)


def test_cart_merges_and_limits():
    cart = Cart("SGD")
    p = Product(sku="A", name="A", category="c", price=Money(100, "SGD"), tax_rate_bp=900)
    cart.add(p)
    cart.add(p)
    assert len(cart.lines) == 1 and cart.lines[0].quantity == 2
    version = cart.version
    cart.set_quantity(0, 5)
    assert cart.version > version
    with pytest.raises(CartError):
        cart.set_quantity(0, 10_000)
    cart.set_quantity(0, 0)
    assert cart.is_empty()
    with pytest.raises(CartError):
        cart.add(Product(sku="B", name="B", category="c", price=Money(100, "USD"), tax_rate_bp=0))


def test_rates():
    assert tax.parse_rate("9") == 900 and tax.parse_rate("8.25") == 825
    assert tax.format_rate(900) == "9" and tax.format_rate(825) == "8.25" and tax.format_rate(850) == "8.5"
    for bad in ("-1", "101", "8.255", "x"):
        with pytest.raises(ValueError):
            tax.parse_rate(bad)


def test_the_totals_are_kept_per_version_and_follow_every_change():
    """Cart.totals is computed once per version of the cart (a scan asked for it three times); each
    change, and a change of the store's terms (currency, tax mode, set outside the version), gives
    the totals computed afresh."""
    cart = Cart("SGD")
    a = Product(sku="A", name="A", category="c", price=Money(1000, "SGD"), tax_rate_bp=900)
    b = Product(sku="B", name="B", category="c", price=Money(250, "SGD"), tax_rate_bp=0)

    def fresh():
        return Cart(
            cart.currency, cart.tax_inclusive, [replace(line) for line in cart.lines], discount=cart.discount
        ).totals()

    changes = [
        lambda: cart.add(a),
        lambda: cart.add(b, 3),
        lambda: cart.add(a),
        lambda: cart.add_priced(b, Money(990, "SGD"), Measure(1250, "kg", Money(792, "SGD"))),
        lambda: cart.set_quantity(1, 2),
        lambda: cart.discount_line(0, Discount(DiscountKind.PERCENT, 1000, "staff")),
        lambda: cart.discount_cart(Discount(DiscountKind.AMOUNT, 100, "loyal")),
        lambda: cart.restore_discounts(((None, None, None), None)),
        lambda: cart.remove(1),
        lambda: setattr(cart, "tax_inclusive", False),  # the store's terms (till.apply_store_terms)
        cart.clear,
        lambda: setattr(cart, "currency", "USD"),
    ]
    for change in changes:
        before = cart.totals()
        assert cart.totals() is before  # kept: the same version asks again
        change()
        assert cart.totals() == fresh()
