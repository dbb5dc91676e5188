"""Network and provider faults at each step: never a double charge, never a lost sale.

Each case arms a fault in the sandbox, runs the real client against it, and
checks the exactly-once invariants afterwards (tests/invariants.py).
"""

from __future__ import annotations


import pytest

from pos.services.checkout import Failed, Paid, Pending
from pos.services.states import SaleState
from tests.invariants import check_invariants

from .conftest import Shop

CREATE = "/v1/payment_intents"
CONFIRM = "/v1/payment_intents/*/confirm"


@pytest.fixture
def make_shop(tmp_path, sandbox, api_key):
    shops = []

    def make(**kwargs):
        shop = Shop(tmp_path / f"data{len(shops)}", sandbox, api_key, **kwargs)
        shops.append(shop)
        return shop

    sandbox.faults.clear()
    yield make
    sandbox.faults.clear()
    for shop in shops:
        shop.engine.dispose()


def finish(shop, result):
    check_invariants(shop.data_dir / "pos.sqlite3", shop.stripe)
    return result


def test_create_answer_dropped_is_retried_with_the_same_key(make_shop, sandbox):
    shop = make_shop(retries=2)
    sandbox.faults.arm(CREATE, method="POST", drop=True)
    shop.cart_of((shop.latte, 1))
    result = finish(shop, shop.till.pay("pm_card_visa"))
    assert isinstance(result, Paid)
    assert len(shop.stripe.v1.payment_intents.list().data) == 1


def test_create_answer_dropped_without_client_retries(make_shop, sandbox):
    shop = make_shop(retries=0)
    sandbox.faults.arm(CREATE, method="POST", drop=True)
    shop.cart_of((shop.latte, 1))
    first = shop.till.pay("pm_card_visa")
    assert isinstance(first, Failed) and "Nothing was charged" in first.message
    second = finish(shop, shop.till.pay("pm_card_visa"))
    assert isinstance(second, Paid)
    assert len(shop.stripe.v1.payment_intents.list().data) == 1


def test_confirm_answer_dropped_is_looked_up_not_guessed(make_shop, sandbox):
    shop = make_shop(retries=0)
    sandbox.faults.arm(CONFIRM, drop=True)
    shop.cart_of((shop.latte, 1))
    progress = []
    result = finish(shop, shop.till.pay("pm_card_visa", progress.append))
    assert isinstance(result, Paid)
    assert any("Checking whether the payment went through" in p for p in progress)
    assert len(shop.stripe.v1.charges.list().data) == 1


def test_confirm_declined_answer_dropped(make_shop, sandbox):
    shop = make_shop(retries=0)
    sandbox.faults.arm(CONFIRM, drop=True)
    shop.cart_of((shop.latte, 1))
    result = shop.till.pay("pm_card_chargeDeclined")
    assert type(result).__name__ == "Declined"
    assert len(shop.stripe.v1.charges.list().data) == 1  # the replayed decline made no second charge
    finish(shop, shop.till.pay("pm_card_visa"))


@pytest.mark.parametrize("path", [CREATE, CONFIRM])
def test_500_then_success(make_shop, sandbox, path):
    shop = make_shop(retries=2)
    sandbox.faults.arm(path, method="POST", status=500)
    shop.cart_of((shop.bun, 2))
    assert isinstance(finish(shop, shop.till.pay("pm_card_visa")), Paid)


def test_500_on_confirm_without_retries_checks_then_resends_same_key(make_shop, sandbox):
    shop = make_shop(retries=0)
    sandbox.faults.arm(CONFIRM, status=500)
    shop.cart_of((shop.bun, 2))
    assert isinstance(finish(shop, shop.till.pay("pm_card_visa")), Paid)


