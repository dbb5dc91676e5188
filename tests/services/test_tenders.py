"""Cash, split tender and voids (issue 13, items 1, 2 and 4): the real Stripe adapter over HTTP
against the sandbox, and a real SQLite file. Every test ends with the exactly-once invariants."""

from __future__ import annotations

import sqlite3


from pos.adapters.db.receipts import ReceiptsRepo
from pos.adapters.db.refunds import SqlRefunds
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.domain.receipt import render_text
from pos.domain.tender import TenderKind
from pos.services.checkout import Declined, Failed, Paid, PartPaid
from pos.services.refunds import Refunded, RefundFailed, Refunds
from pos.services.states import SaleState
from pos.services.till import Till
from tests.invariants import check_invariants


def sgd(minor: int) -> Money:
    return Money(minor, "SGD")


def db(shop):
    return shop.data_dir / "pos.sqlite3"


def odd_priced(shop) -> Product:
    return shop.catalog.save(
        Product(sku="MUF", name="Muffin", category="Bakery", price=sgd(433), tax_rate_bp=900, barcode="333")
    )


def test_a_cash_sale_with_change_is_a_numbered_receipt_and_never_reaches_stripe(shop):
    shop.cart_of((shop.latte, 2))  # 11.60
    paid = shop.till.pay_cash(sgd(2000))
    assert isinstance(paid, Paid)
    receipt = paid.receipt
    assert receipt.receipt_no == 1 and receipt.payment_intent is None and receipt.total == sgd(1160)
    (cash,) = receipt.tenders
    assert (cash.kind, cash.amount, cash.tendered, cash.change) == (TenderKind.CASH, sgd(1160), sgd(2000), sgd(840))
    text = render_text(receipt)
    assert "Cash" in text and "Change" in text and "$8.40" in text and "Payment pi_" not in text
    assert shop.stripe.v1.payment_intents.list().data == []  # no intent was ever created
    # The next card sale takes the next number: one gapless sequence for every tender.
    shop.till.new_sale()
    shop.cart_of((shop.bun, 1))
    card = shop.till.pay("pm_card_visa")
    assert isinstance(card, Paid) and card.receipt.receipt_no == 2
    check_invariants(db(shop), shop.stripe)


def test_cash_rounding_applies_to_the_cash_only_and_is_its_own_line(shop):
    shop.till.apply_store_terms("SGD", True, "0.05")
    muffin = odd_priced(shop)
    shop.cart_of((muffin, 1))  # 4.33: 4.35 in cash
    assert shop.till.pay_cash(sgd(435)).receipt.rounding == sgd(2)
    shop.till.new_sale()
    shop.cart_of((muffin, 2))  # 8.66: 8.65 in cash, paid as 3.00 cash then the rest by card (never rounded)
    part = shop.till.pay_cash(sgd(300))
    assert isinstance(part, PartPaid) and part.due == sgd(566) and shop.till.amount_due() == sgd(566)
    paid = shop.till.pay_card(sgd(566), "pm_card_visa")
    assert isinstance(paid, Paid) and paid.receipt.rounding == sgd(0)
    assert [t.amount for t in paid.receipt.tenders] == [sgd(300), sgd(566)]
    shop.till.new_sale()
    shop.cart_of((muffin, 3))  # 12.99: 13.00 in cash, shown on the receipt
    paid = shop.till.pay_cash(sgd(2000))
    assert paid.receipt.rounding == sgd(1) and paid.receipt.tenders[0].change == sgd(700)
    text = render_text(paid.receipt)
    assert "Cash rounding" in text and "TO PAY" in text and "$13.00" in text
    check_invariants(db(shop), shop.stripe)


