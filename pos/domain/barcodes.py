"""Barcodes a scale prints: an EAN-13 with a weight or a price in it (GS1 prefixes 20–29).

In the spirit of Odoo's barcode nomenclature: a pattern names a two-digit prefix, how many digits
after it are the item code, and what the digits after those are (a weight in grams, or a price in
minor units); the last digit is the EAN-13 check digit. The product is the one whose barcode is the
scanned one with the embedded value zeroed and the check digit recomputed, so the label's value never
has to be in the catalog. By default `21` is item + grams and `23` item + price (minor units).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from .errors import PosError


class BarcodeError(PosError, ValueError):
    pass


class Embedded(StrEnum):
    WEIGHT = "weight"  # grams: the quantity in kg, three decimals
    PRICE = "price"  # minor units of the store's currency


EAN13 = 13
GRAMS_PER_KG = 1000


def check_digit(first12: str) -> int:
    """The EAN-13 (GS1 mod 10) check digit of twelve digits: weights 1, 3, 1, 3… from the left."""
    if len(first12) != EAN13 - 1 or not first12.isdigit():
        raise BarcodeError(f"{first12!r} is not twelve digits")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return (10 - total % 10) % 10


def is_valid_ean13(code: str) -> bool:
    return len(code) == EAN13 and code.isdigit() and check_digit(code[:12]) == int(code[12])


@dataclass(frozen=True)
class Pattern:
    """prefix (two digits, 20–29) + item_digits + value_digits + the check digit = 13 digits."""

    prefix: str
    kind: Embedded
    item_digits: int = 5

    def __post_init__(self) -> None:
        if len(self.prefix) != 2 or not self.prefix.isdigit() or not "20" <= self.prefix <= "29":
            raise BarcodeError(f"a scale barcode's prefix is two digits from 20 to 29, not {self.prefix!r}")
        if not 1 <= self.item_digits <= 8:
            raise BarcodeError("a scale barcode's item code is 1 to 8 digits")

    @property
    def value_digits(self) -> int:
        return EAN13 - 1 - len(self.prefix) - self.item_digits

    def encode(self, item: str, value: int) -> str:
        """The label: item code and value (grams, or minor units) with its check digit."""
        if len(item) != self.item_digits or not item.isdigit():
            raise BarcodeError(f"the item code must be {self.item_digits} digits")
        if not 0 <= value < 10**self.value_digits:
            raise BarcodeError(f"the value must fit in {self.value_digits} digits")
        first12 = f"{self.prefix}{item}{value:0{self.value_digits}d}"
        return first12 + str(check_digit(first12))

    def lookup_code(self, item: str) -> str:
        """The barcode the product carries in the catalog: the value zeroed."""
        return self.encode(item, 0)


DEFAULT_PATTERNS = (Pattern("21", Embedded.WEIGHT), Pattern("23", Embedded.PRICE))


@dataclass(frozen=True)
class Scanned:
    """What a scale label says: the product's catalog barcode and the embedded value."""

    lookup_code: str
    kind: Embedded
    value: int  # grams, or minor units

    @property
    def weight_kg(self) -> Decimal:
        """The weight in kg, exactly (three decimals)."""
        return Decimal(self.value).scaleb(-3).quantize(Decimal("0.001"))


def decode(code: str, patterns: tuple[Pattern, ...] = DEFAULT_PATTERNS) -> Scanned | None:
    """A scale label read by a pattern, or None if no pattern's prefix starts it (an ordinary code).
    A label with a wrong check digit is refused (a misread must not sell the wrong weight)."""
    code = code.strip()
    if len(code) != EAN13 or not code.isdigit():
        return None
    pattern = next((p for p in patterns if code.startswith(p.prefix)), None)
    if pattern is None:
        return None
    if not is_valid_ean13(code):
        raise BarcodeError(f"Barcode {code} did not scan right (its check digit is wrong): scan it again.")
    start = len(pattern.prefix)
    item = code[start : start + pattern.item_digits]
    value = int(code[start + pattern.item_digits : 12])
    return Scanned(pattern.lookup_code(item), pattern.kind, value)


def parse_patterns(text: str) -> tuple[Pattern, ...]:
    """A store setting such as `21=weight;23=price` (an item code of five digits), or
    `21=weight/6` for six; empty text means the defaults."""
    text = text.strip()
    if not text:
        return DEFAULT_PATTERNS
    out = []
    for part in text.split(";"):
        prefix, sep, rest = part.strip().partition("=")
        kind_text, _, digits = rest.partition("/")
        if not sep:
            raise BarcodeError(f"{part.strip()!r} is not prefix=weight or prefix=price")
        try:
            kind = Embedded(kind_text.strip())
        except ValueError:
            raise BarcodeError(f"{kind_text.strip()!r} is not weight or price") from None
        # ASCII digits only: "²" and "٣" are digits to isdigit() but not all are to int().
        if digits.strip() and not (digits.strip().isascii() and digits.strip().isdigit()):
            raise BarcodeError(f"{digits.strip()!r} is not a number of digits")
        out.append(Pattern(prefix.strip(), kind, int(digits) if digits.strip() else 5))
    prefixes = [p.prefix for p in out]
    if len(set(prefixes)) != len(prefixes):
        raise BarcodeError("a prefix is given twice")
    return tuple(out)
