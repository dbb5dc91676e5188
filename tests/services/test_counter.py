"""The Counter (issue 24 item 1): a Qt-free service that owns the sale at the counter and tells its
subscribers what changed with typed events; the void's record is written in the void's own
transaction. Real: the app's context on a real SQLite folder, the `stripe` client over HTTP against
the sandbox."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from pos.app import build_context
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.services import counter_events as events
from pos.services.checkout import CheckoutError
from pos.services.outcomes import Paid, PartPaid
from pos.services.receipt_choice import ReceiptJobs
from pos.services.sales import StorageError
from pos.services.states import SaleState


def sgd(minor: int) -> Money:
    return Money(minor, "SGD")


@pytest.fixture
def context(sandbox, tmp_path, api_key):
    context = build_context(tmp_path / "data", stripe_base_url=sandbox.url, api_key=api_key)
    context.catalog.save(Product(sku="CAKE", name="Cake", category="Test", price=sgd(1990), tax_rate_bp=900))
    yield context
    context.close()


def cake(context) -> Product:
    found = context.catalog.find_code("CAKE")
    assert found is not None
    return found


def void_records(context, sale_id: int) -> list[tuple[str, int, str]]:
    with sqlite3.connect(context.data_dir / "pos.sqlite3") as conn:
        return conn.execute(
            "SELECT reason, amount_minor, approved_by FROM voids WHERE kind = 'sale' AND sale_id = ?", (sale_id,)
        ).fetchall()


def test_a_void_and_its_record_are_one_transaction(context):
    """Before issue 24 the window wrote a voided sale's record itself, after the void, in a later
    transaction: a crash (or a failed write) in between left a void without its record. Now the record
    is written in the transaction that closes the sale. A real SQLite trigger makes that write fail:
    the void is not done either (the sale stays open, its cash still owed), and done again both land."""
    counter = context.counter
    counter.add(cake(context))
    assert isinstance(counter.pay_cash(sgd(1000)), PartPaid)
    sale_id = counter.sale_id
    assert sale_id is not None
    counter.approve_void("Ann")
    with sqlite3.connect(context.data_dir / "pos.sqlite3") as conn:
        conn.execute("CREATE TRIGGER no_voids BEFORE INSERT ON voids BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    with pytest.raises(StorageError):
        counter.void_sale("customer left")
    assert context.till.checkout.sale(sale_id).state is SaleState.VOIDING  # not closed: no void without a record
    assert void_records(context, sale_id) == []
    with sqlite3.connect(context.data_dir / "pos.sqlite3") as conn:
        conn.execute("DROP TRIGGER no_voids")
    result = counter.void_sale("customer left")
    assert result.voided and result.cash == sgd(1000), result
    assert context.till.checkout.sale(sale_id).state is SaleState.ABANDONED
    assert void_records(context, sale_id) == [("sale voided: paid parts given back", 1990, "Ann")]
    assert context.audit.verify() is None


def test_the_counter_tells_its_subscribers_on_the_thread_that_changed_it(context):
    counter = context.counter
    heard: list[tuple[object, str]] = []
    unsubscribe = counter.subscribe(lambda event: heard.append((event, threading.current_thread().name)))
    counter.add(cake(context))
    (changed, thread), *_ = heard
    assert isinstance(changed, events.CartChanged) and thread == threading.current_thread().name
    assert (changed.lines, changed.total, changed.why) == (1, sgd(1990), "Added Cake.")
    assert changed.totals is not None and [line.name for line in changed.totals.lines] == ["Cake"]

    heard.clear()
    worker = threading.Thread(target=lambda: counter.pay_cash(sgd(1000)), name="payment-worker")
    worker.start()
    worker.join()
    ((part, thread),) = heard
    assert isinstance(part, events.PartPaid) and part.due == sgd(990) and part.tender.amount == sgd(1000)
    assert thread == "payment-worker"

    heard.clear()
    result = counter.pay_cash(sgd(1200))
    assert isinstance(result, Paid)
    ((paid, _),) = heard
    assert paid == events.Paid(result.receipt, cash=True, jobs=ReceiptJobs(open_drawer=True, print_receipt=True))

    heard.clear()
    counter.new_sale()
    assert [type(e) for e, _ in heard] == [events.CartChanged] and counter.cart.is_empty()
    unsubscribe()
    counter.add(cake(context))
    assert [type(e) for e, _ in heard] == [events.CartChanged]  # nothing more once unsubscribed


def test_a_broken_subscriber_never_stops_the_sale_or_the_others(context):
    counter = context.counter
    heard: list[object] = []

    def broken(_event) -> None:
        raise RuntimeError("a display fell over")

    counter.subscribe(broken)
    counter.subscribe(heard.append)
    counter.add(cake(context))
    result = counter.pay_cash(sgd(3000))
    assert isinstance(result, Paid)
    assert [type(e) for e in heard] == [events.CartChanged, events.Paid]


def test_a_voided_sale_is_an_event_with_the_cash_to_hand_back(context):
    counter = context.counter
    counter.add(cake(context))
    counter.pay_cash(sgd(500))
    sale_id = counter.sale_id
    heard: list[object] = []
    counter.subscribe(heard.append)
    result = counter.void_sale()
    assert heard == [events.Voided(sale_id, result.message, sgd(500))]
    assert len(void_records(context, sale_id)) == 1


def test_a_discount_above_the_limit_needs_a_manager_once_cashiers_exist(context):
    from dataclasses import replace

    from pos.domain.discounts import Discount, DiscountKind

    context.store_settings.save(replace(context.settings, discount_limit_bp=1000))
    counter = context.counter
    counter.add(cake(context))
    counter.discount_cart(Discount(DiscountKind.PERCENT, 3000, "friend"))
    assert counter.discount_needs_approval() is None  # nobody on file: a one-person shop gives it alone
    context.staff.add("Ann", "owner", "4821")
    context.staff.sign_in("Ann", "4821")
    context.staff.add("Bob", "cashier", "1357")
    assert counter.discount_needs_approval() is None  # the owner may
    counter.sign_out()
    context.staff.sign_in("Bob", "1357")
    assert counter.discount_needs_approval() == "a discount of 30% (the limit is 10%)"


def test_nobody_signs_out_while_a_payment_is_being_taken(context, client):
    """The rule lived in the window (its dialog's `charging` flag), so any other door could sign out in
    the middle of a payment. The Counter now refuses it while a payment runs: here from the reader
    payment's own progress callback, while the till waits for the customer's tap over HTTP."""
    location = client.v1.terminal.locations.create({"display_name": "Shop", "address": {"country": "SG"}})
    reader = client.v1.terminal.readers.create({"registration_code": "simulated-wpe", "location": location.id})
    counter = context.counter
    counter.add(cake(context))
    refused: list[str] = []

    def progress(message: str) -> None:
        if "tap" in message and not refused:
            assert counter.taking_payment
            with pytest.raises(CheckoutError) as caught:
                counter.sign_out()
            refused.append(str(caught.value))
            client.v1.test_helpers.terminal.readers.present_payment_method(
                reader.id, {"card_present": {"number": "4242424242424242"}}
            )

    assert isinstance(counter.pay_on_reader(sgd(1990), reader.id, progress), Paid)
    assert refused == ["A payment is being taken: finish it before signing out."]
    assert not counter.taking_payment
    counter.sign_out()  # with the payment done, nothing stands in the way
