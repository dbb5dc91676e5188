"""Money: an integer count of minor units and an ISO currency. Never a float.

Parsing and formatting happen only at the edges (CSV import, the screen, the
printed receipt); everything in between adds and compares integers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
import functools
from decimal import Decimal

from . import currency as currencies
from .errors import PosError


class MoneyError(PosError, ValueError):
    pass


def typed_decimal_point(currency: str) -> str:
    """The decimal point an amount in this currency is typed with ("." as Money.parse reads it), or
    "" for a currency without minor units (JPY): then a keypad shows no decimal key."""
    return "." if currencies.exponent(currency) else ""


# What a person types for an amount at every door (window fields, the CLI, CSV files): ASCII digits
# and at most one dot, a minus sign before them. Python's Decimal also reads '1_000', '1e3', 'Infinity'
# and other scripts' digits ('４.５０'), none of which a cashier means as an amount: a typo read as a
# thousand is money given away.
PLAIN_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def plain_decimal(text: str) -> Decimal | None:
    """`text` (spaces around it aside) as a Decimal if it is a plain decimal number, else None."""
    cleaned = text.strip()
    return Decimal(cleaned) if PLAIN_DECIMAL.fullmatch(cleaned) else None


@dataclass(frozen=True, order=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise MoneyError(f"money takes an integer count of minor units, not {self.minor!r}")
        code = self.currency.upper()
        if not currencies.is_known(code):
            raise MoneyError(f"unknown currency {self.currency!r}")
        object.__setattr__(self, "currency", code)

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str, currency: str) -> "Money":
        """'3.50' in SGD -> 350 minor units. Only a plain decimal (PLAIN_DECIMAL: no '1_000', '1e3',
        'inf'); more decimals than the currency has is an error."""
        exp = currencies.exponent(currency)
        value = plain_decimal(text)
        if value is None:
            raise MoneyError(f"{text!r} is not an amount: type digits and a dot, like 4.50")
        minor = value.scaleb(exp)
        if minor != minor.to_integral_value():
            raise MoneyError(f"{text!r} has more than {exp} decimal places for {currency.upper()}")
        return cls(int(minor), currency)

    @property
    def exponent(self) -> int:
        return currencies.exponent(self.currency)

    def major_text(self) -> str:
        """The plain decimal form, as CSV files and Stripe's dashboard show it: '3.50'."""
        return f"{Decimal(self.minor).scaleb(-self.exponent):.{self.exponent}f}"

    def format(self, locale: str = "en_SG") -> str:
        """For people: 'S$3.50', '¥500', 'KWD 1.250', from Babel's CLDR locale data."""
        return _formatted(self.minor, self.currency, locale)

    def _check(self, other: "Money") -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: "Money") -> "Money":
        self._check(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._check(other)
        return Money(self.minor - other.minor, self.currency)

    def __mul__(self, times: int) -> "Money":
        if not isinstance(times, int) or isinstance(times, bool):
            raise TypeError("money multiplies by whole numbers only")
        return Money(self.minor * times, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> "Money":
        return Money(-self.minor, self.currency)

    def __bool__(self) -> bool:
        return self.minor != 0

    def __str__(self) -> str:
        return f"{self.currency} {self.major_text()}"


@functools.lru_cache(maxsize=4096)
def _formatted(minor: int, currency: str, locale: str) -> str:
    """Money.format's text, kept: Babel takes ~0.2 ms an amount, and the cart redraws every line's
    amounts on each scan (the same few amounts, again and again); the text depends on nothing else."""
    # Babel is imported on first use: it is heavy and only the screen needs it.
    from babel.core import UnknownLocaleError
    from babel.numbers import format_currency, get_currency_precision

    money = Money(minor, currency)
    if get_currency_precision(currency) != money.exponent:
        # CLDR and Stripe disagree on this currency's decimals; never round money away.
        return str(money)
    amount = Decimal(minor).scaleb(-money.exponent)
    try:
        return format_currency(amount, currency, locale=locale)
    except (UnknownLocaleError, ValueError, OSError):
        # A locale whose data is not shipped (the frozen app keeps a chosen few).
        return format_currency(amount, currency, locale="en")
