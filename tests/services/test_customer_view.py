"""The customer display's view (issue 28 item 5), worked out from the counter's events alone, and the
customer's receipt choice driving what the printer does. Real: the app's counter on a real SQLite
folder, cash and card paid through the `stripe` client against the sandbox; a receipt printed on the
loopback ESC/POS printer double."""

from __future__ import annotations

from dataclasses import fields

import pytest

from pos.app import build_context
from pos.domain.catalog import Product
from pos.domain.discounts import Discount, DiscountKind
from pos.domain.money import Money
from pos.services import counter_events as events
from pos.services.customer_view import (
    PAYMENT_CANCELLED,
    THANK_YOU,
    CustomerView,
    Placement,
    Screen,
    after,
    idle,
    placement,
)
from pos.services.outcomes import Paid
from pos.services.receipt_choice import OFFERED, ReceiptChoice, ReceiptJobs, run_jobs
from pos.services.settings import CustomerDisplayMode, SettingsError
from tests.helpers.escpos_double import PrinterDouble
from tests.printing.test_escpos import Drawer, network, printing_on


def sgd(minor: int) -> Money:
    return Money(minor, "SGD")


@pytest.fixture
def context(sandbox, tmp_path, api_key):
    context = build_context(tmp_path / "data", stripe_base_url=sandbox.url, api_key=api_key)
    for sku, name, price in (("CAKE", "Cake", 1990), ("TEA", "Teh Tarik", 350)):
        context.catalog.save(Product(sku=sku, name=name, category="Test", price=sgd(price), tax_rate_bp=900))
    yield context
    context.close()


def product(context, sku: str) -> Product:
    found = context.catalog.find_code(sku)
    assert found is not None
    return found


class Display:
    """A customer display without Qt: the last view, folded from every event the counter told."""

    def __init__(self, counter) -> None:
        self.view = CustomerView()
        self.heard: list[object] = []
        counter.subscribe(self._hear)

    def _hear(self, event) -> None:
        self.heard.append(event)
        self.view = after(self.view, event)


def every_text(view: CustomerView) -> str:
    """Every word and amount the view holds, to look for what must never be there."""
    parts = [str(getattr(view, f.name)) for f in fields(view)]
    return " ".join(parts)


def test_the_view_follows_the_cart_as_it_is_rung_up_then_the_change_and_a_thank_you(context):
    counter = context.counter
    display = Display(counter)
    assert display.view.screen is Screen.WELCOME
    counter.add(product(context, "CAKE"))
    counter.add(product(context, "TEA"), 2)
    view = display.view
    assert view.screen is Screen.CART
    assert [(line.name, line.quantity, line.amount) for line in view.lines] == [
        ("Cake", 1, sgd(1990)),
        ("Teh Tarik", 2, sgd(700)),
    ]
    assert view.total == sgd(2690) and view.tax_included and view.tax == sgd(222) and view.discount is None
    counter.discount_cart(Discount(DiscountKind.AMOUNT, 190, "loyalty"))
    assert display.view.discount == sgd(190) and display.view.total == sgd(2500)
    assert sum((line.discount for line in display.view.lines if line.discount), sgd(0)) == sgd(190)

    assert counter.pay_cash(sgd(1000)).__class__.__name__ == "PartPaid"
    view = display.view
    assert view.screen is Screen.PAYING and view.due == sgd(1500)
    assert [(part.words, part.amount) for part in view.paid] == [("Cash", sgd(1000))]

    result = counter.pay_cash(sgd(2000))
    assert isinstance(result, Paid)
    view = display.view
    assert view.screen is Screen.PAID and view.change == sgd(500) and view.due == sgd(0)
    assert view.message == THANK_YOU and view.receipt_choices == ()  # no display asked: the receipt prints
    counter.new_sale()  # the empty cart after the sale: the thank-you stays for this customer
    assert display.view.screen is Screen.PAID and display.view.change == sgd(500)
    counter.add(product(context, "TEA"))  # the next customer
    assert display.view.screen is Screen.CART and display.view.change is None and display.view.paid == ()


def test_a_cleared_cart_greets_again_and_a_voided_sale_says_it_was_cancelled(context):
    counter = context.counter
    display = Display(counter)
    counter.add(product(context, "CAKE"))
    counter.clear()
    assert display.view == CustomerView()
    counter.add(product(context, "CAKE"))
    counter.pay_cash(sgd(500))
    counter.void_sale("customer left")
    view = display.view
    assert view.message == PAYMENT_CANCELLED and view.given_back == sgd(500) and view.paid == ()


def test_the_view_never_holds_the_cashier_or_the_back_office(context):
    """Only the cart, the money and the receipt choice: the cashier's name (in SignedIn/SignedOut and
    on the receipt the counter's events carry) and the store's settings never reach the view."""
    counter = context.counter
    display = Display(counter)
    counter.add(product(context, "CAKE"))
    shown = display.view
    for event in (events.SignedIn("Maria Tan", "cashier"), events.SignedOut("Maria Tan", locked=True)):
        assert after(shown, event) is shown
    result = counter.pay_cash(sgd(2000))
    assert isinstance(result, Paid)
    text = every_text(display.view)
    settings = context.settings
    for secret in (settings.store_name, settings.address, settings.receipt_footer, settings.till_id, "Maria"):
        assert secret not in text
    assert "pi_" not in text  # no payment ids


