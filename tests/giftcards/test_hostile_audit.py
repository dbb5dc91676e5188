"""Issue 24 hostile (h3): the journal rows a gift card part is refunded from are in the audit trail.

A refund of a gift card (or store credit) part goes back onto the code its redemption row names
(`GiftCardTender.refund_to_card`), and a void gives it back there too. That row was covered by no
event: an insider who set its code to a card of their own, then refunded the receipt, had the
money put on their card while `pos audit verify` said the trail was intact. The till's own ledger
entry for the redemption (keyed by the redemption, digested with its card's code) says which card
paid; verify now holds each redemption to it. Real SQLite, the sandbox for Stripe."""

from __future__ import annotations

import sqlite3

import pytest

from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.services.outcomes import Paid, PartPaid
from pos.services.refund_phases import Refunded


def sgd(minor: int) -> Money:
    return Money(minor, "SGD")


def _paid_part_by_gift_card(context):
    card = context.gift_cards.issue(sgd(2000), "sold-1")
    mine = context.gift_cards.issue(sgd(100), "sold-2")
    cake = context.catalog.save(Product(sku="CAKE", name="Cake", category="Food", price=sgd(4500), tax_rate_bp=900))
    context.till.cart.add(cake, 1)
    assert isinstance(context.till.pay_gift_card(card.code), PartPaid)
    assert isinstance(context.till.pay_cash(sgd(2500)), Paid)
    assert context.audit.verify() is None
    return card, mine


def _edited_behind_the_tills_back_is_found(context, edit: str, mine: str) -> None:
    """`edit` run on the till's file as an insider would (plain sqlite3: what the till cannot stop)."""
    conn = sqlite3.connect(context.data_dir / "pos.sqlite3")
    try:
        with conn:
            conn.execute(edit, {"mine": mine} if ":mine" in edit else {})
    finally:
        conn.close()
    broken = context.audit.verify()
    assert broken is not None
    assert "gift card" in broken.reason


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE gift_card_redemptions SET code = :mine",
        "UPDATE gift_card_redemptions SET amount_minor = 2500",
        "UPDATE gift_card_redemptions SET shop = 1",
        "UPDATE gift_card_redemptions SET redemption_key = 'other'",
        "DELETE FROM gift_card_redemptions",
        "UPDATE gift_card_redemptions SET redemption_key = 'other', code = :mine",
        "UPDATE gift_card_redemptions SET redemption_key = 'other', code = :mine, shop = 1",
        "UPDATE gift_card_entries SET amount_minor = 10 WHERE kind = 'redeem'",
    ],
)
def test_a_redemption_row_edited_behind_the_tills_back_is_found(context, edit):
    _card, mine = _paid_part_by_gift_card(context)
    _edited_behind_the_tills_back_is_found(context, edit, mine.code)


def test_a_void_and_a_refund_keep_the_trail_whole(context):
    """The check holds the rows the till writes itself: a refund onto the card, a voided sale's part given back."""
    card, _mine = _paid_part_by_gift_card(context)
    receipt_id = context.receipts.receipt_id_for(1, context.settings.till_id)
    refunded = context.refunds.refund(receipt_id, amount=sgd(3000))
    assert isinstance(refunded, Refunded) and refunded.problem is None, refunded
    assert context.gift_cards.balance(card.code).balance == sgd(2000)
    context.till.new_sale()
    context.till.cart.add(context.catalog.find_code("CAKE"), 1)
    other = context.gift_cards.issue(sgd(1000), "sold-3")
    assert isinstance(context.till.pay_gift_card(other.code), PartPaid)
    context.till.void_sale("changed their mind")
    assert context.gift_cards.balance(other.code).balance == sgd(1000)
    assert context.audit.verify() is None


def _sold_a_card(context):
    """A 50.00 gift card sold for cash, and a card of the insider's own."""
    mine = context.gift_cards.issue(sgd(100), "sold-2")
    context.till.sell_gift_card(sgd(5000))
    assert isinstance(context.till.pay_cash(sgd(5000)), Paid)
    assert context.audit.verify() is None
    return mine


@pytest.mark.parametrize(
    "edit",
    [
        # The sold card's row pointed at the insider's card as a reload: the till reloads theirs.
        "UPDATE gift_card_sales SET code = :mine, reload = 1",
        "UPDATE gift_card_sales SET amount_minor = 99999",
        "UPDATE gift_card_sales SET reload = 2",
        "DELETE FROM gift_card_sales",
        # A card owed by no sale at all: the till would issue it at the next receipt or start.
        "INSERT INTO gift_card_sales (sale_id, line_no, code, reload, currency, amount_minor, state, shop,"
        " created_at, updated_at) SELECT sale_id, 7, :mine, 1, currency, 99999, 'owed', 0, created_at, created_at"
        " FROM gift_card_sales",
    ],
)
def test_a_gift_card_sale_row_edited_behind_the_tills_back_is_found(context, edit):
    mine = _sold_a_card(context)
    _edited_behind_the_tills_back_is_found(context, edit, mine.code)
