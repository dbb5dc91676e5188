"""Checkout: take a cart to a paid, numbered receipt through a PaymentIntent, exactly once.

Each step is journaled before the Stripe call it leads to, and every call
carries a key derived from the sale, so repeating any step (a second click, a
retry, recovery after a crash) cannot create a second intent or charge. An
answer that never arrived is never guessed: the intent is looked up first.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable

from pos.domain.cart import Cart
from pos.domain.declines import cashier_message
from pos.domain.money import Money
from pos.domain.receipt import Receipt

from . import sales
from .crashpoints import crash_point
from .gateway import (
    GatewayError,
    Intent,
    NotAuthorized,
    OutcomeUnknown,
    PaymentDeclined,
    PaymentGateway,
    ProviderUnavailable,
    RequestRejected,
)
from .sales import AttemptRecord, Journal, JournalIntegrityError, SaleRecord, StorageError

log = logging.getLogger(__name__)

CHECKING = "Checking whether the payment went through…"
NOT_CHARGED = "Nothing was charged."


# -- what a charge can end in -------------------------------------------------
@dataclass(frozen=True)
class Paid:
    receipt: Receipt
    # True when this is an earlier cart's payment that turned out to have gone through; the
    # till keeps whatever the current cart holds beyond it for the next sale.
    earlier: bool = False


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


ChargeResult = Paid | Declined | Cancelled | Failed | Pending


class CheckoutError(Exception):
    """A sale could not be started; the message is for the cashier."""


def create_params(total: Money, sale_key: str, till_id: str) -> dict[str, Any]:
    """What the till asks Stripe for when it creates a sale's PaymentIntent (stored in the journal).

    Only parameters the pinned SDK declares for PaymentIntent create: cards only through
    `allowed_payment_method_types`, so nothing can redirect and confirm needs no return_url
    (docs/decisions/0003-card-only-payment-intents.md).
    """
    return {
        "amount": total.minor,
        "currency": total.currency.lower(),
        "allowed_payment_method_types": ["card"],
        "metadata": {"sale_id": sale_key, "till_id": till_id},
    }


def confirm_params(payment_method: str) -> dict[str, Any]:
    """What the till sends to confirm a sale's intent: the payment method, and the charge expanded
    so the receipt can show the card's brand and last four."""
    return {"payment_method": payment_method, "expand": ["latest_charge"]}


