"""What a card can be charged: Stripe's minimum per currency, and the smallest card unit.

A sale paid in parts is checked against these BEFORE a part is taken: a card part
Stripe would refuse, or a part that would leave a rest no card can take (17.90 cash
of 18.20 leaves 0.30, under Stripe's 0.50), is refused at the counter with the
amounts that would work, so a customer is never left owing what only cash can pay.
"""

from __future__ import annotations

from .money import Money
from .tax import rounding_step

# Stripe's minimum charge amounts in minor units (https://docs.stripe.com/currencies, "Minimum and
# maximum charge amounts"); a currency not listed takes the equivalent of 50 minor units.
_MINIMUM = {
    "USD": 50,
    "AED": 200,
    "AUD": 50,
    "BGN": 100,
    "BRL": 50,
    "CAD": 50,
    "CHF": 50,
    "CZK": 1500,
    "DKK": 250,
    "EUR": 50,
    "GBP": 30,
    "HKD": 400,
    "HUF": 17500,
    "INR": 50,
    "JPY": 50,
    "MXN": 1000,
    "MYR": 200,
    "NOK": 300,
    "NZD": 50,
    "PLN": 200,
    "RON": 200,
    "SEK": 300,
    "SGD": 50,
    "THB": 1000,
}
_DEFAULT_MINIMUM = 50


def card_step(currency: str) -> int:
    """The smallest card amount step in minor units: ten for the three-decimal currencies (their
    card amounts end in 0), else one. The same step the tax rounds to."""
    return rounding_step(currency)


def card_minimum(currency: str) -> Money:
    """Stripe's smallest card payment in the currency, rounded up to a whole card step."""
    step = card_step(currency)
    minor = _MINIMUM.get(currency.upper(), _DEFAULT_MINIMUM)
    return Money(-(-minor // step) * step, currency.upper())


def _reason(amount: Money) -> str | None:
    least = card_minimum(amount.currency)
    if amount < least:
        return f"Stripe's minimum is {least}"
    step = card_step(amount.currency)
    if amount.minor % step:
        return f"{amount.currency} cards take whole steps of {Money(step, amount.currency)}"
    return None


def card_problem(amount: Money) -> str | None:
    """Why a card cannot be charged this amount (for the cashier), or None when it can."""
    why = _reason(amount)
    return None if why is None else f"A card cannot take {amount}: {why}."


def part_problem(due: Money, part: Money) -> str | None:
    """Why a part of `part` (cash or card) may not be taken of `due`: the rest it leaves must be
    something a card can still pay, so the customer is never stuck owing what only cash can pay.
    None when the part settles the sale or leaves a rest a card can take."""
    rest = due - part
    why = _reason(rest) if rest.minor > 0 else None
    if why is None:
        return None
    # The nearest part below it that works: the rest raised to whole card steps and to the minimum.
    step = card_step(due.currency)
    nearer = due.minor - max(card_minimum(due.currency).minor, -(-rest.minor // step) * step)
    left = f"That would leave {rest} to pay, which a card cannot take ({why})"
    if nearer <= 0:
        return f"{left}. Take all {due} now."
    return f"{left}. Take all {due} now, or {Money(nearer, due.currency)} in this part."
