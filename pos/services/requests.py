"""What the till asks the payment provider to do, as typed requests.

The services decide *what* to ask (this amount, this payment method, this
refund); only the Stripe adapter turns a request into Stripe's parameters
(`pos/adapters/stripe_params.py`). The journal stores each request as JSON
before it is sent, so a resend after a crash rebuilds exactly the same request
and, through the same adapter, exactly the same parameters for the same
idempotency key.

`from_json` also reads what journals written before these types stored (the
Stripe parameters themselves), so an unfinished sale survives the upgrade.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pos.domain.money import Money

Json = dict[str, Any]
# Why a refund is made, in Stripe's words (the Refund API's `reason`).
RefundReason = Literal["duplicate", "fraudulent", "requested_by_customer"]


@dataclass(frozen=True)
class CreateIntent:
    """A sale's PaymentIntent: its total, paid by card, tagged with the sale and till.

    `on_reader`: paid by a card presented on a Stripe Terminal reader (card_present), not by a
    payment method the till names. An intent is for one or the other, for good."""

    amount: Money
    sale_key: str
    till_id: str
    on_reader: bool = False

    def to_json(self) -> Json:
        data: Json = {
            "amount": self.amount.minor,
            "currency": self.amount.currency,
            "sale_key": self.sale_key,
            "till_id": self.till_id,
        }
        if self.on_reader:  # written only when set, so older journals read back the same request
            data["on_reader"] = True
        return data

    @classmethod
    def from_json(cls, data: Json) -> CreateIntent:
        tags = data.get("metadata") or data  # older journals stored Stripe's metadata
        return cls(
            Money(int(data["amount"]), str(data["currency"]).upper()),
            str(tags.get("sale_key") or tags["sale_id"]),
            str(tags["till_id"]),
            bool(data.get("on_reader", False)),
        )


@dataclass(frozen=True)
class ConfirmIntent:
    """Confirm a sale's intent with a payment method (a test method such as `pm_card_visa`)."""

    payment_method: str

    def to_json(self) -> Json:
        return {"payment_method": self.payment_method}

    @classmethod
    def from_json(cls, data: Json) -> ConfirmIntent:
        return cls(str(data["payment_method"]))


@dataclass(frozen=True)
class ProcessOnReader:
    """Hand a sale's card_present intent to a Stripe Terminal reader; the customer pays on it."""

    reader_id: str
    tipping: bool = False  # the reader offers the customer a tip (a store setting); else it skips it

    def to_json(self) -> Json:
        data: Json = {"reader": self.reader_id}
        if self.tipping:
            data["tipping"] = True
        return data

    @classmethod
    def from_json(cls, data: Json) -> ProcessOnReader:
        return cls(str(data["reader"]), bool(data.get("tipping", False)))


PaymentRequest = ConfirmIntent | ProcessOnReader


def payment_request_from_json(data: Json) -> PaymentRequest:
    """An attempt's journaled request: a confirm with a payment method, or a hand-off to a reader."""
    return ProcessOnReader.from_json(data) if "reader" in data else ConfirmIntent.from_json(data)


@dataclass(frozen=True)
class CartLine:
    description: str
    quantity: int
    amount: Money  # the line's total


@dataclass(frozen=True)
class ShowCart:
    """What a reader shows the customer while the cashier rings up the sale."""

    lines: tuple[CartLine, ...]
    tax: Money
    total: Money


@dataclass(frozen=True)
class LabelIntent:
    """Add the receipt number to a paid intent, for the provider's dashboard."""

    receipt_no: str


@dataclass(frozen=True)
class CreateRefund:
    """Give back part or all of a receipt's payment."""

    payment_intent: str
    amount: Money
    reason: RefundReason | None
    refund_key: str
    receipt_no: int | None  # None: a card part given back when its sale was voided (no receipt yet)
    till_id: str

    def to_json(self) -> Json:
        return {
            "payment_intent": self.payment_intent,
            "amount": self.amount.minor,
            "currency": self.amount.currency,
            "reason": self.reason,
            "refund_key": self.refund_key,
            "receipt_no": self.receipt_no,
            "till_id": self.till_id,
        }

    @classmethod
    def from_json(cls, data: Json, currency: str) -> CreateRefund:
        """`currency` is the refund record's own: older journals did not store it in the request."""
        tags = data.get("metadata") or data
        return cls(
            str(data["payment_intent"]),
            Money(int(data["amount"]), str(data.get("currency") or currency).upper()),
            data.get("reason"),
            str(tags["refund_key"]),
            int(tags["receipt_no"]) if tags.get("receipt_no") is not None else None,
            str(tags["till_id"]),
        )