@pytest.mark.parametrize("path", [CREATE, CONFIRM])
def test_503_should_retry_false(make_shop, sandbox, path):
    shop = make_shop(retries=2)
    sandbox.faults.arm(path, method="POST", status=503, should_retry=False)
    shop.cart_of((shop.latte, 1))
    first = shop.till.pay("pm_card_visa")
    if path == CREATE:
        assert isinstance(first, Failed) and not first.money_may_have_moved
        first = shop.till.pay("pm_card_visa")
    assert isinstance(finish(shop, first), Paid)


@pytest.mark.parametrize("path", [CREATE, CONFIRM])
def test_429_says_nothing_was_charged(make_shop, sandbox, path):
    shop = make_shop(retries=0)
    sandbox.faults.arm(path, method="POST", status=429)
    shop.cart_of((shop.latte, 1))
    first = shop.till.pay("pm_card_visa")
    assert isinstance(first, Failed) and "busy" in first.message and "Nothing was charged" in first.message
    assert isinstance(finish(shop, shop.till.pay("pm_card_visa")), Paid)


def test_confirm_slower_than_the_client_timeout(make_shop, sandbox):
    shop = make_shop(retries=0, timeout=(1.0, 1.0))
    held = sandbox.faults.arm(CONFIRM, hold=True)
    shop.cart_of((shop.latte, 1))
    first = shop.till.pay("pm_card_visa")
    # The confirm is held inside the sandbox past the client's timeout: the till must not guess.
    assert isinstance(first, Pending) and "Do NOT take another payment" in first.message
    assert shop.journal.sale(shop.till.sale_id).state == SaleState.CONFIRM_SENT
    held.release()
    held.wait_done()
    assert isinstance(finish(shop, shop.till.pay("pm_card_visa")), Paid)
    assert len(shop.stripe.v1.charges.list().data) == 1


def test_network_down_during_lookup_stays_pending(make_shop, sandbox):
    shop = make_shop(retries=0)
    sandbox.faults.arm(CONFIRM, drop=True)
    sandbox.faults.arm("/v1/payment_intents/*", method="GET", status=503, count=1)
    shop.cart_of((shop.latte, 1))
    first = shop.till.pay("pm_card_visa")
    assert isinstance(first, Pending)
    second = finish(shop, shop.till.pay("pm_card_visa"))
    assert isinstance(second, Paid)


def test_changed_cart_while_the_last_payment_is_unknown(make_shop, sandbox):
    shop = make_shop(retries=0)
    sandbox.faults.arm(CONFIRM, drop=True)
    sandbox.faults.arm("/v1/payment_intents/*", method="GET", status=503, count=2)
    shop.cart_of((shop.latte, 1))
    assert isinstance(shop.till.pay("pm_card_visa"), Pending)
    # The cashier adds an item and charges again while Stripe still cannot be asked: refused.
    shop.till.cart.add(shop.bun)
    again = shop.till.pay("pm_card_visa")
    assert isinstance(again, Pending) and "Do NOT take another payment" in again.message
    assert len(shop.stripe.v1.payment_intents.list().data) == 1
    # Once Stripe answers, the earlier payment is found paid: its receipt, not a second charge.
    earlier = shop.till.pay("pm_card_visa")
    assert isinstance(earlier, Paid) and earlier.earlier and earlier.receipt.total.minor == 580
    finish(shop, earlier)
    assert len(shop.stripe.v1.payment_intents.list().data) == 1
    # The bun added since is still to be paid: it is the next sale's cart.
    shop.till.new_sale()
    assert [(line.product.sku, line.quantity) for line in shop.till.cart.lines] == [("BUN", 1)]
    paid = shop.till.pay("pm_card_visa")
    assert isinstance(paid, Paid) and not paid.earlier and paid.receipt.total.minor == 320
    finish(shop, paid)


