"""Hostile tests of gift cards as money (issue 24): a customer or cashier trying to get more out of a
card than was paid for it. Real SQLite, the sandbox for Stripe, the till's own wiring (conftest)."""

from __future__ import annotations

import pytest

from pos.domain.catalog import Product
from pos.domain.discounts import Discount, DiscountKind
from pos.domain.giftcards import sold_card
from pos.domain.money import Money
from pos.services.outcomes import Paid
from pos.services.refunds import RefundFailed


def sgd(minor: int) -> Money:
    return Money(minor, "SGD")


def sell_card_for_cash(context, minor: int) -> tuple[str, int]:
    """A gift card holding `minor` sold for cash (with whatever is in the cart): its code, the receipt's id."""
    context.till.sell_gift_card(sgd(minor))
    code = next(sold[0] for line in context.till.cart.lines if (sold := sold_card(line.product.sku)))
    paid = context.till.pay_cash(context.till.amount_due())
    assert isinstance(paid, Paid), paid
    return code, context.receipts.receipt_id_for(paid.receipt.receipt_no, paid.receipt.till_id)


def test_a_sold_gift_card_line_is_not_refunded_as_money_while_the_card_keeps_its_balance(context):
    """Bought a 100.00 card for cash, asked for the line back in cash: the old till handed over 100.00
    and the card still held 100.00 (money left twice). A gift card line is not given back as money."""
    code, receipt_id = sell_card_for_cash(context, 10000)
    assert context.gift_cards.balance(code).balance == sgd(10000)
    refused = context.refunds.refund(receipt_id, lines={1: 1}, in_cash=True)
    assert isinstance(refused, RefundFailed), refused
    assert "gift card" in refused.message.lower()
    by_amount = context.refunds.refund(receipt_id, amount=sgd(10000))
    assert isinstance(by_amount, RefundFailed), by_amount
    to_credit = context.refunds.refund(receipt_id, lines={1: 1}, to_store_credit=True)
    assert isinstance(to_credit, RefundFailed), to_credit
    assert context.gift_cards.balance(code).balance == sgd(10000)
    assert context.refunds.cash_owed() == []


def test_the_other_lines_of_a_receipt_that_sold_a_gift_card_still_refund(context):
    cake = context.catalog.save(Product(sku="CAKE", name="Cake", category="Food", price=sgd(500), tax_rate_bp=900))
    context.till.cart.add(cake, 1)
    code, receipt_id = sell_card_for_cash(context, 2000)
    refunded = context.refunds.refund(receipt_id, lines={1: 1}, in_cash=True)
    assert not isinstance(refunded, RefundFailed), refunded
    too_much = context.refunds.refund(receipt_id, amount=sgd(100))
    assert isinstance(too_much, RefundFailed) and "gift card" in too_much.message.lower(), too_much
    assert context.gift_cards.balance(code).balance == sgd(2000)


def test_a_discount_never_puts_more_on_a_card_than_was_paid_for_it(context):
    """A 50% discount on the cart and on a 100.00 gift card line: the old till charged 25.00 and the
    card held 100.00. A card holds what was paid for it: a gift card line takes no discount."""
    context.till.sell_gift_card(sgd(10000))
    code = next(sold[0] for line in context.till.cart.lines if (sold := sold_card(line.product.sku)))
    half = Discount(DiscountKind.PERCENT, 5000, "friend")
    context.till.cart.discount_cart(half)
    context.till.cart.discount_line(0, half)
    assert context.till.amount_due() == sgd(10000)
    paid = context.till.pay_cash(sgd(10000))
    assert isinstance(paid, Paid), paid
    assert context.gift_cards.balance(code).balance == sgd(10000)


def test_a_gift_card_line_does_not_dilute_a_discount_under_the_approval_limit(context):
    """A free 10.00 cake beside a 1000.00 gift card line was 'a 1% discount' to the approval rule."""
    cake = context.catalog.save(Product(sku="CAKE", name="Cake", category="Food", price=sgd(1000), tax_rate_bp=900))
    context.till.cart.add(cake, 1)
    context.till.sell_gift_card(sgd(100000))
    context.till.cart.discount_line(0, Discount(DiscountKind.PERCENT, 10000, "free"))
    assert context.till.cart.discount_share_bp() == 10000


