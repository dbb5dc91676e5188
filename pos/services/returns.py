"""Returns without a receipt: goods taken back with no sale to refund (issue 24 item 4).

The rules live here, for every door (the receipts window, and any later command):
- a manager approves it (Permission.RETURN_WITHOUT_RECEIPT; a one-person shop with no cashiers
  is its own manager, as everywhere else);
- it is given back in cash or as store credit only: with no receipt there is no payment to
  refund to a card;
- cash is given in whole cash steps of the store's rounding (no payment to round against);
- it is recorded as an UNVERIFIED return, numbered in the till's refund sequence, with what was
  brought back and who approved it; reports and the audit trail show it as such.

It runs like a refund piece (refund_phases.py): journaled as sent with a key first, then the
store credit is issued under that key (the same code if asked again) or the drawer opens for
the cash, then it is numbered. Recovery issues store credit the same way; cash no drawer
opened for stays owed until the cashier hands it over.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Protocol

from pos.domain.cash import CashError, round_cash, rounding_step
from pos.domain.catalog import MAX_PRICE_MINOR
from pos.domain.errors import PosError
from pos.domain.money import Money
from pos.domain.refunds import RefundReceipt
from pos.domain.staff import Permission
from pos.domain.tender import TenderKind
from pos.domain.text import TextError, check_text

from .crashpoints import crash_point
from .receipt_printing import Printed
from .refund_phases import CashDrawer
from .sales import StorageError
from .staff import Approval
from .states import RefundState
from .store_credit import StoreCreditLedger

NOT_RETURNED = "Nothing was given back."


# What the cashier may write about the goods brought back: a line on the refund slip.
NOTE_MOST = 200


def amount_problem(amount: Money) -> str | None:
    """Why no return without a receipt may give back `amount`, whatever the till holds (every door asks
    this first: the CLI answers it with exit 2, as any mistake in what was typed), or None."""
    if amount.minor <= 0:
        return "The amount to give back must be more than zero."
    if amount.minor > MAX_PRICE_MINOR:
        # With no receipt, nothing bounds it but this: no single item is priced higher.
        return f"A return without a receipt gives back at most {Money(MAX_PRICE_MINOR, amount.currency)}."
    return None


def note_problem(note: str) -> str | None:
    """Why no return may be kept with `note` (what the customer brought back), whatever the till holds:
    every door asks it (the CLI answers with exit 2, as for the amount), or None."""
    if not " ".join(note.split()):
        return "Say what the customer brought back."
    if len(note) > NOTE_MOST:  # it is printed on the slip and kept in the audit trail: a line, not a page
        return f"Say what the customer brought back in at most {NOTE_MOST} characters."
    try:  # kept and shown as is: no control character, as at every door that takes text
        check_text(note, "What the customer brought back", multiline=False)
    except TextError as exc:
        return f"{exc}. {NOT_RETURNED}"
    return None


@dataclass(frozen=True)
class ReturnRecord:
    id: int
    return_key: str
    till_id: str
    state: RefundState
    given_as: TenderKind  # cash or store credit
    amount_minor: int
    currency: str
    note: str
    approved_by: str
    created_at: str
    refund_no: int | None = None
    store_credit_code: str | None = None

    updated_at: str = ""
    cashier: str = ""

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    def slip(self, store_name: str) -> RefundReceipt:
        """The slip it prints: a refund slip marked UNVERIFIED RETURN, with the code for store credit."""
        return RefundReceipt(
            refund_no=self.refund_no or 0,
            till_id=self.till_id,
            created_at=datetime.fromisoformat(self.updated_at or self.created_at).astimezone(),
            store_name=store_name,
            receipt_no=0,
            amount=self.amount,
            lines=(),
            card_brand=None,
            card_last4=None,
            stripe_refund=None,
            in_cash=self.given_as is TenderKind.CASH,
            store_credit_code=self.store_credit_code,
            unverified_note=self.note,
            approved_by=self.approved_by,
        )


@dataclass(frozen=True)
class Returned:
    record: ReturnRecord


@dataclass(frozen=True)
class ReturnFailed:
    message: str


@dataclass(frozen=True)
class ReturnCashOwed:
    record: ReturnRecord
    why: str = ""

    @property
    def message(self) -> str:
        said = f"{self.record.amount} in cash is still to be handed over; no cash left the drawer for it yet."
        return f"{self.why} {said}" if self.why else said


ReturnResult = Returned | ReturnFailed | ReturnCashOwed


class ReturnJournal(Protocol):
    def begin_return(
        self, key: str, given_as: TenderKind, amount: Money, note: str, approved_by: str
    ) -> ReturnRecord: ...
    def finish_return(self, return_id: int, store_credit_code: str | None = None) -> ReturnRecord: ...
    def unfinished_returns(self) -> list[ReturnRecord]: ...
    def get_return(self, return_id: int) -> ReturnRecord: ...


class ApprovalCheck(Protocol):
    """The staff service's word on an approval (services/staff.Staff.covers)."""

    def covers(self, approval: Approval | None, permission: Permission) -> bool: ...


