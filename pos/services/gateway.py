"""The payment gateway as the payment machine sees it: typed requests in, plain data out.

The Stripe adapter implements this; nothing outside it sees a Stripe object or
a Stripe parameter. Every call that changes something takes the idempotency key
the journal chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from pos.domain.tender import CardPresentReceipt

from .requests import ConfirmIntent, CreateIntent, CreateRefund, LabelIntent, ShowCart
from .states import IntentStatus, ReaderActionStatus, RefundStatus


@dataclass(frozen=True)
class Intent:
    id: str
    status: IntentStatus
    amount: int
    currency: str  # lower case, as Stripe gives it
    amount_received: int = 0
    metadata: dict[str, Any] | None = None
    charge_id: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    decline_code: str | None = None
    error_code: str | None = None
    tip: int = 0  # a tip the customer added on a card reader: part of `amount`, not of the sale
    card_present: CardPresentReceipt | None = None  # read by a reader: what its receipt must print


@dataclass(frozen=True)
class ReaderAction:
    """What a card reader is doing: a payment for an intent, or showing a cart."""

    type: str
    status: ReaderActionStatus
    payment_intent: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None


@dataclass(frozen=True)
class Reader:
    id: str
    label: str
    device_type: str
    online: bool
    location: str | None = None
    action: ReaderAction | None = None
    serial_number: str = ""

    def acting_for(self, intent_id: str) -> ReaderAction | None:
        """The reader's payment action for this intent, if that is what it holds."""
        if self.action is not None and self.action.payment_intent == intent_id:
            return self.action
        return None


@dataclass(frozen=True)
class Location:
    id: str
    name: str


@dataclass(frozen=True)
class RefundInfo:
    id: str
    status: RefundStatus
    amount: int
    currency: str
    metadata: dict[str, Any] | None = None


class GatewayError(Exception):
    """Base of what can go wrong talking to the payment provider."""


class PaymentDeclined(GatewayError):
    def __init__(
        self,
        message: str,
        code: str | None,
        decline_code: str | None,
        intent: Intent | None,
        charge_id: str | None = None,
    ):
        super().__init__(message)
        self.code, self.decline_code, self.intent, self.charge_id = code, decline_code, intent, charge_id


class OutcomeUnknown(GatewayError):
    """The request may or may not have been processed (timeout, dropped connection, 5xx)."""


class RequestInProgress(OutcomeUnknown):
    """The same request (same idempotency key) is still being processed (HTTP 409)."""


class ProviderUnavailable(GatewayError):
    """The provider answered that it did not process the request (429, or 5xx asking not to retry)."""


class RequestRejected(GatewayError):
    """The provider refused the request as invalid (wrong state, amount too small, ...)."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code


class NotAuthorized(GatewayError):
    """The API key was refused."""


class PaymentGateway(Protocol):
    endpoint: str

    def create_payment_intent(self, request: CreateIntent, idempotency_key: str) -> Intent: ...
    def confirm_payment_intent(self, intent_id: str, request: ConfirmIntent, idempotency_key: str) -> Intent: ...
    def retrieve_payment_intent(self, intent_id: str) -> Intent: ...
    def cancel_payment_intent(self, intent_id: str, idempotency_key: str) -> Intent: ...
    def label_payment_intent(self, intent_id: str, request: LabelIntent, idempotency_key: str) -> Intent: ...
    def find_payment_intents(self, sale_key: str) -> list[Intent]: ...
    def create_refund(self, request: CreateRefund, idempotency_key: str) -> RefundInfo: ...
    def list_refunds(self, intent_id: str) -> list[RefundInfo]: ...
    # Stripe Terminal, server-driven
    def process_on_reader(
        self, reader_id: str, intent_id: str, idempotency_key: str, tipping: bool = False
    ) -> Reader: ...
    def retrieve_reader(self, reader_id: str) -> Reader: ...
    def cancel_reader_action(self, reader_id: str, idempotency_key: str) -> Reader: ...
    def show_cart(self, reader_id: str, cart: ShowCart) -> Reader: ...