def test_cash_then_a_declined_card_then_another_card(shop):
    shop.cart_of((shop.latte, 2), (shop.bun, 1))  # 14.80
    part = shop.till.pay_cash(sgd(500))
    assert isinstance(part, PartPaid) and part.due == sgd(980)
    declined = shop.till.pay_card(sgd(980), "pm_card_chargeDeclinedInsufficientFunds")
    assert isinstance(declined, Declined) and shop.till.amount_due() == sgd(980)
    paid = shop.till.pay_card(sgd(980), "pm_card_mastercard")
    assert isinstance(paid, Paid)
    receipt = paid.receipt
    assert [(t.kind, t.amount) for t in receipt.tenders] == [(TenderKind.CASH, sgd(500)), (TenderKind.CARD, sgd(980))]
    assert receipt.payment_intent is None and receipt.card_last4 == "4444"
    # The declined card and the card that paid were two confirms of the one part's intent.
    intents = shop.stripe.v1.payment_intents.list().data
    assert [(pi.amount, pi.status) for pi in intents] == [(980, "succeeded")]
    conn = sqlite3.connect(db(shop))
    row = conn.execute("SELECT card_minor, cash_minor, change_minor, rounding_minor FROM receipts").fetchone()
    assert row == (980, 500, 0, 0)
    conn.close()
    check_invariants(db(shop), shop.stripe)


def test_two_cards_share_a_bill(shop):
    shop.cart_of((shop.latte, 2))  # 11.60
    first = shop.till.pay_card(sgd(600), "pm_card_visa")
    assert isinstance(first, PartPaid) and first.due == sgd(560)
    paid = shop.till.pay("pm_card_amex")  # the card path for what is left
    assert isinstance(paid, Paid) and [t.amount for t in paid.receipt.tenders] == [sgd(600), sgd(560)]
    assert sorted(pi.amount for pi in shop.stripe.v1.payment_intents.list().data) == [560, 600]
    check_invariants(db(shop), shop.stripe)


def test_a_declined_whole_card_then_cash_cancels_the_card_payment(shop):
    shop.cart_of((shop.bun, 2))
    assert isinstance(shop.till.pay("pm_card_chargeDeclined"), Declined)
    intent_id = shop.journal.sale(shop.till.sale_id).payment_intent
    paid = shop.till.pay_cash(sgd(1000))
    assert isinstance(paid, Paid) and paid.receipt.tenders[0].change == sgd(360)
    assert shop.stripe.v1.payment_intents.retrieve(intent_id).status == "canceled"
    check_invariants(db(shop), shop.stripe)


def test_a_card_part_cannot_be_more_than_is_due_and_cash_cannot_be_nothing(shop):
    shop.cart_of((shop.bun, 1))  # 3.20
    assert isinstance(shop.till.pay_cash(sgd(100)), PartPaid)
    too_much = shop.till.pay_card(sgd(300), "pm_card_visa")
    assert isinstance(too_much, Failed) and "at most what is due" in too_much.message
    nothing = shop.till.pay_cash(sgd(0))
    assert isinstance(nothing, Failed) and "cash the customer handed over" in nothing.message
    assert shop.stripe.v1.payment_intents.list().data == []


def test_the_cart_cannot_change_once_part_is_paid(shop):
    shop.cart_of((shop.latte, 1))
    assert isinstance(shop.till.pay_cash(sgd(200)), PartPaid)
    shop.till.cart.add(shop.bun, 1)
    refused = shop.till.pay_cash(sgd(5000))
    assert isinstance(refused, Failed) and "cannot change" in refused.message
    assert shop.till.part_paid


def test_voiding_a_half_paid_split_gives_every_part_back_exactly_once(shop):
    shop.cart_of((shop.latte, 2), (shop.bun, 1))  # 14.80
    shop.till.pay_cash(sgd(500))
    part = shop.till.pay_card(sgd(400), "pm_card_visa")
    assert isinstance(part, PartPaid) and part.due == sgd(580)
    sale_id = shop.till.sale_id
    voided = shop.till.void_sale("customer left")
    assert voided.voided and voided.cash == sgd(500)
    assert "SGD 4.00 given back to the card" in voided.message
    (intent,) = shop.stripe.v1.payment_intents.list().data
    refunds = shop.stripe.v1.refunds.list({"payment_intent": intent.id}).data
    assert [(r.amount, r.status) for r in refunds] == [(400, "succeeded")]
    assert shop.journal.sale(sale_id).state is SaleState.ABANDONED and shop.till.sale_id is None
    # Asked again (a double click, a retry): nothing more is given back.
    shop.till._sale_id = sale_id
    again = shop.till.void_sale("again")
    assert len(shop.stripe.v1.refunds.list({"payment_intent": intent.id}).data) == 1 and again.voided
    check_invariants(db(shop), shop.stripe)


