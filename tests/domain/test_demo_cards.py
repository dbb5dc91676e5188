"""The till's one list of Stripe test cards (pos/domain/demo_cards.py) against what the sandbox does
with each: the same last four digits, and the outcome the cashier is shown is the one that happens."""

from __future__ import annotations

import pytest

from pos.domain.demo_cards import DEMO_CARDS, ON_READER, PAYMENT_METHODS
from pos.sandbox.cards import CARD_BEHAVIOUR
from pos.sandbox.terminal import PRESENT_CARDS


def test_every_card_is_offered_one_way_or_the_other():
    assert set(PAYMENT_METHODS) | set(ON_READER) == set(DEMO_CARDS)
    assert PAYMENT_METHODS[0].payment_method == "pm_card_visa" and ON_READER[0].number == "4242424242424242"
    assert len({c.label for c in DEMO_CARDS}) == len(DEMO_CARDS)  # the cashier can tell them apart


@pytest.mark.parametrize("card", PAYMENT_METHODS, ids=lambda c: c.payment_method)
def test_a_payment_method_does_what_the_list_says(card):
    behaviour = CARD_BEHAVIOUR[card.payment_method]
    assert behaviour.last4 == card.last4
    assert (behaviour.decline is not None) == card.outcome.startswith("declined")
    assert behaviour.requires_action == ("authentication" in card.outcome)


@pytest.mark.parametrize("card", ON_READER, ids=lambda c: c.number)
def test_a_card_present_number_does_what_the_list_says(card):
    behaviour = PRESENT_CARDS[card.number]
    assert behaviour.last4 == card.last4
    assert (behaviour.decline is not None) == card.outcome.startswith("declined")
    assert (behaviour.verification != "none") == ("PIN" in card.outcome)