def test_the_customer_chooses_print_and_the_receipt_prints_after_the_drawer_opened(context):
    printer = PrinterDouble()
    try:
        counter = context.counter
        counter.customer_chooses_receipt = True  # a customer display is showing
        display = Display(counter)
        counter.add(product(context, "CAKE"))
        result = counter.pay_cash(sgd(2000))
        assert isinstance(result, Paid)
        paid = display.heard[-1]
        assert isinstance(paid, events.Paid) and paid.customer_chooses
        assert paid.jobs == ReceiptJobs(open_drawer=True, print_receipt=False)  # change first; the receipt waits
        assert display.view.receipt_choices == OFFERED == (ReceiptChoice.PRINT, ReceiptChoice.NONE)
        printing = printing_on(network(printer), Drawer())
        run_jobs(printing, result.receipt, paid.jobs)
        [drawer] = printer.wait_for_jobs(1)
        assert drawer.pulses and drawer.lines == []

        chosen = counter.choose_receipt(ReceiptChoice.PRINT)
        assert chosen is not None and display.heard[-1] == chosen
        assert chosen.jobs == ReceiptJobs(open_drawer=False, print_receipt=True)
        assert display.view.receipt_choices == () and "printing" in display.view.message
        run_jobs(printing, chosen.receipt, chosen.jobs)
        [_drawer, receipt] = printer.wait_for_jobs(2)
        assert receipt.pulses == [] and any("TOTAL" in line for line in receipt.lines)
        assert counter.choose_receipt(ReceiptChoice.NONE) is None  # chosen once
    finally:
        printer.close()


def test_the_customer_chooses_no_receipt_and_nothing_prints_but_the_drawer_opens_for_cash(context):
    counter = context.counter
    counter.customer_chooses_receipt = True
    display = Display(counter)
    counter.add(product(context, "CAKE"))
    result = counter.pay_cash(sgd(2000))
    assert isinstance(result, Paid)
    chosen = counter.choose_receipt(ReceiptChoice.NONE)
    assert chosen is not None and chosen.jobs == ReceiptJobs(open_drawer=False, print_receipt=False)
    assert display.view.message == f"{THANK_YOU} No receipt."
    # A card sale opens no drawer, and its receipt waits for the choice too.
    counter.new_sale()
    counter.add(product(context, "TEA"))
    card = counter.pay("pm_card_visa")
    assert isinstance(card, Paid)
    paid = display.heard[-1]
    assert isinstance(paid, events.Paid) and paid.jobs == ReceiptJobs(open_drawer=False, print_receipt=False)
    counter.add(product(context, "CAKE"))  # the next customer came before a choice: no receipt
    assert counter.choose_receipt(ReceiptChoice.PRINT) is None


def test_where_the_display_goes():
    auto, on, off = CustomerDisplayMode.AUTO, CustomerDisplayMode.ON, CustomerDisplayMode.OFF
    assert placement(auto, 2) is Placement.SECOND_SCREEN and placement(auto, 1) is Placement.HIDDEN
    assert placement(on, 1) is Placement.WINDOW and placement(on, 3) is Placement.SECOND_SCREEN
    assert placement(off, 2) is Placement.HIDDEN


def test_the_setting_takes_auto_on_or_off_at_every_door(context):
    assert context.settings.customer_display_mode is CustomerDisplayMode.AUTO
    context.store_settings.change("customer_display", " ON ")
    assert context.settings.customer_display_mode is CustomerDisplayMode.ON
    with pytest.raises(SettingsError, match="auto, on, off"):
        context.store_settings.change("customer_display", "sometimes")


def test_a_gift_card_sold_shows_only_the_last_four_of_its_code(context):
    """The code spends the card: the screen facing the queue shows its end, never all of it."""
    counter = context.counter
    display = Display(counter)
    counter.sell_gift_card(sgd(2500))
    (line,) = display.view.lines
    code = counter.cart.lines[0].product.sku.split(":")[1]
    assert line.name == f"Gift card …{code[-4:]}" and code not in every_text(display.view)
    assert line.amount == sgd(2500)


def test_a_choice_that_lapses_is_no_receipt_and_the_welcome_follows_the_thanks(context):
    counter = context.counter
    counter.customer_chooses_receipt = True
    display = Display(counter)
    counter.add(product(context, "CAKE"))
    assert isinstance(counter.pay_cash(sgd(2000)), Paid)
    assert idle(display.view) is display.view  # the receipt buttons still wait: no welcome yet
    lapsed = counter.choose_receipt(ReceiptChoice.PRINT, lapsed=True)
    assert lapsed is not None and lapsed.lapsed and lapsed.choice is ReceiptChoice.NONE
    assert lapsed.jobs == ReceiptJobs(open_drawer=False, print_receipt=False)
    assert display.view.message == THANK_YOU and display.view.receipt_choices == ()
    assert idle(display.view) == CustomerView()
    assert counter.choose_receipt(ReceiptChoice.PRINT) is None  # the next customer cannot print it