def test_a_split_sale_is_refunded_to_the_card_first_then_cash_or_all_in_cash_when_asked(shop):
    refunds = Refunds(SqlRefunds(shop.engine, shop.settings), shop.gateway)
    shop.cart_of((shop.latte, 2), (shop.bun, 1))  # 14.80: 5.00 cash, 9.80 card
    shop.till.pay_cash(sgd(500))
    receipt = shop.till.pay_card(sgd(980), "pm_card_visa").receipt
    receipt_id = ReceiptsRepo(shop.engine).receipt_id_for(receipt.receipt_no, "T1")
    to_card = refunds.refund(receipt_id, lines={1: 1})  # one latte, 5.80: back to the card
    assert isinstance(to_card, Refunded) and len(to_card.refunds) == 1 and not to_card.refund.in_cash
    assert to_card.refund.card_last4 == "4242" and to_card.refund.stripe_refund.startswith("re_")
    both = refunds.refund(receipt_id, amount=sgd(500))  # 4.00 left on the card, then 1.00 of the cash
    assert isinstance(both, Refunded)
    assert [(r.amount, r.in_cash) for r in both.refunds] == [(sgd(400), False), (sgd(100), True)]
    cash = refunds.refund(receipt_id, amount=sgd(400), in_cash=True)
    assert [(r.amount, r.in_cash, r.cash_for_card) for r in cash.refunds] == [(sgd(400), True, False)]
    assert refunds.basis(receipt_id).remaining_minor == 0
    numbers = [r.refund_no for r in (*to_card.refunds, *both.refunds, *cash.refunds)]
    assert sorted(numbers) == [1, 2, 3, 4]  # numbered as each is made: cash at once, a card when Stripe says yes
    (intent,) = shop.stripe.v1.payment_intents.list().data
    assert sum(r.amount for r in shop.stripe.v1.refunds.list({"payment_intent": intent.id}).data) == 980
    check_invariants(db(shop), shop.stripe)


def test_cash_given_back_for_a_card_part_is_recorded_as_such(shop):
    refunds = Refunds(SqlRefunds(shop.engine, shop.settings), shop.gateway)
    shop.cart_of((shop.latte, 1))
    receipt = shop.till.pay("pm_card_visa").receipt
    receipt_id = ReceiptsRepo(shop.engine).receipt_id_for(receipt.receipt_no, "T1")
    given = refunds.refund(receipt_id, amount=sgd(200), in_cash=True)
    assert isinstance(given, Refunded) and given.refund.in_cash and given.refund.cash_for_card
    assert given.refund.stripe_refund is None
    assert shop.stripe.v1.refunds.list({"payment_intent": receipt.payment_intent}).data == []
    conn = sqlite3.connect(db(shop))
    assert conn.execute("SELECT tender_kind, cash_for_card, state FROM refunds").fetchall() == [
        ("cash", 1, "succeeded")
    ]
    conn.close()


def test_after_a_restart_a_half_paid_sale_comes_back_owing_only_the_rest(shop):
    shop.cart_of((shop.latte, 2))  # 11.60
    shop.till.pay_cash(sgd(300))
    shop.till.pay_card(sgd(500), "pm_card_visa")
    # A new till on the same journal, as after a crash: an empty cart, then the restore.
    till = Till(shop.checkout, "SGD", True)
    message = till.restore_split_sale(shop.catalog)
    assert message and "SGD 8.00 paid" in message and "SGD 3.60 still to pay" in message
    assert till.amount_due() == sgd(360) and [line.quantity for line in till.cart.lines] == [2]
    paid = till.pay_card(sgd(360), "pm_card_visa")
    assert isinstance(paid, Paid) and paid.receipt.total == sgd(1160)
    assert sorted(pi.amount for pi in shop.stripe.v1.payment_intents.list().data) == [360, 500]
    check_invariants(db(shop), shop.stripe)


