"""Cash at the counter: rounding the cash part to what coins can pay, change, and quick amounts.

Rounding is a store's choice (none, 0.05 or 0.10, to the nearest, halves up as
Swiss and Singapore tills do) and applies to the amount paid in cash only: a card
is charged to the minor unit. The rounding is the cash due less the amount due,
negative when the customer pays a little less.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import PosError
from .money import Money, MoneyError

# What a store can choose, as the owner reads it; "" is no rounding.
ROUNDING_CHOICES = ("", "0.05", "0.10")

# Notes in circulation (major units), for the quick buttons and the count by denomination.
_NOTES: dict[str, tuple[int, ...]] = {
    "SGD": (2, 5, 10, 50, 100),
    "USD": (1, 5, 10, 20, 50, 100),
    "EUR": (5, 10, 20, 50, 100, 200),
    "GBP": (5, 10, 20, 50),
    "CHF": (10, 20, 50, 100, 200),
    "AUD": (5, 10, 20, 50, 100),
    "CAD": (5, 10, 20, 50, 100),
    "NZD": (5, 10, 20, 50, 100),
    "MYR": (1, 5, 10, 20, 50, 100),
    "HKD": (10, 20, 50, 100, 500),
    "JPY": (1000, 2000, 5000, 10000),
    "KRW": (1000, 5000, 10000, 50000),
    "INR": (10, 20, 50, 100, 200, 500),
}
_GENERIC_NOTES = (5, 10, 20, 50, 100)
# Notes in circulation (minor units) that only the drawer count goes by: quick cash in these keeps the
# 1-2-5 series from a tenth of the cash due (_quick_notes: for THB 1,130 the 1,200 or 1,500 a customer
# hands over, not 1,140). Babel/CLDR has no denominations, so they are listed here, from the central
# banks' series in circulation: the generic 5..100 of a unit counted 5, 10 and 100 baht as notes (coins
# and a rare note), rupiah notes below the smallest (1,000), and 5 to 100 dinars (the 1/4 and 1/2 missing).
_COUNT_NOTES: dict[str, tuple[int, ...]] = {
    "THB": (2000, 5000, 10000, 50000, 100000),  # 20, 50, 100, 500, 1,000 baht
    "IDR": (100000, 200000, 500000, 1000000, 2000000, 5000000, 10000000),  # 1,000 .. 100,000 rupiah
    "KWD": (250, 500, 1000, 5000, 10000, 20000),  # 1/4, 1/2, 1, 5, 10, 20 dinars
}
# Coins in circulation (minor units), for counting the drawer.
_COINS: dict[str, tuple[int, ...]] = {
    "SGD": (5, 10, 20, 50, 100),
    "USD": (1, 5, 10, 25),
    "EUR": (1, 2, 5, 10, 20, 50, 100, 200),
    "GBP": (1, 2, 5, 10, 20, 50, 100, 200),
    "CHF": (5, 10, 20, 50, 100, 200, 500),
    "AUD": (5, 10, 20, 50, 100, 200),
    "MYR": (5, 10, 20, 50),
    "JPY": (1, 5, 10, 50, 100, 500),
    "THB": (25, 50, 100, 200, 500, 1000),  # 25 and 50 satang, 1, 2, 5, 10 baht
    "IDR": (10000, 20000, 50000, 100000),  # 100, 200, 500, 1,000 rupiah
    "KWD": (5, 10, 20, 50, 100),  # 5 .. 100 fils
}


class CashError(PosError, ValueError):
    """Cash that cannot be taken as typed; the message is for the cashier."""


def rounding_step(choice: str, currency: str) -> int:
    """The store's rounding as a step in minor units (1 = none). CashError if the currency cannot take it."""
    if not choice:
        return 1
    if choice not in ROUNDING_CHOICES:
        raise CashError(f"Cash rounding is none, 0.05 or 0.10, not {choice!r}.")
    try:
        step = Money.parse(choice, currency).minor
    except MoneyError:
        raise CashError(f"{currency.upper()} has no {choice} coin to round cash to.") from None
    return step


