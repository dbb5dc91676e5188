"""What settling a sale can end in: the results the payment machine returns to its callers."""

from __future__ import annotations

from dataclasses import dataclass

from pos.domain.money import Money
from pos.domain.receipt import Receipt
from pos.domain.tender import Tender

from .states import SaleState


@dataclass(frozen=True)
class Paid:
    receipt: Receipt
    # True when this is an earlier cart's payment that turned out to have gone through; the
    # till keeps whatever the current cart holds beyond it for the next sale.
    earlier: bool = False


@dataclass(frozen=True)
class PartPaid:
    """One tender of a sale paid in parts went through; the sale still owes `due`."""

    tender: Tender
    due: Money


@dataclass(frozen=True)
class Declined:
    message: str
    decline_code: str | None


@dataclass(frozen=True)
class Cancelled:
    """The payment was stopped and its intent cancelled; the cart is kept for a new sale."""

    message: str


@dataclass(frozen=True)
class Failed:
    message: str
    money_may_have_moved: bool = False
    sale_closed: bool = False  # the sale cannot be paid any more; the next payment starts a new one


@dataclass(frozen=True)
class Pending:
    """The outcome is not known yet; the sale stays open and is checked again later."""

    message: str


@dataclass(frozen=True)
class OnReader:
    """The sale's intent is on the card reader, waiting for the customer: ask again (or stop it)."""

    message: str  # what the reader is doing, in the cashier's words
    reader_id: str


@dataclass(frozen=True)
class Closed:
    """Settled without payment (recovery, or a cart that changed): nothing was charged."""

    state: SaleState  # PARKED (the cart can be resumed), ABANDONED, SPLIT (paid in parts) or RETURNED
    note: str


ChargeResult = Paid | PartPaid | Declined | Cancelled | Failed | Pending | OnReader
SaleResult = ChargeResult | Closed