def test_a_void_whose_refund_answer_is_lost_stays_open_and_recovery_gives_the_part_back_once(shop, sandbox):
    from pos.services import recovery

    shop.cart_of((shop.latte, 1))
    shop.till.pay_cash(sgd(100))
    shop.till.pay_card(sgd(200), "pm_card_visa")
    sale_id = shop.till.sale_id
    # The client retries twice by itself: every try loses its answer after Stripe made the refund.
    sandbox.faults.arm("/v1/refunds", method="POST", drop=True, count=3)
    voided = shop.till.void_sale("customer left")
    assert not voided.voided and "do not give it back another way" in voided.message
    # Open, its cash still in the drawer, and marked as being voided: no part can complete it now.
    assert shop.journal.sale(sale_id).state is SaleState.VOIDING
    (part,) = shop.journal.parts(sale_id)
    assert part.state is SaleState.RETURN_SENT
    # Recovery (the till's timer, or `pos recover`) asks again with the same key: Stripe answers once.
    results = recovery.recover(shop.journal, shop.gateway)
    assert [r.message for r in results] == [
        f"Recovered sale {part.id}: the card part of SGD 2.00 of a voided sale was given back."
    ]
    (intent,) = shop.stripe.v1.payment_intents.list().data
    assert len(shop.stripe.v1.refunds.list({"payment_intent": intent.id}).data) == 1
    # The cashier voids again: nothing more goes to Stripe, the sale closes with its cash handed back.
    again = shop.till.void_sale("customer left")
    assert again.voided and again.cash == sgd(100)
    assert len(shop.stripe.v1.refunds.list({"payment_intent": intent.id}).data) == 1
    check_invariants(db(shop), shop.stripe)


# -- issue 23: the money paths of a sale paid in parts ---------------------------------------


def test_a_card_part_stripe_refuses_leaves_the_paid_cash_part_paid_and_the_sale_owing_the_rest(shop, sandbox):
    """Issue 23, finding 1: a refused card part closed only its own row, but the till dropped the
    whole sale (due back to the full total, the paid cash forgotten)."""
    shop.cart_of((shop.latte, 2), (shop.bun, 1))  # 14.80
    assert isinstance(shop.till.pay_cash(sgd(500)), PartPaid)
    sale_id = shop.till.sale_id
    # Stripe refuses the part's create (HTTP 400, as its minimum or a currency rule would).
    sandbox.faults.arm("/v1/payment_intents", method="POST", status=400)
    refused = shop.till.pay_card(sgd(980), "pm_card_visa")
    assert isinstance(refused, Failed) and not refused.sale_closed
    assert shop.till.sale_id == sale_id and shop.till.amount_due() == sgd(980)
    assert [(t.kind, t.amount) for t in shop.till.tenders()] == [(TenderKind.CASH, sgd(500))]
    paid = shop.till.pay_card(sgd(980), "pm_card_visa")
    assert isinstance(paid, Paid) and [t.amount for t in paid.receipt.tenders] == [sgd(500), sgd(980)]
    check_invariants(db(shop), shop.stripe)


