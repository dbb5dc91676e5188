"""Tax on a line, and the rounding rule that keeps every receipt adding up.

The rule (also in docs/architecture.md):
- Tax is computed per line, from the line's amount (unit price x quantity),
  exactly with integers, then rounded half up to the currency's rounding step.
- The step is one minor unit, except for Stripe's three-decimal currencies,
  whose card amounts must end in 0: there the step is ten minor units.
- Tax-inclusive prices: line tax = round(gross x rate / (1 + rate)); the
  line's net is gross - tax; the total is the sum of the gross amounts.
- Tax-exclusive prices: line tax = round(net x rate); the line's gross is
  net + tax; the total is the sum of the gross amounts.
- Receipt tax = sum of line taxes; subtotal = sum of line nets; so
  subtotal + tax = total always, to the minor unit.

Rates are integer basis points (9% = 900) so that no rate is a float.
"""

from __future__ import annotations

from . import currency as currencies

BASIS_POINTS = 10_000


def rounding_step(currency: str) -> int:
    return 10 if currency.lower() in currencies.THREE_DECIMAL else 1


def round_half_up(numerator: int, denominator: int, step: int) -> int:
    """numerator / denominator rounded half up to a multiple of step (all non-negative)."""
    units, remainder = divmod(numerator, denominator * step)
    if 2 * remainder >= denominator * step:
        units += 1
    return units * step


def line_tax(amount_minor: int, rate_bp: int, inclusive: bool, currency: str) -> int:
    """The tax in one line whose price amount is amount_minor (gross if inclusive, else net)."""
    if amount_minor < 0:
        return -line_tax(-amount_minor, rate_bp, inclusive, currency)
    step = rounding_step(currency)
    if inclusive:
        return round_half_up(amount_minor * rate_bp, BASIS_POINTS + rate_bp, step)
    return round_half_up(amount_minor * rate_bp, BASIS_POINTS, step)


def parse_rate(text: str) -> int:
    """'9' or '8.25' percent -> basis points. At most two decimals."""
    from .money import plain_decimal

    value = plain_decimal(text)  # the amounts' rule: no '1e1', no '9_5'
    if value is None:
        raise ValueError(f"{text!r} is not a tax rate")
    bp = value * 100
    if bp != bp.to_integral_value() or not 0 <= bp <= 10_000:
        raise ValueError(f"tax rate {text!r} must be a percentage from 0 to 100 with at most two decimals")
    return int(bp)


def format_rate(rate_bp: int) -> str:
    whole, part = divmod(rate_bp, 100)
    return f"{whole}" if not part else f"{whole}.{part:02d}".rstrip("0")