class Returns:
    def __init__(
        self,
        journal: ReturnJournal,
        staff: ApprovalCheck,
        till_id: Callable[[], str],
        currency: Callable[[], str],
        cash_rounding: Callable[[], str] = lambda: "",
        credit: StoreCreditLedger | None = None,
        drawer: CashDrawer | None = None,
    ):
        self.journal = journal
        self.staff = staff
        self.till_id = till_id
        self.currency = currency
        self.cash_rounding = cash_rounding
        self.credit = credit
        self.drawer = drawer

    def check(self, amount: Money, note: str, *, to_store_credit: bool, approved_by: str) -> str | None:
        """Why this return cannot be made (in the cashier's words), or None: the same rules for every door."""
        permission = Permission.RETURN_WITHOUT_RECEIPT
        # The approver is checked again here (still active, still a manager), whatever door asked.
        if not self.staff.covers(Approval(approved_by, permission) if approved_by else None, permission):
            return f"A return without a receipt needs a manager's approval. {NOT_RETURNED}"
        if amount.currency != self.currency():
            return f"The store's currency is {self.currency()}."
        wrong = amount_problem(amount)
        if wrong:
            return wrong
        wrong = note_problem(note)
        if wrong:
            return wrong
        if to_store_credit:
            if self.credit is None:
                return "This till cannot give store credit."
            return None
        try:
            step = rounding_step(self.cash_rounding(), amount.currency)
        except CashError:
            step = 1
        if round_cash(amount, step) != amount:
            below = Money(amount.minor - amount.minor % step, amount.currency)
            return f"Cash is given back in steps of {Money(step, amount.currency)}: give {below}, or store credit."
        return None

    def give_back(self, amount: Money, note: str, *, to_store_credit: bool, approved_by: str = "") -> ReturnResult:
        """Take goods back with no receipt: journaled, then the credit issued or the drawer opened, then numbered."""
        why = self.check(amount, note, to_store_credit=to_store_credit, approved_by=approved_by)
        if why is not None:
            return ReturnFailed(why)
        given_as = TenderKind.STORE_CREDIT if to_store_credit else TenderKind.CASH
        try:
            record = self.journal.begin_return(uuid.uuid4().hex, given_as, amount, " ".join(note.split()), approved_by)
        except StorageError as exc:
            return ReturnFailed(f"{exc} {NOT_RETURNED}")
        crash_point("after_return_recorded")
        return self._settle(record, at_drawer=True)

    def _settle(self, record: ReturnRecord, *, at_drawer: bool) -> ReturnResult:
        if record.state is RefundState.SUCCEEDED:
            return Returned(record)
        try:
            if record.given_as is TenderKind.STORE_CREDIT:
                if self.credit is None:
                    return ReturnFailed("This till cannot give store credit.")
                code = self.credit.issue(record.return_key, record.amount)
                crash_point("after_store_credit_issued")
                return Returned(self.journal.finish_return(record.id, code))
            if not at_drawer:
                return ReturnCashOwed(record)  # recovery has no drawer: it stays owed, and the cashier is told
            # The drawer opens first (its opening recorded), then the return is done: never done with no drawer.
            if self.drawer is not None and self.drawer.configured:
                opened = self.drawer.open_drawer(f"cash for an unverified return ({record.note})")
                if not isinstance(opened, Printed):
                    return ReturnCashOwed(record, getattr(opened, "message", ""))
                crash_point("after_refund_drawer_opened")
            return Returned(self.journal.finish_return(record.id))
        except (StorageError, PosError) as exc:
            # Still sent: recovery (or the Hand over button) finishes it with the same key.
            return ReturnFailed(f"The return could not be saved just now: {exc} The till finishes it by itself.")

    def hand_over_cash(self, return_id: int) -> ReturnResult:
        """The cash an unverified return still owes, handed over at the drawer now."""
        record = self.journal.get_return(return_id)
        if record.state is not RefundState.SENT or record.given_as is not TenderKind.CASH:
            return ReturnFailed("No cash is owed on this return.")
        return self._settle(record, at_drawer=True)

    def cash_owed(self) -> list[ReturnRecord]:
        return [r for r in self.journal.unfinished_returns() if r.given_as is TenderKind.CASH]

    def recover(self) -> list[str]:
        """Finish returns a crash left: store credit is issued (once, by key); cash stays owed."""
        messages = []
        for record in self.journal.unfinished_returns():
            result = self._settle(record, at_drawer=False)
            if isinstance(result, Returned):
                messages.append(
                    f"Recovered unverified return {result.record.refund_no:04d} of {result.record.amount} "
                    "as store credit."
                )
            elif isinstance(result, ReturnCashOwed):
                messages.append(
                    f"Hand over {record.amount} in cash for an unverified return ({record.note}): it stopped "
                    "before the drawer opened for it."
                )
            else:
                messages.append(result.message)
        return messages

    def unsettled(self) -> bool:
        return bool(self.journal.unfinished_returns())
