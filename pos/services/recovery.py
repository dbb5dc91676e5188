"""Recovery: settle every unfinished sale against Stripe (at start, on a timer, and `pos recover`).

What the till does for each Stripe status (also in docs/reliability.md):

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
from typing import Callable, ContextManager

from pos.domain.money import Money

from . import sales
from .gateway import GatewayError, Intent, PaymentGateway, RequestRejected
from .sales import KEY_WINDOW, Journal, JournalIntegrityError, SaleRecord, StorageError


@dataclass(frozen=True)
class Recovered:
    sale_id: int
    outcome: str  # receipt_saved, parked, abandoned, pending, failed
    message: str

    @property
    def needs_person(self) -> bool:
        return self.outcome in ("pending", "failed")


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
            if current.state not in sales.UNFINISHED or exclude(sale.id):
                continue
            results.append(_recover_one(journal, gateway, current, now))
    return results


def _amount(sale: SaleRecord) -> str:
    return str(Money(sale.total_minor, sale.currency))


def _recover_one(journal: Journal, gateway: PaymentGateway, sale: SaleRecord, now: datetime) -> Recovered:
    label = f"Recovered sale {sale.id}"
    try:
        intent = _find_intent(journal, gateway, sale, now)
        if intent is None:
            journal.close_sale(sale.id, sales.PARKED, "no payment was ever created")
            return Recovered(
                sale.id, "parked", f"{label}: no payment had been made; the cart of {_amount(sale)} is parked."
            )
        if intent.status == "succeeded":
            receipt = journal.finish_paid(sale.id, intent)
            return Recovered(
                sale.id,
                "receipt_saved",
                f"{label}: payment of {_amount(sale)} had succeeded; receipt {receipt.number_text} saved.",
            )
        if intent.status in ("requires_payment_method", "requires_confirmation", "requires_action"):
            try:
                intent = gateway.cancel_payment_intent(intent.id, sales.cancel_key(sale.sale_key))
            except RequestRejected:
                intent = gateway.retrieve_payment_intent(intent.id)
                if intent.status == "succeeded":
                    receipt = journal.finish_paid(sale.id, intent)
                    return Recovered(
                        sale.id,
                        "receipt_saved",
                        f"{label}: payment of {_amount(sale)} had succeeded; receipt {receipt.number_text} saved.",
                    )
                if intent.status != "canceled":
                    raise
            journal.close_sale(sale.id, sales.PARKED, "payment not completed; intent cancelled")
            return Recovered(
                sale.id,
                "parked",
                f"{label}: payment of {_amount(sale)} was not completed; it was cancelled and "
                "the cart is parked to resume.",
            )
        if intent.status == "canceled":
            journal.close_sale(sale.id, sales.ABANDONED, "payment intent was cancelled")
            return Recovered(sale.id, "abandoned", f"{label}: the payment had been cancelled; nothing was charged.")
        journal.note(sale.id, f"payment is {intent.status}; checking again later")
        return Recovered(
            sale.id,
            "pending",
            f"{label}: payment of {_amount(sale)} is still {intent.status}; the till will check again.",
        )
    except GatewayError as exc:
        return Recovered(
            sale.id,
            "failed",
            f"Sale {sale.id} could not be settled yet: Stripe did not answer ({exc}). The till will try again.",
        )
    except StorageError as exc:
        return Recovered(sale.id, "failed", f"Sale {sale.id} could not be saved yet: {exc}")
    except JournalIntegrityError as exc:  # amounts or statuses that do not match: never guessed
        return Recovered(sale.id, "failed", f"Sale {sale.id} needs a person: {exc}")


def _find_intent(journal: Journal, gateway: PaymentGateway, sale: SaleRecord, now: datetime) -> Intent | None:
    if sale.payment_intent:
        return gateway.retrieve_payment_intent(sale.payment_intent)
    started = datetime.fromisoformat(sale.created_at)
    if now - started < KEY_WINDOW:
        # The same key and parameters: Stripe replays the intent if the create had landed, or
        # creates it now (to be cancelled at once) if it had not. Either way we learn its id.
        try:
            intent = gateway.create_payment_intent(sale.create_params, sales.create_key(sale.sale_key))
        except RequestRejected:
            # Stripe will not take these parameters again (e.g. a journal written before an API
            # version removed one): look the sale up instead. No confirm was ever sent for it.
            return _search(journal, gateway, sale)
        journal.record_intent(sale.id, intent.id)
        return intent
    return _search(journal, gateway, sale)


def _search(journal: Journal, gateway: PaymentGateway, sale: SaleRecord) -> Intent | None:
    """Find the sale's intent by its metadata. Search lags behind writes (Stripe documents under a
    minute, longer in outages), so what it returns is only a list of ids: each is retrieved, which is
    current. An intent search cannot see yet was never confirmed (no intent id was recorded, so no
    confirm was sent), so parking the cart is safe even then."""
    found = [gateway.retrieve_payment_intent(hit.id) for hit in gateway.find_payment_intents(sale.sale_key)]
    if not found:
        return None
    intent = next((i for i in found if i.status == "succeeded"), found[0])
    journal.record_intent(sale.id, intent.id)
    return intent