def test_an_amount_in_another_currency_is_never_counted_as_the_cards(context):
    """Asked to take USD 20.00 off an SGD card, the old till took SGD 20.00 (a JPY amount would be 100x
    off); a USD reload added SGD. The ledger adds minor units, so the currency is checked first."""
    from pos.services.giftcards import GiftCardError
    from pos.services.outcomes import Failed

    card = context.gift_cards.issue(sgd(5000), "sold-1")
    cake = context.catalog.save(Product(sku="CAKE", name="Cake", category="Food", price=sgd(8000), tax_rate_bp=900))
    context.till.cart.add(cake, 1)
    refused = context.till.pay_gift_card(card.code, Money(2000, "USD"))
    assert isinstance(refused, Failed) and "USD" in refused.message, refused
    with pytest.raises(GiftCardError, match="holds SGD, not JPY"):
        context.gift_cards.reload(card.code, Money(1000, "JPY"), "reload-1")
    assert context.gift_cards.balance(card.code).balance == sgd(5000)


def test_a_gift_card_part_is_never_refunded_in_cash(context):
    """A cake bought wholly with a gift card (or store credit), refunded 'in cash': the old till gave
    45.00 from the drawer, turning the card's balance into cash (a stolen code cashed out). It goes
    back onto the card; only the parts paid otherwise come from the drawer."""
    card = context.gift_cards.issue(sgd(5000), "sold-1")
    cake = context.catalog.save(Product(sku="CAKE", name="Cake", category="Food", price=sgd(4500), tax_rate_bp=900))
    context.till.cart.add(cake, 1)
    paid = context.till.pay_gift_card(card.code)
    assert isinstance(paid, Paid), paid
    receipt_id = context.receipts.receipt_id_for(paid.receipt.receipt_no, paid.receipt.till_id)
    refunded = context.refunds.refund(receipt_id, amount=sgd(4500), in_cash=True)
    assert not isinstance(refunded, RefundFailed), refunded
    assert [r.in_cash for r in refunded.refunds] == [False]
    assert context.gift_cards.balance(card.code).balance == sgd(5000)


def test_the_refund_dialog_offers_no_gift_card_line(qtbot, context):
    """The window's door to the same rule: the gift card line cannot be chosen, and the amount it offers
    is what the goods left (real Qt widgets, offscreen)."""
    from pos.ui.refund_dialog import RefundDialog

    cake = context.catalog.save(Product(sku="CAKE", name="Cake", category="Food", price=sgd(500), tax_rate_bp=900))
    context.till.cart.add(cake, 1)
    _code, receipt_id = sell_card_for_cash(context, 2000)
    dialog = RefundDialog(context, receipt_id)
    qtbot.addWidget(dialog)
    assert dialog.spins[1].isEnabled() and dialog.spins[1].maximum() == 1
    assert not dialog.spins[2].isEnabled() and dialog.spins[2].maximum() == 0
    assert dialog.amount.placeholderText() == "up to 5.00"


def test_a_gift_card_sold_then_spent_is_not_counted_twice_as_takings(context):
    """A hostile tester's finding: 50.00 of card sold for cash, then an 80.00 cake paid 50.00 by that
    card and 30.00 in cash, and the day's report said 130.00 gross with nothing to tell the 50.00 of
    held money from goods. The report now says what was sold as gift cards (held for the customer) and
    what the goods came to, on screen, in CSV and JSON, and in the shop's report the same way."""
    context.catalog.save(Product(sku="CAKE", name="Cake", category="Test", price=sgd(8000), tax_rate_bp=900))
    code, _receipt = sell_card_for_cash(context, 5000)
    context.till.new_sale()
    cake = context.catalog.find_code("CAKE")
    assert cake is not None
    context.till.cart.add(cake)
    assert not isinstance(context.till.pay_gift_card(code), Paid)  # 50.00 of 80.00: a part
    assert isinstance(context.till.pay_cash(context.till.amount_due()), Paid)
    report = context.reports.x_report()
    assert (report.gross_minor, report.gift_cards_sold_minor, report.goods_sales_minor) == (13000, 5000, 8000)
    as_json = report.as_json()
    assert (as_json["gift_cards_sold_minor"], as_json["goods_sales_minor"]) == (5000, 8000)
    tenders = {kind: sales for kind, _n, sales, _refunds in report.by_tender}
    assert tenders == {"cash": 8000, "gift_card": 5000}  # the takings: goods sold, whatever paid them
