"""Discounts: on a line or on the whole cart, by percent or by amount, always with a reason.

A discount comes off the amount the price is in (gross in a tax-inclusive store,
net in a tax-exclusive one) before tax is worked out, so the tax is on what the
customer pays. A line's own discount comes first; a cart discount is then shared
over the lines in proportion to what each still costs (largest remainder, in the
currency's rounding step), so every line knows its own discounted amount — which
is what a refund of that line gives back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from . import tax
from .errors import PosError

PERCENT_SCALE = 10_000  # percent in basis points: 1000 = 10%


class DiscountKind(StrEnum):
    PERCENT = "percent"
    AMOUNT = "amount"


class DiscountError(PosError, ValueError):
    """A discount that cannot be given; the message is for the cashier."""


@dataclass(frozen=True)
class Discount:
    kind: DiscountKind
    value: int  # basis points for PERCENT, minor units for AMOUNT
    reason: str

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise DiscountError("Give a reason for the discount (it is printed and kept).")
        if self.value <= 0:
            raise DiscountError("A discount must be more than zero.")
        if self.kind is DiscountKind.PERCENT and self.value > PERCENT_SCALE:
            raise DiscountError("A discount cannot be more than 100%.")

    def off(self, amount_minor: int, currency: str) -> int:
        """How much comes off `amount_minor`: a percent rounded half up to the currency's step,
        an amount as given; never more than the amount itself."""
        if self.kind is DiscountKind.PERCENT:
            step = tax.rounding_step(currency)
            units, rest = divmod(amount_minor * self.value, PERCENT_SCALE * step)
            taken = (units + (1 if 2 * rest >= PERCENT_SCALE * step else 0)) * step
        else:
            step = tax.rounding_step(currency)
            taken = self.value - self.value % step  # card amounts in three-decimal currencies end in 0
        return max(0, min(taken, amount_minor))

    def describe(self) -> str:
        if self.kind is DiscountKind.PERCENT:
            whole, part = divmod(self.value, 100)
            return f"{whole}{'.' + str(part).rjust(2, '0').rstrip('0') if part else ''}% {self.reason}".strip()
        return self.reason


def share(total_off: int, amounts: list[int], currency: str) -> list[int]:
    """`total_off` spread over `amounts` in proportion, in whole rounding steps (largest remainder
    first; ties to the earlier line), adding up to exactly `total_off` and never more than a line."""
    step = tax.rounding_step(currency)
    base = sum(amounts)
    if total_off <= 0 or base <= 0:
        return [0] * len(amounts)
    steps = total_off // step
    exact = [a * steps for a in amounts]  # in units of step/base
    parts = [e // base for e in exact]
    left = steps - sum(parts)
    order = sorted(range(len(amounts)), key=lambda i: (-(exact[i] % base), i))
    for i in order[:left]:
        parts[i] += 1
    return [p * step for p in parts]