def round_cash(due: Money, step: int) -> Money:
    """The amount due rounded to the nearest step, halves up (10.02 -> 10.00, 10.03 -> 10.05 for 0.05)."""
    if step <= 1:
        return due
    return Money((due.minor + step // 2) // step * step, due.currency)


@dataclass(frozen=True)
class CashPayment:
    """What taking this much cash does to a sale that owes `due`."""

    due: Money  # what the sale still owed before this cash
    tendered: Money  # what the customer handed over
    applied: Money  # what goes to the sale (cash due when it settles the sale, else the tendered amount)
    change: Money  # handed back
    rounding: Money  # cash due less due, when this cash settles the sale; else zero

    @property
    def settles(self) -> bool:
        return self.applied >= self.due + self.rounding


def take_cash(due: Money, tendered: Money, step: int) -> CashPayment:
    """Cash that covers the (rounded) amount due settles the sale with change; less is part of it."""
    if tendered.currency != due.currency:
        raise CashError(f"Cash is taken in {due.currency}.")
    zero = Money.zero(due.currency)
    if due.minor == 0 and tendered.minor >= 0:
        # A free sale (a 100 % discount): it settles with nothing paid, anything handed over goes back.
        return CashPayment(due, tendered, zero, tendered, zero)
    if tendered.minor <= 0:
        raise CashError("Type the cash the customer handed over.")
    if due.minor <= 0:
        raise CashError("Nothing is left to pay.")
    cash_due = round_cash(due, step)
    if cash_due.minor <= 0:
        # Less than half the smallest coin is left: rounding takes it away, nothing is paid in cash.
        raise CashError(f"What is left ({due}) rounds to nothing in cash.")
    if tendered >= cash_due:
        return CashPayment(due, tendered, cash_due, tendered - cash_due, cash_due - due)
    return CashPayment(due, tendered, tendered, zero, zero)


def notes(currency: str) -> tuple[Money, ...]:
    """The notes of a currency, smallest first (a generic set where none is listed)."""
    majors = _NOTES.get(currency.upper(), _GENERIC_NOTES)
    unit = Money.parse("1", currency).minor
    return tuple(Money(major * unit, currency) for major in majors)


def quick_amounts(due: Money, step: int, *, count: int = 4) -> tuple[Money, ...]:
    """What a customer is likely to hand over for `due`, above the exact cash (which has its own
    button): for each note, the smallest number of that note worth more than the cash due, as Square's
    fast cash offers (11.30 in USD -> 12, 15, 20, 50; 10.00 in SGD -> 12, 15, 20, 50). Distinct,
    smallest first, at most `count`."""
    exact = round_cash(due, step)
    if exact.minor <= 0:
        return ()
    above = sorted(
        minor
        for minor in {(exact.minor // note.minor + 1) * note.minor for note in _quick_notes(exact)}
        # Only what cash can be (a whole rounding step) and covers what is due: with 5-cent rounding
        # NOK 0.12 is 0.10 in cash, and the 1-2-5 series offered 0.11, a coin nobody has.
        if minor % step == 0 and minor >= due.minor
    )
    return tuple(Money(minor, due.currency) for minor in above[:count])


def _quick_notes(exact: Money) -> tuple[Money, ...]:
    """The notes quick cash counts in: the currency's own when listed; else the 1-2-5 series from a
    tenth of the cash due up. The generic 5..100 set gave THB 1,130 the keys 1,135 / 1,140 / 1,150 /
    1,160 and KWD 0.750 the keys 5 / 10 / 20 / 50 (a customer hands over 1,200 baht, or a 1 dinar note)."""
    if exact.currency in _NOTES:
        return notes(exact.currency)
    series: list[Money] = []
    unit = 1
    while len(series) < 6:  # up to 100 times a tenth of the cash due: past any note a customer hands over
        for digit in (1, 2, 5):
            if digit * unit * 10 >= exact.minor:
                series.append(Money(digit * unit, exact.currency))
        unit *= 10
    return tuple(series)


def denominations(currency: str) -> tuple[Money, ...]:
    """Coins then notes, smallest first: the rows of a drawer count."""
    code = currency.upper()
    coins = tuple(Money(minor, currency) for minor in _COINS.get(code, ()))
    counted = _COUNT_NOTES.get(code)
    bills = tuple(Money(minor, currency) for minor in counted) if counted else notes(currency)
    return tuple(sorted({*coins, *bills}))


def count_total(counts: dict[Money, int]) -> Money | None:
    """What a count by denomination comes to (None when nothing was counted)."""
    items = [(value, n) for value, n in counts.items() if n]
    if not items:
        return None
    if any(n < 0 for _value, n in items):
        raise CashError("A count cannot be less than nothing.")
    return sum((value * n for value, n in items), Money.zero(items[0][0].currency))
