"""What the counter tells those who show it: typed events, one per kind of change.

The `Counter` (counter.py) emits these to its subscribers (the main window, the payment dialog, any
later display such as a customer display) the way Anki's `OpChanges` or napari's model events do:
the model changes, then says what changed, and each view redraws what it shows of it. An event is
delivered on the thread that caused the change (a payment's worker, or the UI thread); a Qt view
moves it onto its own thread (pos/ui/counter_bridge.py). Events carry values, never widgets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Union

from pos.domain.cart import Totals
from pos.domain.money import Money
from pos.domain.receipt import Receipt
from pos.domain.tender import Tender

from .receipt_choice import ReceiptChoice, ReceiptJobs


@dataclass(frozen=True)
class CartChanged:
    """The cart's lines or discounts changed (scan, remove, clear, a restored or resumed sale)."""

    lines: int
    total: Money
    why: str = ""  # what changed it, for the cashier, when there is something to say
    # The cart's lines, discounts and totals as values (a display that shows them, such as the
    # customer display, draws from the event alone, never from the cart the counter owns).
    totals: Totals | None = None
    tax_included: bool = True  # the cart's prices include its tax


@dataclass(frozen=True)
class PartPaid:
    """A tender paid part of the sale; `due` is what is left."""

    sale_id: int
    tender: Tender
    due: Money


@dataclass(frozen=True)
class Paid:
    """The sale is paid in full: its receipt is saved (print it; the cart follows with CartChanged)."""

    receipt: Receipt
    cash: bool  # a tender was cash: the drawer opens before the receipt prints
    # What the printer does now (receipt_choice.py): with a customer display the receipt waits for
    # the customer's choice (ReceiptChosen); the drawer opens now either way.
    jobs: ReceiptJobs = ReceiptJobs(open_drawer=False, print_receipt=True)
    customer_chooses: bool = False


@dataclass(frozen=True)
class ReceiptChosen:
    """The customer chose what to do with the receipt of the sale just paid, on the customer display."""

    receipt: Receipt
    choice: ReceiptChoice
    jobs: ReceiptJobs  # the drawer already opened at payment: at most the receipt now
    lapsed: bool = False  # nobody chose in time (customer_view.CHOICE_WAITS_S): no receipt


@dataclass(frozen=True)
class Voided:
    """The sale was voided, its paid parts given back and the void recorded in the same transaction."""

    sale_id: int
    message: str
    cash: Money | None  # cash to hand back from the drawer


@dataclass(frozen=True)
class Parked:
    """A sale was left unpaid and kept to resume later."""

    sale_id: int


@dataclass(frozen=True)
class Resumed:
    """A sale came back to the counter: a parked one resumed, or one paid in part restored after a
    restart (owing the rest); `message` says so in the cashier's words."""

    sale_id: int | None
    message: str
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class SignedIn:
    name: str
    role: str


@dataclass(frozen=True)
class SignedOut:
    name: str
    locked: bool  # the idle lock signed them out


CounterEvent = Union[CartChanged, PartPaid, Paid, ReceiptChosen, Voided, Parked, Resumed, SignedIn, SignedOut]
Subscriber = Callable[[CounterEvent], None]
