"""What the payment screen shows and offers, as rules the dialog only renders (issue 28 item 1).

One clear action per screen: Pay names the amount; the tenders are one row of choices; a card
declined takes over the header once, in one place; test payment methods and the simulated customer
are offered only where they can work (demo or a test key), marked as test tools.
"""

from __future__ import annotations

from dataclasses import dataclass

from pos.domain.money import Money

from .outcomes import Cancelled, Declined


def pay_label(due: Money, locale: str) -> str:
    """The Pay button's words: the amount the customer will be asked for."""
    return f"Pay {due.format(locale)}"


def mode_badge(demo: bool, test_mode: bool) -> str:
    """The badge the payment dialog wears: no real money moves in demo or test mode, and the cashier
    (and a customer looking on) should see that. An empty badge: real payments."""
    if demo:
        return "DEMO"
    if test_mode:
        return "TEST"
    return ""


def offers_test_tools(demo: bool, test_mode: bool) -> bool:
    """Test payment methods and the simulated customer exist only in Stripe's test world."""
    return bool(mode_badge(demo, test_mode))


@dataclass(frozen=True)
class Banner:
    """The header's full-width state after a tender that did not pay: what happened, then what now."""

    title: str
    detail: str


def banner_for(result: object) -> Banner | None:
    """A card that did not pay takes over the header (the cart is kept; nothing is charged).
    None: the result is the message line's (paid, a part paid, cash refused, Stripe away)."""
    if isinstance(result, Declined):
        return Banner("Card declined", f"{result.message} The cart is kept.")
    if isinstance(result, Cancelled):
        return Banner("Payment stopped", f"{result.message} The cart is kept.")
    return None
