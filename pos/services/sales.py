"""The payment journal's records and port (Brandur Leach's idempotency-keys shape).

A sale moves through recovery points (`states.SaleState`), each committed before the
next Stripe call; `sale_phases.py` holds the code that runs from each of them:

    started --create--> intent_created --confirm sent--> confirm_sent --> paid
                              ^    |                          |
                              |    +--handed to reader--> reader_sent --> paid
                              +-------- declined, cancelled on the reader ---+
    any unfinished state --cancel--> abandoned (cart dropped) or parked (cart kept to resume)

The sale key never changes; every idempotency key derives from it, so the same
step repeated (a double click, an app retry, recovery after a crash) sends the
same key with the same parameters and Stripe answers it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from pos.domain.cart import Totals
from pos.domain.cash import CashPayment
from pos.domain.errors import PosError
from pos.domain.money import Money
from pos.domain.receipt import Receipt
from pos.domain.tender import Tender

from .gateway import Intent
from .outcomes import Paid, PartPaid
from .requests import CreateIntent, PaymentRequest
from .states import AttemptState, SaleState
from .storage_error import StorageError as StorageError  # the ports' error, defined apart (a light import)


class SaleChanged(PosError):
    """A tender the sale cannot take as it stands now (paid meanwhile, another part open); for the cashier."""


class JournalIntegrityError(RuntimeError):
    """The provider's answer does not match what the journal recorded: a person must look."""


# Stripe keeps idempotency keys for 24 hours; resend with the same key only inside this window,
# which leaves a margin for clocks that disagree. Sales and refunds alike.
KEY_WINDOW = timedelta(hours=23)


def create_key(sale_key: str) -> str:
    return f"pos-{sale_key}-create"


def confirm_key(sale_key: str, attempt_no: int) -> str:
    return f"pos-{sale_key}-confirm-{attempt_no}"


def reader_key(sale_key: str, attempt_no: int) -> str:
    """Handing the sale's intent to a card reader, once per attempt."""
    return f"pos-{sale_key}-reader-{attempt_no}"


def reader_cancel_key(sale_key: str, attempt_no: int) -> str:
    return f"pos-{sale_key}-reader-{attempt_no}-cancel"


def cancel_key(sale_key: str) -> str:
    return f"pos-{sale_key}-cancel"


def receipt_label_key(sale_key: str) -> str:
    return f"pos-{sale_key}-receipt"


def return_key(sale_key: str) -> str:
    """The refund that gives a voided sale's paid card part back."""
    return f"pos-{sale_key}-return"


@dataclass(frozen=True)
class SaleRecord:
    id: int
    sale_key: str
    till_id: str
    state: SaleState
    currency: str
    total_minor: int
    create: CreateIntent  # what the intent was (or is to be) created with, as journaled
    payment_intent: str | None
    created_at: str
    note: str | None = None
    order_id: int | None = None  # a card part: the sale it pays towards

    @property
    def is_part(self) -> bool:
        return self.order_id is not None


@dataclass(frozen=True)
class AttemptRecord:
    id: int
    sale_id: int
    attempt_no: int
    idempotency_key: str
    request: PaymentRequest  # a confirm with a payment method, or a hand-off to a card reader
    state: AttemptState


@dataclass(frozen=True)
class VoidNote:
    """A voided sale's record (the voids row and its audit event), written in the void's own transaction."""

    amount: Money  # the sale's total
    reason: str
    approved_by: str = ""  # the manager who approved it, when the cashier may not void alone


@dataclass(frozen=True)
class SaleStanding:
    """A sale as it stands, read at once: its row, the parts paid so far, and what it still owes."""

    sale: SaleRecord
    tenders: tuple[Tender, ...]
    due: Money


class Journal(Protocol):
    """The sale journal: each method that changes a state commits one recovery point."""

    def begin_sale(
        self, totals: Totals, tax_inclusive: bool, create: CreateIntent, product_ids: list[int | None]
    ) -> SaleRecord: ...
    def record_intent(self, sale_id: int, intent_id: str) -> SaleRecord: ...
    def begin_attempt(self, sale: SaleRecord, request: PaymentRequest) -> AttemptRecord: ...
    # Held recovery points (issue 27 item 1): the intent's id and the attempt, kept in memory and
    # written in the transaction of the sale's next write (the answer's: receipt, decline, note), or
    # by `flush`, which checkout runs before it lets go of the sale's lock. A crash while they are
    # held leaves the sale `started`; recovery finds its intent by the idempotent create (same key)
    # or by search on its metadata, as after a lost create answer (docs/reliability.md).
    def hold_intent(self, sale: SaleRecord, intent_id: str) -> SaleRecord: ...
    def hold_attempt(self, sale: SaleRecord, request: PaymentRequest) -> AttemptRecord: ...
    def flush(self) -> None: ...
    def holding(self) -> bool: ...
    # True for a sale this journal began (this run): what it held for it is written before any read,
    # so `started` means no confirm went out. A sale an earlier run began may have lost held points.
    def started_here(self, sale_id: int) -> bool: ...
    def begin_cash_sale(
        self,
        totals: Totals,
        tax_inclusive: bool,
        create: CreateIntent,
        product_ids: list[int | None],
        payment: CashPayment,
    ) -> tuple[SaleRecord, Paid | PartPaid]: ...
    def open_attempt(self, sale_id: int) -> AttemptRecord | None: ...
    def record_attempt(
        self,
        attempt_id: int,
        state: AttemptState,
        *,
        decline_code: str | None = None,
        message: str | None = None,
        charge_id: str | None = None,
    ) -> None: ...
    def finish_paid(self, sale_id: int, intent: Intent) -> Receipt: ...
    def finish_part(self, part_id: int, intent: Intent) -> Paid | PartPaid: ...
    def part_result(self, part_id: int) -> Paid | PartPaid: ...
    def begin_return(self, part_id: int) -> SaleRecord: ...
    def finish_return(self, part_id: int, refund_id: str) -> None: ...
    def split(self, sale_id: int) -> SaleRecord: ...
    def take_cash(self, sale_id: int, payment: CashPayment) -> Paid | PartPaid: ...
    def begin_part(self, sale_id: int, create: CreateIntent) -> SaleRecord: ...
    def begin_void(self, sale_id: int) -> SaleRecord: ...
    def close_voided(self, sale_id: int, note: str, record: VoidNote | None = None) -> None: ...
    def record_void(self, sale_id: int, record: VoidNote) -> None: ...
    def standing(self, sale_id: int) -> SaleStanding: ...
    def parts(self, sale_id: int) -> list[SaleRecord]: ...
    def unfinished_part(self, sale_id: int) -> SaleRecord | None: ...
    def is_recorded(self, sale_id: int) -> bool: ...
    def tenders(self, sale_id: int) -> tuple[Tender, ...]: ...
    def due(self, sale_id: int) -> Money: ...
    def split_sales(self, till_id: str) -> list[SaleRecord]: ...
    def close_sale(self, sale_id: int, state: SaleState, note: str) -> None: ...
    def note(self, sale_id: int, note: str) -> None: ...
    def sale(self, sale_id: int) -> SaleRecord: ...
    def sale_for_intent(self, intent_id: str) -> SaleRecord | None: ...
    def unfinished_sales(self) -> list[SaleRecord]: ...
    def receipt_for_sale(self, sale_id: int) -> Receipt | None: ...
    def sale_lines(self, sale_id: int) -> list[tuple[int | None, str, int]]: ...
    def parked_sales(self) -> list[SaleRecord]: ...
    def resume_parked(self, sale_id: int) -> None: ...
