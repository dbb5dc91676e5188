"""A gift card as a tender through the till's own wiring (real SQLite, the sandbox for the card
part): part by gift card and the rest by card; the whole by gift card; a card that holds too little;
a void puts the money back on the card once; other tenders wait while a redemption is open."""

from __future__ import annotations

import sqlite3


from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.domain.receipt import render_text
from pos.domain.tender import TenderKind
from pos.services.outcomes import Failed, Paid, PartPaid
from pos.services.refund_phases import Refunded


def sgd(minor: int) -> Money:
    return Money(minor, "SGD")


def ring_up(context, price_minor: int = 4500) -> None:
    cake = context.catalog.find_code("CAKE") or context.catalog.save(
        Product(sku="CAKE", name="Cake", category="Food", price=sgd(price_minor), tax_rate_bp=900)
    )
    context.till.cart.add(cake, 1)


def test_part_by_gift_card_and_the_rest_by_card(context):
    card = context.gift_cards.issue(sgd(2000), "sold-1")
    ring_up(context)
    part = context.till.pay_gift_card(card.code.lower())
    assert isinstance(part, PartPaid), part
    assert part.tender.kind is TenderKind.GIFT_CARD and part.tender.amount == sgd(2000)
    assert part.due == sgd(2500)
    paid = context.till.pay_card(context.till.amount_due(), "pm_card_visa")
    assert isinstance(paid, Paid), paid
    kinds = [(t.kind, t.amount.minor) for t in paid.receipt.tenders]
    assert kinds == [(TenderKind.GIFT_CARD, 2000), (TenderKind.CARD, 2500)]
    assert context.gift_cards.balance(card.code).balance == sgd(0)
    assert context.audit.verify() is None


def test_a_gift_card_is_not_bought_with_a_gift_card_or_store_credit(context):
    """Issue 24: a card line in the cart refuses a gift card (and a store credit code) as tender, before
    any lookup: nothing debited, nothing journaled; cash still buys it."""
    card = context.gift_cards.issue(sgd(10000), "sold-1")
    context.till.sell_gift_card(sgd(2500))
    refused = context.till.pay_gift_card(card.code)
    assert isinstance(refused, Failed) and refused.message.startswith("A gift card cannot be bought with a gift card")
    assert context.gift_cards.balance(card.code).balance == sgd(10000)
    assert isinstance(context.till.pay_cash(sgd(2500)), Paid)


def test_a_card_holding_more_pays_the_whole_sale_and_keeps_the_rest(context):
    card = context.gift_cards.issue(sgd(10000), "sold-1")
    ring_up(context)
    paid = context.till.pay_gift_card(card.code)
    assert isinstance(paid, Paid), paid
    assert context.gift_cards.balance(card.code).balance == sgd(5500)


def test_the_cashier_may_take_less_and_a_card_never_pays_more_than_it_holds(context):
    card = context.gift_cards.issue(sgd(1000), "sold-1")
    ring_up(context)
    refused = context.till.pay_gift_card(card.code, sgd(1500))
    assert isinstance(refused, Failed) and "holds only SGD 10.00" in refused.message
    less = context.till.pay_gift_card(card.code, sgd(400))
    assert isinstance(less, PartPaid) and less.due == sgd(4100)
    assert context.gift_cards.balance(card.code).balance == sgd(600)
    mistyped = context.till.pay_gift_card(card.code[:-1] + ("2" if card.code[-1] != "2" else "3"))
    assert isinstance(mistyped, Failed) and "a character is wrong" in mistyped.message


def test_a_void_puts_the_gift_card_part_back_on_the_card_once(context):
    card = context.gift_cards.issue(sgd(2000), "sold-1")
    ring_up(context)
    assert isinstance(context.till.pay_gift_card(card.code), PartPaid)
    assert isinstance(context.till.pay_cash(sgd(1000)), PartPaid)
    voided = context.till.void_sale("customer changed their mind")
    assert voided.voided, voided.message
    assert "SGD 20.00 back on the gift card" in voided.message
    assert context.gift_cards.balance(card.code).balance == sgd(2000)
    kinds = [e.kind.value for e in context.gift_cards.locate(card.code).ledger.entries(card.code)]
    assert kinds == ["issue", "redeem", "refund_to_card"]
    conn = sqlite3.connect(context.data_dir / "pos.sqlite3")
    try:
        states = conn.execute("SELECT kind, state FROM tenders ORDER BY part_no").fetchall()
    finally:
        conn.close()
    assert states == [("gift_card", "returned"), ("cash", "returned")]


def test_no_other_tender_while_a_redemption_is_open(context):
    """A redemption journaled but not answered (the shop away, a crash) may have debited the card:
    cash or a card for the same sale waits until it is settled, or the sale could be paid twice."""
    card = context.gift_cards.issue(sgd(2000), "sold-1")
    ring_up(context)
    assert isinstance(context.till.pay_cash(sgd(500)), PartPaid)  # the sale is paid in parts now
    sale_id = context.till.sale_id
    payments = context.gift_card_payments
    payments.journal.begin_redemption(sale_id, card.code, False, sgd(1000), "pos-test-redeem")
    refused = context.till.pay_cash(sgd(4000))
    assert isinstance(refused, Failed) and "gift card payment for this sale is still open" in refused.message
    assert payments.recover() == [
        "A gift card payment of SGD 10.00 (card …"
        + card.code[-4:]
        + ") never went through: Nothing was taken from the card."
    ]
    assert isinstance(context.till.pay_cash(sgd(4000)), Paid)
    assert context.gift_cards.balance(card.code).balance == sgd(2000)


