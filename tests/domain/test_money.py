from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.money import Money, MoneyError


@pytest.mark.parametrize(
    "text,currency,minor",
    [
        ("3.50", "SGD", 350),
        ("3.5", "sgd", 350),
        ("0", "USD", 0),
        ("500", "JPY", 500),
        ("1.250", "KWD", 1250),
        ("12", "BHD", 12000),
        ("-2.10", "EUR", -210),
    ],
)
def test_parse(text, currency, minor):
    assert Money.parse(text, currency) == Money(minor, currency)


@pytest.mark.parametrize(
    "text,currency",
    [("3.505", "SGD"), ("1.5", "JPY"), ("1.2345", "KWD"), ("abc", "SGD"), ("NaN", "SGD"), ("inf", "SGD"), ("", "SGD")],
)
def test_parse_refuses(text, currency):
    with pytest.raises(MoneyError):
        Money.parse(text, currency)


@pytest.mark.parametrize(
    "text",
    ["1_000", "1e3", "1E3", "2.5e1", "Infinity", "-inf", "sNaN", "４.５０", "٣", "+5", "1.2.3", "1 000", "1,000"]
    + [".", "-"],
)
def test_parse_refuses_what_is_not_a_plain_decimal(text):
    """Issue 24 (a known gap): Decimal read '1_000' as 1000.00 and '1e3' as 1000.00, and other scripts'
    digits too; every door parses amounts here, so each now refuses them in the cashier's words."""
    with pytest.raises(MoneyError, match="is not an amount: type digits and a dot, like 4.50"):
        Money.parse(text, "SGD")


@pytest.mark.parametrize("text,minor", [(" 3.50 ", 350), (".5", 50), ("5.", 500), ("-0.10", -10), ("007", 700)])
def test_parse_takes_every_plain_decimal(text, minor):
    assert Money.parse(text, "SGD") == Money(minor, "SGD")


def test_no_floats_and_no_mixing():
    with pytest.raises(MoneyError):
        Money(3.5, "SGD")
    with pytest.raises(MoneyError):
        Money(1, "XXX")
    with pytest.raises(MoneyError):
        Money(1, "SGD") + Money(1, "USD")
    with pytest.raises(TypeError):
        Money(1, "SGD") * 1.5


@pytest.mark.parametrize(
    "minor,currency,text", [(350, "SGD", "3.50"), (500, "JPY", "500"), (1250, "KWD", "1.250"), (-5, "USD", "-0.05")]
)
def test_major_text(minor, currency, text):
    assert Money(minor, currency).major_text() == text


def test_format_follows_locale_data():
    assert Money(350, "SGD").format("en_SG") == "$3.50"
    assert Money(500, "JPY").format("en_US") == "¥500"
    assert Money(1250, "KWD").format("en_US") == "KWD1.250"
    assert Money(123456, "EUR").format("de_DE") == "1.234,56\xa0€"


@given(st.integers(-(10**12), 10**12), st.sampled_from(["SGD", "JPY", "KWD", "USD", "BHD", "KRW"]))
def test_text_round_trip(minor, currency):
    money = Money(minor, currency)
    assert Money.parse(money.major_text(), currency) == money


def test_the_decimal_point_an_amount_is_typed_with():
    from pos.domain.money import typed_decimal_point

    assert typed_decimal_point("SGD") == "." and typed_decimal_point("KWD") == "."
    assert typed_decimal_point("JPY") == ""  # no minor units: a keypad shows no decimal key