class Checkout:
    def __init__(self, journal: Journal, gateway: PaymentGateway, till_id: str):
        self.journal = journal
        self.gateway = gateway
        self.till_id = till_id
        self._locks: dict[int, threading.Lock] = defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()

    def sale_lock(self, sale_id: int) -> threading.Lock:
        """Held while a sale is being charged; recovery takes it too, so the two never overlap."""
        with self._locks_guard:
            return self._locks[sale_id]

    # -- starting --------------------------------------------------------------
    def start_sale(self, cart: Cart) -> SaleRecord:
        """Record the sale (cart snapshot, amount, the exact create parameters) before any Stripe call."""
        if cart.is_empty():
            raise CheckoutError("The cart is empty.")
        totals = cart.totals()
        if totals.total.minor <= 0:
            raise CheckoutError("The total must be more than zero to take a card payment.")
        sale_key = uuid.uuid4().hex
        params = create_params(totals.total, sale_key, self.till_id)
        try:
            sale = self.journal.begin_sale(
                totals, cart.tax_inclusive, self.till_id, sale_key, params, [line.product.id for line in cart.lines]
            )
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
                return self._charge(sale_id, payment_method, progress)
            except StorageError as exc:
                return self._storage_failed(sale_id, exc)
            except Exception as exc:  # noqa: BLE001 - the cashier must learn whether money moved, whatever broke
                log.exception("unexpected failure while charging sale %s", sale_id)
                return self._storage_failed(sale_id, exc, unexpected=True)

    def _charge(self, sale_id: int, payment_method: str, progress: Callable[[str], None]) -> ChargeResult:
        sale = self.journal.sale(sale_id)
        if sale.state == sales.PAID:
            return Paid(self._receipt_of(sale_id))
        if sale.state not in sales.UNFINISHED:
            return Failed(f"This sale was closed ({sale.note or sale.state}). {NOT_CHARGED}", sale_closed=True)

        unanswered = self.journal.open_attempt(sale_id) if sale.state == sales.CONFIRM_SENT else None
        if unanswered is not None:
            # An earlier confirm never got its answer: settle it before anything else.
            progress(CHECKING)
            result = self._settle_unknown(sale, unanswered)
            if not isinstance(result, Declined):
                return result

        if sale.payment_intent is None:
            try:
                intent = self.gateway.create_payment_intent(sale.create_params, sales.create_key(sale.sale_key))
            except PaymentDeclined as exc:  # not expected on create, but never lose it
                return Declined(cashier_message(exc.decline_code, exc.code), exc.decline_code)
            except RequestRejected as exc:
                note = _rejection_message(exc, sale)
                self.journal.close_sale(sale.id, sales.ABANDONED, note)
                return Failed(f"{note} {NOT_CHARGED}", sale_closed=True)
            except (OutcomeUnknown, ProviderUnavailable, NotAuthorized, GatewayError) as exc:
                # No confirm has been sent, so no money can have moved; the same key makes a retry safe.
                return Failed(f"{_gateway_message(exc)} {NOT_CHARGED} Try again.")
            crash_point("after_create_sent")
            sale = self.journal.record_intent(sale.id, intent.id)
            crash_point("after_intent_recorded")

        attempt = self.journal.begin_attempt(sale, payment_method, confirm_params(payment_method))
        crash_point("after_confirm_recorded")
        return self._confirm(sale, attempt, progress)

    def _confirm(
        self, sale: SaleRecord, attempt: AttemptRecord, progress: Callable[[str], None], resent: bool = False
    ) -> ChargeResult:
        try:
            intent = self.gateway.confirm_payment_intent(_intent_id(sale), attempt.params, attempt.idempotency_key)
            crash_point("after_confirm_sent")
        except PaymentDeclined as exc:
            crash_point("after_confirm_sent")
            message = cashier_message(exc.decline_code, exc.code)
            self.journal.record_attempt(
                attempt.id,
                "declined",
                decline_code=exc.decline_code or exc.code,
                message=message,
                charge_id=exc.charge_id,
            )
            return Declined(message, exc.decline_code or exc.code)
        except (ProviderUnavailable, NotAuthorized) as exc:
            # Stripe said it did not process this confirm.
            self.journal.record_attempt(attempt.id, "failed", message=str(exc))
            return Failed(f"{_gateway_message(exc)} {NOT_CHARGED} Try again.")
        except (OutcomeUnknown, RequestRejected, GatewayError):
            if resent:
                return self._unknown(sale)
            progress(CHECKING)
            return self._settle_unknown(sale, attempt)
        return self._act_on(sale, attempt, intent)

    def _settle_unknown(self, sale: SaleRecord, attempt: AttemptRecord) -> ChargeResult:
        """Look the intent up; if the confirm never landed, resend it with the same key."""
        try:
            intent = self.gateway.retrieve_payment_intent(_intent_id(sale))
        except GatewayError:
            return self._unknown(sale)
        if intent.status in ("requires_payment_method", "requires_confirmation"):
            # Either the confirm was declined or it never arrived. The same key and parameters make
            # Stripe replay its answer if it had one, or process the confirm now if not.
            return self._confirm(sale, attempt, lambda _m: None, resent=True)
        return self._act_on(sale, attempt, intent)

    def _unknown(self, sale: SaleRecord) -> ChargeResult:
        message = (
            "Could not reach Stripe to learn whether the payment went through. Do NOT take "
            "another payment for this sale: press Charge again to check once the connection is "
            "back (the till also checks by itself)."
        )
        self.journal.note(sale.id, "outcome unknown: waiting to check with Stripe")
        return Pending(message)

    def _act_on(self, sale: SaleRecord, attempt: AttemptRecord | None, intent: Intent) -> ChargeResult:
        status = intent.status
        if status == "succeeded":
            receipt = self.journal.finish_paid(sale.id, intent)
            crash_point("after_receipt_saved")
            return Paid(receipt)
        if status == "requires_action":
            if attempt is not None:
                self.journal.record_attempt(attempt.id, "requires_action", message="needs 3D Secure authentication")
            why = "This card needs 3D Secure authentication, which this till cannot do."
            note = f"{why} The payment was cancelled."
            return self._cancel(
                sale, note, sales.ABANDONED, Cancelled(f"{note} {NOT_CHARGED} Use another card."), why=why
            )
        if status == "processing":
            return Pending(
                "The card payment is still processing. The till will check again; "
                "do not take another payment for this sale."
            )
        if status == "canceled":
            self.journal.close_sale(sale.id, sales.ABANDONED, "payment intent was cancelled")
            return Failed(f"This payment was cancelled. {NOT_CHARGED}", sale_closed=True)
        if status in ("requires_payment_method", "requires_confirmation"):
            message = cashier_message(intent.decline_code, intent.error_code)
            if attempt is not None:
                self.journal.record_attempt(attempt.id, "declined", decline_code=intent.decline_code, message=message)
            return Declined(message, intent.decline_code)
        return Pending(f"The payment is in an unexpected state ({status}); the till will check again.")

    def _cancel(
        self, sale: SaleRecord, note: str, closed_state: str, result: ChargeResult, why: str = ""
    ) -> ChargeResult:
        try:
            try:
                intent = self.gateway.cancel_payment_intent(_intent_id(sale), sales.cancel_key(sale.sale_key))
            except RequestRejected:
                intent = self.gateway.retrieve_payment_intent(_intent_id(sale))
                if intent.status == "succeeded":
                    return Paid(self.journal.finish_paid(sale.id, intent))
                if intent.status != "canceled":
                    raise
        except GatewayError as exc:
            # Not cancelled yet: the sale stays open and recovery cancels its intent later. Only an
            # intent that never got past requires_action or a decline reaches here: no money moved.
            self.journal.note(sale.id, f"could not cancel yet: {exc}")
            return Failed(
                f"{why} Stripe could not be asked to cancel the payment just now, but nothing was "
                "charged. The till cancels it by itself; you can use another card.".strip()
            )
        self.journal.close_sale(sale.id, closed_state, note)
        return result

    def _receipt_of(self, sale_id: int) -> Receipt:
        receipt = self.journal.receipt_for_sale(sale_id)
        if receipt is None:
            raise JournalIntegrityError(f"sale {sale_id} is paid but has no receipt")
        return receipt

    def label_with_receipt(self, receipt: Receipt) -> None:
        """Add the receipt number to the paid intent's metadata, so Stripe's dashboard shows it.

        Best effort and after the fact: the sale is complete without it, so a failure is only logged.
        """
        sale = self.journal.sale_for_intent(receipt.payment_intent)
        if sale is None:
            return
        try:
            self.gateway.update_payment_intent(
                receipt.payment_intent,
                {"metadata": {"receipt_no": receipt.number_text}},
                sales.receipt_label_key(sale.sale_key),
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
            if sale.state not in sales.UNFINISHED:
                return Paid(self._receipt_of(sale_id)) if sale.state == sales.PAID else None
            if sale.payment_intent is None:
                self.journal.close_sale(sale.id, sales.ABANDONED, reason)
                return None
            in_flight = sale.state == sales.CONFIRM_SENT
            try:
                intent = self.gateway.retrieve_payment_intent(_intent_id(sale))
                if intent.status == "succeeded":
                    return Paid(self.journal.finish_paid(sale.id, intent))
                if intent.status == "canceled":
                    self.journal.close_sale(sale.id, sales.ABANDONED, reason)
                    return None
                if intent.status in ("processing", "requires_capture"):
                    return Pending(
                        "The previous payment is still processing. Wait for it before taking another payment."
                    )
                result = self._cancel(sale, reason, sales.ABANDONED, Cancelled(reason))
                return result if isinstance(result, Paid) else None
            except GatewayError as exc:
                if in_flight:
                    # The last confirm's outcome is unknown: a new payment now could charge twice.
                    return Pending(
                        "Could not reach Stripe to learn whether the previous payment went "
                        "through. Do NOT take another payment until the till can check it."
                    )
                # No confirm is in flight, so no money can move; recovery cancels it later.
                log.warning("could not cancel sale %s now: %s", sale_id, exc)
                return None

    def _storage_failed(self, sale_id: int, exc: Exception, unexpected: bool = False) -> ChargeResult:
        try:
            sale = self.journal.sale(sale_id)
        except Exception:  # noqa: BLE001 - even an unreadable journal must yield a cashier's message
            sale = None
        reason = "Something unexpected went wrong in the till (details are in its log)." if unexpected else str(exc)
        if sale is None or sale.state == sales.CONFIRM_SENT:
            # A confirm may be out, or the journal cannot say: assume the money may have moved.
            return Failed(
                f"The payment may have gone through, but the till could not finish it: {reason} "
                "Do NOT charge again. The till checks with Stripe and saves the receipt as soon as "
                "it can.",
                money_may_have_moved=True,
            )
        return Failed(f"{reason} {NOT_CHARGED}")


def _intent_id(sale: SaleRecord) -> str:
    """The sale's PaymentIntent id, on paths only reached once it has been recorded."""
    if sale.payment_intent is None:
        raise JournalIntegrityError(f"sale {sale.id} has no PaymentIntent recorded")
    return sale.payment_intent


def _gateway_message(exc: Exception) -> str:
    if isinstance(exc, NotAuthorized):
        return f"{exc} (check Settings)."  # refused by Stripe, or not readable from the keyring
    if isinstance(exc, ProviderUnavailable):
        return "Stripe is busy right now."
    if isinstance(exc, OutcomeUnknown):
        return "Could not reach Stripe (network error or timeout)."
    return "Stripe could not take the payment."


def _rejection_message(exc: RequestRejected, sale: SaleRecord) -> str:
    if exc.code == "amount_too_small":
        return f"Card payments must be more than {Money(sale.total_minor, sale.currency)} (Stripe's minimum): {exc}"
    if exc.code == "amount_too_large":
        return f"The total is more than a card payment can take: {exc}"
    return f"Stripe refused the payment: {exc}"
