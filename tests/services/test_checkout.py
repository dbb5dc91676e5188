"""Checkout through the real Stripe adapter, the sandbox over HTTP, and a real SQLite file."""

from __future__ import annotations

import threading

import pytest

from pos.services import sales
from pos.services.checkout import Cancelled, CheckoutError, Declined, Failed, Paid
from pos.services.states import SaleState
from pos.domain.cart import Cart
from tests.invariants import check_invariants


def db(shop):
    return shop.data_dir / "pos.sqlite3"


def test_paid_sale_writes_receipt(shop):
    shop.cart_of((shop.latte, 2), (shop.bun, 1))
    result = shop.till.pay("pm_card_visa")
    assert isinstance(result, Paid)
    receipt = result.receipt
    assert receipt.receipt_no == 1 and receipt.total.minor == 2 * 580 + 320
    assert (receipt.card_brand, receipt.card_last4) == ("visa", "4242")
    pi = shop.stripe.v1.payment_intents.retrieve(receipt.payment_intent)
    assert pi.status == "succeeded" and pi.amount == receipt.total.minor and pi.currency == "sgd"
    assert pi.metadata["till_id"] == "T1"
    assert check_invariants(db(shop), shop.stripe)["receipts"] == 1


def test_decline_keeps_sale_and_intent_then_another_card_pays(shop):
    shop.cart_of((shop.latte, 1))
    declined = shop.till.pay("pm_card_chargeDeclinedInsufficientFunds")
    assert isinstance(declined, Declined) and "not enough funds" in declined.message
    sale = shop.journal.sale(shop.till.sale_id)
    assert sale.state == SaleState.INTENT_CREATED and not shop.till.cart.is_empty()
    paid = shop.till.pay("pm_card_visa")
    assert isinstance(paid, Paid) and paid.receipt.payment_intent == sale.payment_intent
    assert len(shop.stripe.v1.payment_intents.list().data) == 1
    check_invariants(db(shop), shop.stripe)


@pytest.mark.parametrize(
    "pm,words",
    [
        ("pm_card_chargeDeclined", "no reason given"),
        ("pm_card_chargeDeclinedExpiredCard", "expired"),
        ("pm_card_chargeDeclinedIncorrectCvc", "security code"),
        ("pm_card_chargeDeclinedLostCard", "lost"),
        ("pm_card_chargeDeclinedStolenCard", "stolen"),
        ("pm_card_chargeDeclinedProcessingError", "could not be processed"),
    ],
)
def test_each_decline_in_cashiers_words(shop, pm, words):
    shop.cart_of((shop.bun, 1))
    result = shop.till.pay(pm)
    assert isinstance(result, Declined) and words in result.message


def test_requires_action_cancels_and_keeps_cart(shop):
    shop.cart_of((shop.latte, 1))
    result = shop.till.pay("pm_card_authenticationRequired")
    assert isinstance(result, Cancelled) and "3D Secure" in result.message
    intents = shop.stripe.v1.payment_intents.list().data
    assert [pi.status for pi in intents] == ["canceled"]
    assert shop.till.sale_id is None and not shop.till.cart.is_empty()
    assert isinstance(shop.till.pay("pm_card_visa"), Paid)
    check_invariants(db(shop), shop.stripe)


def test_charging_twice_is_one_payment(shop):
    shop.cart_of((shop.latte, 1))
    first = shop.till.pay("pm_card_visa")
    sale_id = shop.till.sale_id
    again = shop.checkout.charge(sale_id, "pm_card_visa")
    assert again.receipt == first.receipt
    assert len(shop.stripe.v1.payment_intents.list().data) == 1


def test_concurrent_charges_of_one_sale_make_one_intent(shop):
    sale = shop.checkout.start_sale(shop.cart_of((shop.latte, 1)))
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(shop.checkout.charge(sale.id, "pm_card_visa"))) for _ in range(5)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(r, Paid) for r in results)
    assert len({r.receipt.receipt_no for r in results}) == 1
    assert len(shop.stripe.v1.payment_intents.list().data) == 1


def test_changed_cart_after_decline_starts_new_sale(shop):
    shop.cart_of((shop.latte, 1))
    assert isinstance(shop.till.pay("pm_card_chargeDeclined"), Declined)
    old = shop.journal.sale(shop.till.sale_id)
    shop.till.cart.add(shop.bun)
    paid = shop.till.pay("pm_card_visa")
    assert isinstance(paid, Paid) and paid.receipt.total.minor == 900
    assert shop.journal.sale(old.id).state == SaleState.ABANDONED
    assert shop.stripe.v1.payment_intents.retrieve(old.payment_intent).status == "canceled"
    check_invariants(db(shop), shop.stripe)


