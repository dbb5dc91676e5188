"""The payment screen's rules (services/payment_screen.py), plain: what Pay says, the mode badge, when
the test tools are offered, and which results take over the header (issue 28 item 1)."""

from __future__ import annotations

from pos.domain.money import Money
from pos.services.outcomes import Cancelled, Declined, Failed, Pending
from pos.services.payment_screen import Banner, banner_for, mode_badge, offers_test_tools, pay_label


def test_pay_names_the_amount():
    assert pay_label(Money(1760, "USD"), "en_US") == "Pay $17.60"
    assert pay_label(Money(1820, "SGD"), "en_SG") == "Pay $18.20"


def test_the_badge_and_the_test_tools_follow_the_mode():
    assert (mode_badge(True, True), offers_test_tools(True, True)) == ("DEMO", True)
    assert (mode_badge(False, True), offers_test_tools(False, True)) == ("TEST", True)
    # A till with real payments (no test key, not demo): no badge, no test payment methods.
    assert (mode_badge(False, False), offers_test_tools(False, False)) == ("", False)


def test_a_card_that_did_not_pay_takes_over_the_header():
    declined = banner_for(Declined("The card was declined: not enough funds.", "insufficient_funds"))
    assert declined == Banner("Card declined", "The card was declined: not enough funds. The cart is kept.")
    assert banner_for(Cancelled("Nothing was charged.")) == Banner(
        "Payment stopped", "Nothing was charged. The cart is kept."
    )
    # Not a card's answer: the message line says them (a refused cash amount, Stripe away, an unknown outcome).
    assert banner_for(Failed("That would leave SGD 0.30 to pay.")) is None
    assert banner_for(Pending("Checking…")) is None