def _debited_unanswered(context, card, amount: Money) -> None:
    """A redemption whose debit reached the ledger but whose answer never came back (the shop's link
    dropped after its commit): journaled as started, the key's entry in the ledger."""
    sale_id = context.till.sale_id
    record = context.gift_card_payments.journal.begin_redemption(sale_id, card.code, False, amount, "pos-lost-redeem")
    context.gift_cards.locate(card.code).ledger.redeem(card.code, amount, record.key)


def test_a_changed_cart_never_drops_a_gift_card_part_that_went_through(context):
    """Nothing recorded yet but a redemption whose answer was lost: the cart changes, and the till
    settles the redemption before it lets the sale go (it went through: the sale keeps it)."""
    card = context.gift_cards.issue(sgd(2000), "sold-1")
    ring_up(context)
    too_much = context.till.pay_gift_card(card.code, sgd(3000))  # refused; the sale is paid in parts now
    assert isinstance(too_much, Failed) and "holds only" in too_much.message
    _debited_unanswered(context, card, sgd(1000))
    ring_up(context)  # one more cake: the cart changed
    refused = context.till.pay_cash(sgd(10000))
    assert isinstance(refused, Failed) and "went through after all" in refused.message, refused
    assert [t.kind for t in context.till.tenders()] == [TenderKind.GIFT_CARD]
    assert context.till.amount_due() == sgd(3500)
    assert context.gift_cards.balance(card.code).balance == sgd(1000)


def test_a_void_settles_a_gift_card_part_that_went_through_and_gives_it_back(context):
    card = context.gift_cards.issue(sgd(2000), "sold-1")
    ring_up(context)
    assert isinstance(context.till.pay_cash(sgd(500)), PartPaid)
    _debited_unanswered(context, card, sgd(1000))
    voided = context.till.void_sale("customer left")
    assert voided.voided and "SGD 10.00 back on the gift card" in voided.message, voided.message
    assert context.gift_cards.balance(card.code).balance == sgd(2000)
    assert context.gift_card_payments.journal.open_redemptions() == []


def test_a_refund_of_a_receipt_paid_by_gift_card_goes_back_on_the_card_once(context):
    """45.00 paid 20.00 by gift card and 25.00 in cash; a refund of 30.00 goes back to the tenders that
    paid: 20.00 onto the card (a refund_to_card entry under the piece's key), 10.00 from the drawer."""
    card = context.gift_cards.issue(sgd(2000), "sold-1")
    ring_up(context)
    assert isinstance(context.till.pay_gift_card(card.code), PartPaid)
    paid = context.till.pay_cash(sgd(2500))
    assert isinstance(paid, Paid), paid
    receipt_id = context.receipts.receipt_id_for(paid.receipt.receipt_no, paid.receipt.till_id)
    refunded = context.refunds.refund(receipt_id, amount=sgd(3000))
    assert isinstance(refunded, Refunded) and refunded.problem is None, refunded
    assert sorted((r.in_cash, r.amount.minor) for r in refunded.refunds) == [(False, 2000), (True, 1000)]
    assert context.gift_cards.balance(card.code).balance == sgd(2000)
    kinds = [e.kind.value for e in context.gift_cards.locate(card.code).ledger.entries(card.code)]
    assert kinds == ["issue", "redeem", "refund_to_card"]
    assert context.refunds.recover() == []  # nothing left to settle, nothing credited twice
    assert context.gift_cards.balance(card.code).balance == sgd(2000)
    assert context.audit.verify() is None


def test_a_gift_card_part_is_named_by_the_last_four_of_its_code_like_a_card(context):
    """Issue 24 (a known gap): the receipt said "Gift card" beside "Card VISA **** 4242", so a customer
    with two cards (or the shop, asked later) could not tell which paid. Now the receipt, the receipt
    as the receipts window shows it again, and the refund's list of what paid name it by the last four
    of its code, masked as a card is; a store credit code the same."""
    card = context.gift_cards.issue(sgd(2000), "sold-1")
    credit = context.refunds.credit.issue("credit-1", sgd(500))
    ring_up(context)
    assert isinstance(context.till.pay_gift_card(card.code), PartPaid)
    assert isinstance(context.till.pay_gift_card(credit), PartPaid)
    paid = context.till.pay_card(context.till.amount_due(), "pm_card_visa")
    assert isinstance(paid, Paid), paid
    named = [f"Gift card **** {card.code[-4:]}", f"Store credit **** {credit.replace('-', '')[-4:]}"]
    assert [t.label for t in paid.receipt.tenders][:2] == named
    receipt_id = context.receipts.receipt_id_for(paid.receipt.receipt_no, paid.receipt.till_id)
    shown = render_text(context.receipts.receipt(receipt_id))
    assert all(label in shown for label in named), shown
    assert [p.label for p in context.refunds.basis(receipt_id).parts][:2] == named
