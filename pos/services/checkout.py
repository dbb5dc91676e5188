"""Checkout: take a cart to a paid, numbered receipt through a PaymentIntent, exactly once.

Starting a sale journals the cart and the request to create its intent before
any Stripe call; charging and abandoning run the sale's phases
(`sale_phases.py`) through the one driver (`phases.settle`), the same code
recovery runs after a crash. An answer that never arrived is never guessed: the
intent is looked up first.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import defaultdict
from typing import Callable

from pos.domain.cart import Cart
from pos.domain.receipt import Receipt

from . import sales
from .crashpoints import crash_point
from .gateway import GatewayError, PaymentGateway
from .outcomes import Cancelled, ChargeResult, Closed, Declined, Failed, Paid, Pending
from .phases import settle
from .requests import ConfirmIntent, CreateIntent, LabelIntent
from .sale_phases import NOT_CHARGED, Goal, SalePhases
from .sales import Journal, SaleRecord, StorageError
from .states import SaleState

__all__ = ["Cancelled", "ChargeResult", "Checkout", "CheckoutError", "Declined", "Failed", "Paid", "Pending"]

log = logging.getLogger(__name__)


class CheckoutError(Exception):
    """A sale could not be started; the message is for the cashier."""


class Checkout:
    def __init__(self, journal: Journal, gateway: PaymentGateway, till_id: Callable[[], str]):
        self.journal = journal
        self.gateway = gateway
        self._till_id = till_id  # asked at each new sale: the store's till id can change after a Z
        self._locks: dict[int, threading.Lock] = defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()

    def sale_lock(self, sale_id: int) -> threading.Lock:
        """Held while a sale is being charged; recovery takes it too, so the two never overlap."""
        with self._locks_guard:
            return self._locks[sale_id]

    # -- starting --------------------------------------------------------------
    def start_sale(self, cart: Cart) -> SaleRecord:
        """Record the sale (cart snapshot, amount, the request that creates its intent) before any Stripe call."""
        if cart.is_empty():
            raise CheckoutError("The cart is empty.")
        totals = cart.totals()
        if totals.total.minor <= 0:
            raise CheckoutError("The total must be more than zero to take a card payment.")
        create = CreateIntent(totals.total, uuid.uuid4().hex, self._till_id())
        try:
            sale = self.journal.begin_sale(totals, cart.tax_inclusive, create, [line.product.id for line in cart.lines])
            crash_point("after_sale_recorded")
            return sale
        except StorageError as exc:
            raise CheckoutError(f"{exc} {NOT_CHARGED}") from exc

    # -- charging --------------------------------------------------------------
    def charge(
        self, sale_id: int, payment_method: str, progress: Callable[[str], None] = lambda _m: None
    ) -> ChargeResult:
        """Charge the sale's total to a payment method. Safe to call again for the same sale."""
        with self.sale_lock(sale_id):
            try:
                phases = SalePhases(
                    self.journal, self.gateway, Goal.CHARGE, confirm=ConfirmIntent(payment_method), progress=progress
                )
                result = settle(phases, self.journal.sale(sale_id))
            except StorageError as exc:
                return self._storage_failed(sale_id, exc)
            except Exception as exc:  # noqa: BLE001 - the cashier must learn whether money moved, whatever broke
                log.exception("unexpected failure while charging sale %s", sale_id)
                return self._storage_failed(sale_id, exc, unexpected=True)
            if isinstance(result, Closed):  # not reached when charging: the phases say why in a Failed
                return Failed(f"This sale was closed ({result.note}). {NOT_CHARGED}", sale_closed=True)
            return result

    def label_with_receipt(self, receipt: Receipt) -> None:
        """Add the receipt number to the paid intent's metadata, so Stripe's dashboard shows it.

        Best effort and after the fact: the sale is complete without it, so a failure is only logged.
        """
        sale = self.journal.sale_for_intent(receipt.payment_intent)
        if sale is None:
            return
        try:
            self.gateway.label_payment_intent(
                receipt.payment_intent, LabelIntent(receipt.number_text), sales.receipt_label_key(sale.sale_key)
            )
        except GatewayError as exc:
            log.warning("could not add receipt %s to %s: %s", receipt.number_text, receipt.payment_intent, exc)

    # -- leaving a sale ----------------------------------------------------------
    def abandon(self, sale_id: int, reason: str = "the cart changed") -> ChargeResult | None:
        """Close an unfinished sale, cancelling its intent.

        Returns Paid if it turned out paid, Pending if money may still move (the till must not
        start another payment yet), None when the sale is closed or left to recovery safely.
        """
        with self.sale_lock(sale_id):
            sale = self.journal.sale(sale_id)
            try:
                result = settle(SalePhases(self.journal, self.gateway, Goal.ABANDON, reason=reason), sale)
            except GatewayError as exc:
                if sale.state is SaleState.CONFIRM_SENT:
                    # The last confirm's outcome is unknown: a new payment now could charge twice.
                    return Pending(
                        "Could not reach Stripe to learn whether the previous payment went "
                        "through. Do NOT take another payment until the till can check it."
                    )
                # No confirm is in flight, so no money can move; recovery cancels it later.
                log.warning("could not cancel sale %s now: %s", sale_id, exc)
                return None
            return result if isinstance(result, (Paid, Pending)) else None

    def _storage_failed(self, sale_id: int, exc: Exception, unexpected: bool = False) -> ChargeResult:
        try:
            sale: SaleRecord | None = self.journal.sale(sale_id)
        except Exception:  # noqa: BLE001 - even an unreadable journal must yield a cashier's message
            sale = None
        reason = "Something unexpected went wrong in the till (details are in its log)." if unexpected else str(exc)
        if sale is None or sale.state is SaleState.CONFIRM_SENT:
            # A confirm may be out, or the journal cannot say: assume the money may have moved.
            return Failed(
                f"The payment may have gone through, but the till could not finish it: {reason} "
                "Do NOT charge again. The till checks with Stripe and saves the receipt as soon as "
                "it can.",
                money_may_have_moved=True,
            )
        return Failed(f"{reason} {NOT_CHARGED}")