def test_empty_cart_and_tiny_amounts(shop):
    with pytest.raises(CheckoutError):
        shop.checkout.start_sale(Cart("SGD"))
    from pos.domain.catalog import Product
    from pos.domain.money import Money

    sweet = shop.catalog.save(Product(sku="SW", name="Sweet", category="c", price=Money(20, "SGD"), tax_rate_bp=900))
    shop.cart_of((sweet, 1))
    result = shop.till.pay("pm_card_visa")
    assert isinstance(result, Failed) and "minimum" in result.message and "Nothing was charged" in result.message
    assert not shop.till.cart.is_empty() and shop.till.sale_id is None
    assert shop.stripe.v1.payment_intents.list().data == []


def test_recovery_leaves_the_tills_own_sale_alone(shop):
    from pos.services.recovery import recover

    shop.cart_of((shop.latte, 1))
    assert isinstance(shop.till.pay("pm_card_chargeDeclined"), Declined)
    sale_id = shop.till.sale_id
    assert recover(shop.journal, shop.gateway, exclude=shop.till.owns, lock_for=shop.checkout.sale_lock) == []
    assert shop.journal.sale(sale_id).state == SaleState.INTENT_CREATED
    assert isinstance(shop.till.pay("pm_card_visa"), Paid)
    # Without the till's claim (a restart), the same kind of sale is parked and its intent cancelled.
    shop.till.new_sale()
    shop.cart_of((shop.bun, 1))
    shop.till.pay("pm_card_chargeDeclined")
    parked = recover(shop.journal, shop.gateway)
    assert [r.outcome for r in parked] == ["parked"]
    check_invariants(db(shop), shop.stripe)


def test_recovery_after_the_key_window_searches_by_sale_id(shop):
    from datetime import datetime, timedelta, timezone

    from pos.services.recovery import recover

    # A create that reached Stripe but whose answer was lost, found two days later.
    landed = shop.checkout.start_sale(shop.cart_of((shop.latte, 1)))
    intent = shop.gateway.create_payment_intent(landed.create, sales.create_key(landed.sale_key))
    # And a sale whose create never left the till.
    never = shop.checkout.start_sale(shop.cart_of((shop.bun, 1)))
    later = datetime.now(timezone.utc) + timedelta(days=2)
    results = {r.sale_id: r for r in recover(shop.journal, shop.gateway, now=later)}
    assert results[landed.id].outcome == "parked" and "was not completed" in results[landed.id].message
    assert shop.stripe.v1.payment_intents.retrieve(intent.id).status == "canceled"
    assert shop.journal.sale(landed.id).payment_intent == intent.id
    assert results[never.id].outcome == "parked" and "no payment had been made" in results[never.id].message
    assert len(shop.stripe.v1.payment_intents.list().data) == 1
    check_invariants(db(shop), shop.stripe)


def test_currency_cannot_change_with_sales_on_record(shop):
    from dataclasses import replace

    from pos.adapters.db.settings import SettingsError, SettingsRepo

    repo = SettingsRepo(shop.engine)
    renamed = repo.save(replace(repo.load(), store_name="Kopi Two"))
    assert renamed.store_name == "Kopi Two" and repo.load().store_name == "Kopi Two"
    assert repo.save(replace(repo.load(), currency="usd")).currency == "USD"  # no sales yet: allowed
    repo.save(replace(repo.load(), currency="SGD"))
    shop.cart_of((shop.latte, 1))
    assert isinstance(shop.till.pay("pm_card_visa"), Paid)
    with pytest.raises(SettingsError) as caught:
        repo.save(replace(repo.load(), currency="USD"))
    assert "cannot change from SGD to USD" in str(caught.value) and "1 sale" in str(caught.value)
    assert repo.load().currency == "SGD"


def test_a_parked_discounted_sale_says_its_discount_must_be_given_again(shop):
    from pos.domain.discounts import Discount, DiscountKind
    from pos.services.recovery import recover

    cart = shop.cart_of((shop.latte, 2))
    cart.discount_cart(Discount(DiscountKind.PERCENT, 1000, "staff"))
    assert isinstance(shop.till.pay("pm_card_chargeDeclined"), Declined)
    shop.till.load_cart([])  # the till moved on (as after a restart)
    [parked] = recover(shop.journal, shop.gateway)
    assert parked.outcome == "parked"
    problems = shop.till.resume(parked.sale_id, shop.catalog)
    assert problems == ["The parked sale came to SGD 10.44; discounts or prices differ now, so check the cart."]
    assert [(line.product.sku, line.quantity) for line in shop.till.cart.lines] == [("LAT", 2)]