def test_a_part_that_would_leave_less_than_a_card_can_take_is_refused_before_it_is_taken(shop):
    """Issue 23, finding 1: 17.90 cash of 18.20 left 0.30 that Stripe refused on the card."""
    shop.cart_of((shop.latte, 2), (shop.bun, 1))  # 14.80
    short = shop.till.pay_cash(sgd(1450))  # would leave 0.30
    assert isinstance(short, Failed)
    assert short.message == (
        "That would leave SGD 0.30 to pay, which a card cannot take (Stripe's minimum is SGD 0.50). "
        "Take all SGD 14.80 now, or SGD 14.30 in this part. The cash was not taken."
    )
    assert shop.till.tenders() == () and shop.till.amount_due() == sgd(1480)
    small_card = shop.till.pay_card(sgd(30), "pm_card_visa")
    assert isinstance(small_card, Failed) and "Stripe's minimum is SGD 0.50" in small_card.message
    card_first = shop.till.pay_card(sgd(1450), "pm_card_visa")  # a card part leaving 0.30 likewise
    assert isinstance(card_first, Failed) and "SGD 14.30 in this part" in card_first.message
    assert shop.stripe.v1.payment_intents.list().data == []  # nothing reached Stripe
    assert isinstance(shop.till.pay_cash(sgd(1430)), PartPaid)
    paid = shop.till.pay_card(sgd(50), "pm_card_visa")
    assert isinstance(paid, Paid) and [t.amount for t in paid.receipt.tenders] == [sgd(1430), sgd(50)]
    check_invariants(db(shop), shop.stripe)


def test_a_three_decimal_cash_part_must_leave_a_rest_in_whole_card_steps(shop):
    """Issue 23, finding 1 in KWD: 1.005 cash of 1.230 left 0.225, which Stripe refuses (whole tens of fils)."""
    kwd = shop.catalog.save(
        Product(sku="KW", name="Dates", category="Food", price=Money(1230, "KWD"), tax_rate_bp=0, barcode="444")
    )
    till = Till(shop.checkout, "KWD", True)
    till.cart.add(kwd, 1)
    odd = till.pay_cash(Money(1005, "KWD"))
    assert isinstance(odd, Failed) and "KWD cards take whole steps of KWD 0.010" in odd.message
    assert "KWD 1.000 in this part" in odd.message and till.tenders() == ()
    assert isinstance(till.pay_cash(Money(1000, "KWD")), PartPaid)
    paid = till.pay_card(Money(230, "KWD"), "pm_card_visa")
    assert isinstance(paid, Paid) and paid.receipt.total == Money(1230, "KWD")
    check_invariants(db(shop), shop.stripe)


def test_a_card_sale_under_stripes_minimum_names_the_minimum_and_never_reaches_stripe(shop):
    """Issue 23, finding 8 (part): the message said "more than SGD 0.30" (the sale's own total)."""
    mint = shop.catalog.save(
        Product(sku="MNT", name="Mint", category="Sweets", price=sgd(30), tax_rate_bp=0, barcode="555")
    )
    shop.cart_of((mint, 1))
    refused = shop.till.pay("pm_card_visa")
    assert isinstance(refused, Failed)
    assert refused.message == "A card cannot take SGD 0.30: Stripe's minimum is SGD 0.50. Nothing was charged."
    assert shop.stripe.v1.payment_intents.list().data == []
    assert isinstance(shop.till.pay_cash(sgd(50)), Paid)  # the cart, in cash
    check_invariants(db(shop), shop.stripe)


def test_a_free_sale_ends_as_a_receipt(shop):
    """Issue 23, finding 14: a 100 % discount could not end ("…to take a card payment" for cash)."""
    from pos.domain.discounts import Discount, DiscountKind

    cart = shop.cart_of((shop.latte, 1))
    cart.discount_cart(Discount(DiscountKind.PERCENT, 10000, "voucher"))
    assert shop.till.amount_due() == sgd(0)
    card = shop.till.pay("pm_card_visa")
    assert isinstance(card, Failed) and "Stripe's minimum is SGD 0.50" in card.message
    paid = shop.till.pay_cash(sgd(0))
    assert isinstance(paid, Paid) and paid.receipt.total == sgd(0) and paid.receipt.receipt_no == 1
    assert "Total" in render_text(paid.receipt) or "TOTAL" in render_text(paid.receipt)
    assert shop.stripe.v1.payment_intents.list().data == []
    check_invariants(db(shop), shop.stripe)


