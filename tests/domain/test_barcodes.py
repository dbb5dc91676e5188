"""Scale labels (issue 26): EAN-13 with a weight or a price in it, GS1 prefixes 20–29."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from pos.domain.barcodes import (
    DEFAULT_PATTERNS,
    BarcodeError,
    Embedded,
    Pattern,
    check_digit,
    decode,
    is_valid_ean13,
    parse_patterns,
)


def test_the_check_digit_is_gs1s():
    assert check_digit("400638133393") == 1  # a published EAN-13: 4006381333931
    assert is_valid_ean13("4006381333931") and not is_valid_ean13("4006381333932")


def test_a_weight_label_reads_grams_as_kg_and_finds_the_product_by_its_zeroed_code():
    weighed = Pattern("21", Embedded.WEIGHT).encode("12345", 1250)
    scanned = decode(weighed)
    assert scanned is not None
    assert scanned.kind is Embedded.WEIGHT and scanned.weight_kg == Decimal("1.250")
    assert scanned.lookup_code == Pattern("21", Embedded.WEIGHT).encode("12345", 0)
    assert scanned.lookup_code[:12] == "211234500000"


def test_a_misread_label_is_refused_and_an_ordinary_code_is_not_a_label():
    label = Pattern("23", Embedded.PRICE).encode("00042", 349)
    bad = label[:12] + str((int(label[12]) + 1) % 10)
    with pytest.raises(BarcodeError, match="check digit is wrong"):
        decode(bad)
    assert decode("4006381333931") is None  # prefix 40: not a scale label
    assert decode("111") is None


def test_patterns_are_configurable_and_checked():
    assert parse_patterns("") == DEFAULT_PATTERNS
    assert parse_patterns("22=weight/6; 24=price") == (
        Pattern("22", Embedded.WEIGHT, 6),
        Pattern("24", Embedded.PRICE),
    )
    for bad in ("19=weight", "21=volume", "21", "21=weight;21=price"):
        with pytest.raises(BarcodeError):
            parse_patterns(bad)


@given(
    prefix=st.integers(20, 29),
    kind=st.sampled_from(list(Embedded)),
    item_digits=st.integers(1, 8),
    data=st.data(),
)
def test_labels_round_trip_for_random_items_and_values(prefix, kind, item_digits, data):
    pattern = Pattern(str(prefix), kind, item_digits)
    item = data.draw(st.text("0123456789", min_size=item_digits, max_size=item_digits))
    value = data.draw(st.integers(0, 10**pattern.value_digits - 1))
    code = pattern.encode(item, value)
    assert len(code) == 13 and is_valid_ean13(code)
    scanned = decode(code, (pattern,))
    assert scanned is not None
    assert (scanned.kind, scanned.value) == (kind, value)
    assert scanned.lookup_code == pattern.encode(item, 0)
    assert decode(scanned.lookup_code, (pattern,)).value == 0  # type: ignore[union-attr]