def test_a_void_that_finds_a_lost_card_part_paid_closes_the_sale_with_no_receipt(make_shop, sandbox):
    """Issue 23, finding 11: the VOID phase found the part paid, finish_part wrote the order's receipt
    (the parts covered the total), the refund marked its tender returned and close_voided, which only
    closed a `split` sale, left receipt 0001 `paid` with both tenders returned."""
    import sqlite3

    from pos.domain.money import Money
    from pos.services.checkout import PartPaid

    shop = make_shop(retries=0)
    shop.cart_of((shop.latte, 2))  # 11.60
    assert isinstance(shop.till.pay_cash(Money(300, "SGD")), PartPaid)
    sale_id = shop.till.sale_id
    sandbox.faults.arm(CONFIRM, drop=True)  # the part succeeds at Stripe; its answer is lost
    sandbox.faults.arm("/v1/payment_intents/*", method="GET", status=503, count=1)  # and the lookup fails
    unknown = shop.till.pay_card(Money(860, "SGD"), "pm_card_visa")
    assert isinstance(unknown, Pending) and "Do NOT take another payment" in unknown.message
    voided = shop.till.void_sale("customer left")
    assert voided.voided and voided.cash == Money(300, "SGD")
    assert voided.message == "The sale was voided: SGD 8.60 given back to the card; hand back SGD 3.00 in cash."
    (intent,) = shop.stripe.v1.payment_intents.list().data
    assert intent.status == "succeeded"
    assert [r.amount for r in shop.stripe.v1.refunds.list({"payment_intent": intent.id}).data] == [860]
    conn = sqlite3.connect(shop.data_dir / "pos.sqlite3")
    assert conn.execute("SELECT count(*) FROM receipts").fetchone()[0] == 0
    assert conn.execute("SELECT state FROM sales WHERE id = ?", (sale_id,)).fetchone()[0] == "abandoned"
    assert conn.execute("SELECT kind, state FROM tenders ORDER BY part_no").fetchall() == [
        ("cash", "returned"),
        ("card", "returned"),
    ]
    conn.close()
    assert shop.till.sale_id is None
    finish(shop, voided)


def test_a_paid_part_found_while_voiding_is_given_back_by_the_next_void_after_a_restart(make_shop, sandbox):
    """Issue 23, finding 11, answers in another order: the void cannot reach Stripe, the till restarts,
    recovery finds the part paid (a tender, no receipt: the sale is being voided), and the cashier's
    second void gives it back and closes the sale."""
    import sqlite3

    from pos.domain.money import Money
    from pos.services import recovery
    from pos.services.checkout import PartPaid
    from pos.services.till import Till

    shop = make_shop(retries=0)
    shop.cart_of((shop.latte, 2))  # 11.60
    assert isinstance(shop.till.pay_cash(Money(300, "SGD")), PartPaid)
    sandbox.faults.arm(CONFIRM, drop=True)
    sandbox.faults.arm("/v1/payment_intents/*", method="GET", status=503, count=2)
    assert isinstance(shop.till.pay_card(Money(860, "SGD"), "pm_card_visa"), Pending)
    stuck = shop.till.void_sale("customer left")  # the part's lookup fails again: the sale stays open
    assert not stuck.voided
    refused = shop.till.pay_cash(Money(860, "SGD"))
    assert isinstance(refused, Failed) and "being voided" in refused.message
    # A restart: recovery settles the part first (the sale is not this new till's yet).
    results = recovery.recover(shop.journal, shop.gateway)
    assert [r.message.split(":")[1].strip() for r in results] == [
        "a card part of SGD 8.60 had gone through and is recorded on its sale."
    ]
    conn = sqlite3.connect(shop.data_dir / "pos.sqlite3")
    assert conn.execute("SELECT count(*) FROM receipts").fetchone()[0] == 0
    till = Till(shop.checkout, "SGD", True)
    message = till.restore_split_sale(shop.catalog)
    assert message == "A sale being voided was reopened (SGD 11.60 paid): void it again to give the paid parts back."
    voided = till.void_sale("customer left")
    assert voided.voided and voided.cash == Money(300, "SGD") and "SGD 8.60 given back" in voided.message
    assert conn.execute("SELECT count(*) FROM receipts").fetchone()[0] == 0
    conn.close()
    finish(shop, voided)