def test_a_three_decimal_refund_sends_the_card_whole_steps_and_the_odd_fils_in_cash(shop):
    """Found by the issue-23 hostile pass: a typed KWD refund of 0.225 on a 1.000 cash + 0.230 card
    receipt sent 0.225 to the card, which Stripe refuses (three-decimal amounts end in 0, refunds
    too), and a card-only receipt could not be refunded 0.005 at all. The card piece is now whole
    card steps, the odd fils come from a cash part, and with no cash part the till says what works."""
    kwd = shop.catalog.save(
        Product(sku="KW", name="Dates", category="Food", price=Money(1230, "KWD"), tax_rate_bp=0, barcode="444")
    )
    refunds = Refunds(SqlRefunds(shop.engine, shop.settings), shop.gateway)
    till = Till(shop.checkout, "KWD", True)
    till.cart.add(kwd, 1)
    assert isinstance(till.pay_cash(Money(1000, "KWD")), PartPaid)
    split = till.pay_card(Money(230, "KWD"), "pm_card_visa").receipt
    split_id = ReceiptsRepo(shop.engine).receipt_id_for(split.receipt_no, "T1")
    both = refunds.refund(split_id, amount=Money(225, "KWD"))
    assert isinstance(both, Refunded) and both.problem is None
    assert [(r.amount, r.in_cash) for r in both.refunds] == [(Money(220, "KWD"), False), (Money(5, "KWD"), True)]
    till.new_sale()
    till.cart.add(kwd, 1)
    card = till.pay("pm_card_visa").receipt
    card_id = ReceiptsRepo(shop.engine).receipt_id_for(card.receipt_no, "T1")
    odd = refunds.refund(card_id, amount=Money(415, "KWD"))
    assert isinstance(odd, RefundFailed)
    assert odd.message == (
        "KWD cards take refunds in whole steps of KWD 0.010: refund KWD 0.410 to the card, or give it all in cash."
    )
    assert shop.stripe.v1.refunds.list({"payment_intent": card.payment_intent}).data == []
    in_cash = refunds.refund(card_id, amount=Money(415, "KWD"), in_cash=True)
    assert isinstance(in_cash, Refunded) and in_cash.refund.cash_for_card
    charged = {pi.id: pi.amount for pi in shop.stripe.v1.payment_intents.list().data if pi.status == "succeeded"}
    given = [r.amount for r in shop.stripe.v1.refunds.list().data]
    assert sorted(charged.values()) == [230, 1230] and given == [220]
    check_invariants(db(shop), shop.stripe)


def test_a_sale_whose_cash_was_rounded_down_can_be_refunded_by_its_lines(shop):
    """Found by the issue-23 hostile pass: 4.32 paid 4.30 in cash (0.05 rounding) is refused as
    "more than what is left to refund" when its one line is refunded (the cash tender holds 4.30, the
    line 4.32); refunded as 4.30 by amount, 0.02 stays refundable for good and no tender can give it.
    The split case likewise: 8.66 paid 5.00 by card and 3.65 in cash cannot be refunded by its lines."""
    shop.till.apply_store_terms("SGD", True, "0.05")
    cake = shop.catalog.save(
        Product(sku="CKE", name="Cake", category="Bakery", price=sgd(432), tax_rate_bp=900, barcode="334")
    )
    shop.cart_of((cake, 1))
    paid = shop.till.pay_cash(sgd(500))
    assert paid.receipt.rounding == sgd(-2) and paid.receipt.tenders[0].amount == sgd(430)
    refunds = Refunds(SqlRefunds(shop.engine, shop.settings), shop.gateway, cash_rounding=lambda: "0.05")
    receipt_id = ReceiptsRepo(shop.engine).receipt_id_for(paid.receipt.receipt_no, "T1")
    back = refunds.refund(receipt_id, lines={1: 1})
    assert isinstance(back, Refunded), back
    assert [(r.handed_back, r.in_cash) for r in back.refunds] == [(sgd(430), True)]
    assert refunds.basis(receipt_id).remaining_minor == 0
    check_invariants(db(shop), shop.stripe)
