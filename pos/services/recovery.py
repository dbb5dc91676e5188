"""Recovery: settle every unfinished sale against Stripe (at start, on a timer, and `pos recover`).

Each sale runs its own phases (`sale_phases.py`) with the PARK goal, from the
recovery point its journal holds. What that does for each Stripe status (also
in docs/reliability.md):

    succeeded                         write the missing receipt
    requires_payment_method /
    requires_confirmation /
    requires_action                   cancel the intent, park the cart to resume
    processing                        leave it pending, check again later
    canceled                          mark the sale abandoned
    no intent recorded                resend the create with the same key (under 24 h),
                                      else search by metadata['sale_id']; then as above
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import StrEnum
from typing import Callable, ContextManager

from pos.domain.money import Money

from .gateway import GatewayError, PaymentGateway
from .outcomes import Closed, Paid, PartPaid, Pending, SaleResult
from .phases import settle
from .sale_phases import NEVER_CREATED, Goal, SalePhases
from .sales import Journal, JournalIntegrityError, SaleRecord, StorageError
from .states import SaleState


class RecoveryOutcome(StrEnum):
    RECEIPT_SAVED = "receipt_saved"
    PART_SAVED = "part_saved"  # a card part of a sale paid in parts had succeeded: recorded, the rest still due
    PARKED = "parked"
    ABANDONED = "abandoned"
    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True)
class Recovered:
    sale_id: int
    outcome: RecoveryOutcome
    message: str

    @property
    def needs_person(self) -> bool:
        return self.outcome in (RecoveryOutcome.PENDING, RecoveryOutcome.FAILED)


def recover(
    journal: Journal,
    gateway: PaymentGateway,
    now: datetime | None = None,
    exclude: Callable[[int], bool] = lambda _sale_id: False,
    lock_for: Callable[[int], ContextManager[object]] | None = None,
) -> list[Recovered]:
    """Settle each unfinished sale that is not the till's own.

    Only the process that holds the data folder's lock runs recovery, so every unfinished sale
    is either this process's own or left by one that is gone. `exclude(sale_id)` is asked just
    before each sale (the till may have moved on, or be between two cards), and
    `lock_for(sale_id)` serialises with checkout, so recovery never races a live payment.
    Timestamps decide nothing here: a clock set back or forward never hides a sale.
    """
    now = now or datetime.now(timezone.utc)
    results = []
    for sale in journal.unfinished_sales():
        if exclude(sale.id):
            continue
        with lock_for(sale.id) if lock_for else contextlib.nullcontext():
            current = journal.sale(sale.id)
            if not current.state.unfinished or exclude(sale.id):
                continue
            if not journal.is_recorded(sale.id):
                # Written behind the till's back (no audit event records it as started): never completed.
                message = f"Sale {sale.id} is in no audit event, so it was not completed. Run `pos audit verify`."
                results.append(Recovered(sale.id, RecoveryOutcome.FAILED, message))
                continue
            results.append(_recover_one(journal, gateway, current, now))
    return results


def _recover_one(journal: Journal, gateway: PaymentGateway, sale: SaleRecord, now: datetime) -> Recovered:
    """The sale's own phases, run to park it: the same code its checkout ran, from where it stopped."""
    try:
        result = settle(SalePhases(journal, gateway, Goal.PARK, now=now), sale)
    except GatewayError as exc:
        return Recovered(
            sale.id,
            RecoveryOutcome.FAILED,
            f"Sale {sale.id} could not be settled yet: Stripe did not answer ({exc}). The till will try again.",
        )
    except StorageError as exc:
        return Recovered(sale.id, RecoveryOutcome.FAILED, f"Sale {sale.id} could not be saved yet: {exc}")
    except JournalIntegrityError as exc:  # amounts or statuses that do not match: never guessed
        return Recovered(sale.id, RecoveryOutcome.FAILED, f"Sale {sale.id} needs a person: {exc}")
    return _report(sale, result)


def _report(sale: SaleRecord, result: SaleResult) -> Recovered:
    label = f"Recovered sale {sale.id}"
    amount = str(Money(sale.total_minor, sale.currency))
    if isinstance(result, Paid):
        return Recovered(
            sale.id,
            RecoveryOutcome.RECEIPT_SAVED,
            f"{label}: payment of {amount} had succeeded; receipt {result.receipt.number_text} saved.",
        )
    if isinstance(result, PartPaid):
        # A card part whose answer was lost had gone through: it is recorded, and its sale comes back to
        # the counter (Till.restore_split_sale) owing only the rest, or to finish its void. Nothing for a
        # person to sort out.
        rest = f" {result.due} is still to pay." if result.due.minor > 0 else ""
        return Recovered(
            sale.id,
            RecoveryOutcome.PART_SAVED,
            f"{label}: a card part of {amount} had gone through and is recorded on its sale.{rest}",
        )
    if isinstance(result, Closed) and result.state is SaleState.PARKED:
        if result.note == NEVER_CREATED:
            message = f"{label}: no payment had been made; the cart of {amount} is parked."
        else:
            message = (
                f"{label}: payment of {amount} was not completed; it was cancelled and the cart is parked to resume."
            )
        return Recovered(sale.id, RecoveryOutcome.PARKED, message)
    if isinstance(result, Closed) and result.state is SaleState.RETURNED:
        return Recovered(
            sale.id, RecoveryOutcome.ABANDONED, f"{label}: the card part of {amount} of a voided sale was given back."
        )
    if isinstance(result, Closed):
        return Recovered(
            sale.id, RecoveryOutcome.ABANDONED, f"{label}: the payment had been cancelled; nothing was charged."
        )
    if isinstance(result, Pending):
        return Recovered(sale.id, RecoveryOutcome.PENDING, f"{label} ({amount}): {result.message}")
    # Declined, Failed, Cancelled or on the reader: said in the cashier's words, never as an object.
    return Recovered(sale.id, RecoveryOutcome.FAILED, f"Sale {sale.id} needs a person: {result.message}")
