"""What the customer sees on the customer display, worked out from the counter's events alone.

The customer display (pos/ui/customer_display.py) draws a `CustomerView`; `after(view, event)` is the
one rule that turns the counter's events (counter_events.py) into it: the cart as it is rung up (lines
with their quantities and prices, discounts, tax, total), what is paid and still due in a split sale,
the change, a thank-you and the receipt choice. Nothing else reaches it: the cashier's name
(SignedIn, SignedOut) is not shown, there is no PIN field, and nothing from the back office. The
pole displays of Odoo's point_of_sale (customer_display), Lightspeed and OCA show the same things.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from pos.domain.cart import LineTotals
from pos.domain.giftcards import sold_card
from pos.domain.money import Money
from pos.domain.tender import Tender, TenderKind

from .counter_events import CartChanged, CounterEvent, Paid, PartPaid, ReceiptChosen, Voided
from .receipt_choice import OFFERED, ReceiptChoice
from .settings import CustomerDisplayMode

# How long the receipt buttons wait for the customer before it is no receipt (the next customer
# must not print this one's), and how long the thank-you stays once nothing waits.
CHOICE_WAITS_S = 60
THANKS_SHOW_S = 15

WELCOME = "Welcome!"
THANK_YOU = "Thank you!"
PAYMENT_CANCELLED = "The payment was cancelled."


class Screen(StrEnum):
    WELCOME = "welcome"  # no cart: a greeting
    CART = "cart"  # the cart as it is rung up
    PAYING = "paying"  # part of the sale is paid; the rest is due
    PAID = "paid"  # paid in full: the change, a thank-you and (with a choice) the receipt buttons


@dataclass(frozen=True)
class CustomerLine:
    name: str
    quantity: int
    amount: Money  # what the line costs, after its discounts, in the price's terms (gross when tax is included)
    discount: Money | None = None  # taken off this line (its own discount and its share of the cart's)
    weight: str = ""  # a weighed line: "0.500 kg at $12.00/kg"


@dataclass(frozen=True)
class PaidPart:
    words: str  # "Cash", "Card", "Gift card": never a card number, never who took it
    amount: Money


@dataclass(frozen=True)
class CustomerView:
    screen: Screen = Screen.WELCOME
    lines: tuple[CustomerLine, ...] = ()
    discount: Money | None = None  # everything taken off the cart, when something was
    tax: Money | None = None
    tax_included: bool = True  # "includes tax" under the total, or a tax row above it
    total: Money | None = None
    paid: tuple[PaidPart, ...] = ()
    due: Money | None = None  # still to pay, once a part is paid
    change: Money | None = None  # to the customer, when cash paid more than was due
    given_back: Money | None = None  # cash handed back when a part-paid sale was cancelled
    message: str = WELCOME
    receipt_choices: tuple[ReceiptChoice, ...] = ()  # the buttons offered now; () once chosen


def after(view: CustomerView, event: CounterEvent) -> CustomerView:
    """The view once `event` happened (a pure function: the display keeps the last view)."""
    if isinstance(event, CartChanged):
        return _cart(view, event)
    if isinstance(event, PartPaid):
        return replace(
            view,
            screen=Screen.PAYING,
            paid=view.paid + (_part(event.tender),),
            due=event.due,
            change=_change((event.tender,)),
            given_back=None,
            message="",
        )
    if isinstance(event, Paid):
        receipt = event.receipt
        return CustomerView(
            screen=Screen.PAID,
            lines=tuple(_line(line, receipt.tax_inclusive) for line in receipt.lines),
            discount=_nonzero(receipt.discount),
            tax=receipt.tax,
            tax_included=receipt.tax_inclusive,
            total=receipt.total,
            paid=tuple(_part(t) for t in receipt.tenders),
            due=Money(0, receipt.total.currency),
            change=_change(receipt.tenders),
            message=THANK_YOU,
            receipt_choices=OFFERED if event.customer_chooses else (),
        )
    if isinstance(event, ReceiptChosen):
        told = "" if event.lapsed else f" {event.choice.told}"
        return replace(view, receipt_choices=(), message=f"{THANK_YOU}{told}")
    if isinstance(event, Voided):
        screen = Screen.CART if view.lines else Screen.WELCOME
        return replace(
            view, screen=screen, paid=(), due=None, change=None, given_back=event.cash, message=PAYMENT_CANCELLED
        )
    return view  # signing in or out, a parked or resumed sale: nothing for the customer (the cart follows)


def idle(view: CustomerView) -> CustomerView:
    """THANKS_SHOW_S after a sale, with no receipt choice waiting: the welcome again."""
    if view.screen is Screen.PAID and not view.receipt_choices:
        return CustomerView()
    return view


def _cart(view: CustomerView, event: CartChanged) -> CustomerView:
    totals = event.totals
    if totals is None or not totals.lines:
        if view.screen is Screen.PAID:
            return view  # the thank-you and the receipt choice stay until the next customer's first item
        return CustomerView()
    kept_paid = view.screen is Screen.PAYING  # a split sale's paid parts stay while it is paid
    return CustomerView(
        screen=Screen.PAYING if kept_paid else Screen.CART,
        lines=tuple(_line(line, event.tax_included) for line in totals.lines),
        discount=_nonzero(totals.discount),
        tax=totals.tax,
        tax_included=event.tax_included,
        total=totals.total,
        paid=view.paid if kept_paid else (),
        due=view.due if kept_paid else None,
        message="",
    )


def _line(line: LineTotals, tax_included: bool) -> CustomerLine:
    weight = ""
    if line.measure is not None:
        weight = line.measure.describe()
    return CustomerLine(
        _shown_name(line),
        line.quantity,
        line.gross if tax_included else line.net,
        _nonzero(line.discount),
        weight,
    )


def _shown_name(line: LineTotals) -> str:
    """A gift card's line names its code (the cashier's screen and the receipt need it); the screen
    facing the queue shows only its last four characters: the code is what spends the card."""
    card = sold_card(line.sku)
    if card is None:
        return line.name
    code, reload = card
    return f"{'Gift card reload' if reload else 'Gift card'} …{code[-4:]}"


def _part(tender: Tender) -> PaidPart:
    kind = TenderKind.CARD if tender.kind is TenderKind.CARD_PRESENT else tender.kind
    return PaidPart(kind.words, tender.amount)


def _change(tenders: tuple[Tender, ...]) -> Money | None:
    given = [t.change for t in tenders if t.kind is TenderKind.CASH and t.change is not None and t.change.minor > 0]
    if not given:
        return None
    return sum(given[1:], given[0])


def _nonzero(amount: Money | None) -> Money | None:
    return amount if amount is not None and amount.minor != 0 else None


class Placement(StrEnum):
    HIDDEN = "hidden"
    WINDOW = "window"  # a window on the till's one screen (the owner turned the display on)
    SECOND_SCREEN = "second_screen"  # full screen on the second monitor


def placement(mode: CustomerDisplayMode, screens: int) -> Placement:
    """Where the customer display goes: full screen on a second monitor when there is one (unless the
    owner turned it off); with one screen, only when the owner turned it on."""
    if mode is CustomerDisplayMode.OFF:
        return Placement.HIDDEN
    if screens >= 2:
        return Placement.SECOND_SCREEN
    return Placement.WINDOW if mode is CustomerDisplayMode.ON else Placement.HIDDEN
