"""The drawer's day apart from sales: the opening float, cash paid in and paid out, each with a
reason, recorded, and the drawer opened for it. The X and Z reports add them up into the cash
the drawer should hold; at the Z the cashier's count is set against it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Callable, Protocol

from pos.domain.money import Money
from pos.domain.staff import Permission

from .receipt_printing import Printed, Printing
from .sales import StorageError
from .staff import Approval, Staff


class MovementKind(StrEnum):
    FLOAT = "float"  # the change put in when the period starts
    PAID_IN = "paid_in"
    PAID_OUT = "paid_out"  # e.g. milk bought from the drawer


LABELS = {MovementKind.FLOAT: "Opening float", MovementKind.PAID_IN: "Paid in", MovementKind.PAID_OUT: "Paid out"}


class MovementBook(Protocol):
    def record_movement(self, till_id: str, kind: str, amount_minor: int, currency: str, reason: str) -> None: ...


@dataclass(frozen=True)
class Moved:
    message: str


@dataclass(frozen=True)
class NotMoved:
    message: str
    needs: Permission | None = None  # a manager's approval of this would let it through


class CashDrawer:
    def __init__(
        self,
        book: MovementBook,
        printing: Printing,
        till_id: Callable[[], str],
        currency: Callable[[], str],
        staff: Staff,
        expected_cash: Callable[[], Money],
    ):
        self._book, self._printing, self._till_id, self._currency = book, printing, till_id, currency
        self._staff, self._expected_cash = staff, expected_cash

    def move(
        self, kind: MovementKind, amount: Money, reason: str, approval: Approval | None = None
    ) -> Moved | NotMoved:
        """Record cash put in or taken out, then open the drawer for it (recorded either way).

        Every door obeys the window's drawer rules here: opening the drawer outside a sale needs
        a manager when the cashier may not alone (as "no sale" does), and paying out more than the
        drawer should hold needs one whoever is signed in below a manager."""
        reason = reason.strip() or (LABELS[kind].lower() if kind is MovementKind.FLOAT else "")
        if amount.currency != self._currency():
            return NotMoved(f"The till counts in {self._currency()}.")
        if amount.minor <= 0:
            return NotMoved("The amount must be more than zero.")
        if not reason:
            return NotMoved(f"Say why ({LABELS[kind].lower()} is kept with its reason).")
        if kind is MovementKind.PAID_OUT:
            held = self._expected_cash()
            if amount.minor > held.minor and not self._staff.covers(approval, Permission.PAY_OUT_BEYOND_CASH):
                return NotMoved(
                    f"The drawer should hold {held}: paying out {amount} needs a manager.",
                    Permission.PAY_OUT_BEYOND_CASH,
                )
        if not self._staff.covers(approval, Permission.OPEN_DRAWER):
            return NotMoved(f"A manager approves {LABELS[kind].lower()} (it opens the drawer).", Permission.OPEN_DRAWER)
        try:
            self._book.record_movement(self._till_id(), kind.value, amount.minor, amount.currency, reason)
        except StorageError as exc:
            return NotMoved(f"{exc} Nothing was recorded.")
        done = f"{LABELS[kind]} of {amount} recorded."
        opened = self._printing.open_drawer(f"{LABELS[kind].lower()}: {reason}")
        if self._printing.configured and not isinstance(opened, Printed):
            return Moved(f"{done} {opened.message}")
        return Moved(done)
