"""Stripe's PaymentIntent, PaymentMethod, Charge and Refund endpoints, as Stripe documents them.

Every handler runs under the store's lock with the caller's account and
returns the JSON object to answer with; failures raise `errors.StripeError`.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timezone

from . import errors, params
from .cards import TEST_CARDS
from .clock import Clock
from .store import Store

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    return f"{prefix}_{''.join(secrets.choice(_ALPHABET) for _ in range(length))}"


@dataclass(frozen=True)
class Caller:
    account: str
    publishable: bool = False


CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation",
              "requires_action", "processing")
UPDATABLE = ("requires_payment_method", "requires_confirmation", "requires_action")

PI_CREATE_PARAMS = {
    "amount", "currency", "payment_method_types", "metadata", "payment_method", "confirm",
    "capture_method", "confirmation_method", "description", "receipt_email", "customer",
    "statement_descriptor", "statement_descriptor_suffix", "setup_future_usage",
    "payment_method_data", "return_url", "off_session", "error_on_requires_action",
    "shipping", "transfer_group", "payment_method_options", "use_stripe_sdk",
}
PI_UPDATE_PARAMS = {
    "amount", "currency", "metadata", "description", "payment_method", "payment_method_types",
    "receipt_email", "capture_method", "shipping", "statement_descriptor",
    "statement_descriptor_suffix", "setup_future_usage", "transfer_group", "payment_method_data",
}
AFTER_THE_FACT_PARAMS = {"metadata", "description", "receipt_email", "expand"}
PI_CONFIRM_PARAMS = {
    "payment_method", "return_url", "off_session", "error_on_requires_action", "receipt_email",
    "setup_future_usage", "capture_method", "payment_method_types", "payment_method_data",
    "payment_method_options", "use_stripe_sdk", "client_secret", "shipping",
}
LIST_PARAMS = {"limit", "starting_after", "ending_before", "created"}


class StripeAPI:
    def __init__(self, store: Store, clock: Clock):
        self.store = store
        self.clock = clock

    def now(self) -> int:
        return int(self.clock.now())

    # -- payment methods -------------------------------------------------
    def _payment_method(self, caller: Caller, ident: str, param: str = "payment_method", status=400) -> dict:
        existing = self.store.get(caller.account, "payment_method", ident)
        if existing is not None:
            return existing
        card = TEST_CARDS.get(ident)
        if card is None:
            raise errors.resource_missing("PaymentMethod", ident, param, status=status)
        # Like Stripe, a test payment method name makes a fresh PaymentMethod each time.
        year = datetime.fromtimestamp(self.now(), timezone.utc).year
        pm = {
            "id": new_id("pm"),
            "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": {
                "address": {"city": None, "country": None, "line1": None, "line2": None,
                            "postal_code": None, "state": None},
                "email": None, "name": None, "phone": None,
            },
            "card": {
                "brand": card.brand,
                "checks": {"address_line1_check": None, "address_postal_code_check": None,
                           "cvc_check": "unchecked"},
                "country": card.country,
                "display_brand": card.brand,
                "exp_month": 12,
                "exp_year": year + 3,
                "fingerprint": new_id("fp", 16)[3:],
                "funding": card.funding,
                "last4": card.last4,
                "networks": {"available": [card.brand], "preferred": None},
                "three_d_secure_usage": {"supported": True},
                "wallet": None,
            },
            "created": self.now(),
            "customer": None,
            "livemode": False,
            "metadata": {},
            "type": "card",
            # Kept so a confirm knows which test card this is; hidden from responses.
            "_test_card": ident,
        }
        return self.store.put(caller.account, "payment_method", pm)

    def retrieve_payment_method(self, caller: Caller, p: dict, ident: str) -> dict:
        params.check_allowed(p, set())
        return self._payment_method(caller, ident, param="id", status=404)

    # -- payment intents -------------------------------------------------
    def _intent(self, caller: Caller, ident: str) -> dict:
        return self._get(caller, "payment_intent", ident, param="intent")

    def create_payment_intent(self, caller: Caller, p: dict) -> dict:
        params.check_allowed(p, PI_CREATE_PARAMS)
        params.reject_card_numbers(p)
        amount = params.integer(p, "amount", required=True)
        code = params.currency(p)
        params.charge_amount(amount, code)
        types = p.get("payment_method_types", ["card"])
        if not isinstance(types, list) or not types:
            raise errors.validation("Invalid array", param="payment_method_types")
        for kind in types:
            if kind != "card":
                raise errors.validation(
                    f'The payment method type "{kind}" is invalid. This sandbox supports "card" only.',
                    param="payment_method_types",
                )
        capture = params.choice(p, "capture_method", ("automatic", "automatic_async", "manual"),
                                "automatic_async")
        confirmation = params.choice(p, "confirmation_method", ("automatic", "manual"), "automatic")
        metadata = params.metadata(p)
        confirm = params.boolean(p, "confirm")
        pm = None
        if p.get("payment_method"):
            pm = self._payment_method(caller, p["payment_method"])
        pi_id = new_id("pi")
        pi = {
            "id": pi_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_details": {"tip": {}},
            "amount_received": 0,
            "application": None,
            "application_fee_amount": None,
            "automatic_payment_methods": None,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": capture,
            "charges": {"object": "list", "data": [], "has_more": False, "total_count": 0,
                        "url": f"/v1/charges?payment_intent={pi_id}"},
            "client_secret": f"{pi_id}_secret_{new_id('x', 25)[2:]}",
            "confirmation_method": confirmation,
            "created": self.now(),
            "currency": code,
            "customer": params.text(p, "customer"),
            "description": params.text(p, "description"),
            "invoice": None,
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": metadata,
            "next_action": None,
            "on_behalf_of": None,
            "payment_method": pm["id"] if pm else None,
            "payment_method_configuration_details": None,
            "payment_method_options": {"card": {"installments": None, "mandate_options": None,
                                                "network": None, "request_three_d_secure": "automatic"}},
            "payment_method_types": types,
            "processing": None,
            "receipt_email": params.text(p, "receipt_email"),
            "review": None,
            "setup_future_usage": params.text(p, "setup_future_usage"),
            "shipping": None,
            "source": None,
            "statement_descriptor": params.text(p, "statement_descriptor"),
            "statement_descriptor_suffix": params.text(p, "statement_descriptor_suffix"),
            "status": "requires_confirmation" if pm else "requires_payment_method",
            "transfer_data": None,
            "transfer_group": params.text(p, "transfer_group"),
        }
        self.store.put(caller.account, "payment_intent", pi)
        if confirm:
            return self._confirm(caller, pi, pm)
        return pi

    def retrieve_payment_intent(self, caller: Caller, p: dict, ident: str) -> dict:
        params.check_allowed(p, {"client_secret"})
        pi = self._intent(caller, ident)
        self._check_client_secret(caller, pi, p)
        return pi

    def _check_client_secret(self, caller: Caller, pi: dict, p: dict) -> None:
        if caller.publishable and p.get("client_secret") != pi["client_secret"]:
            raise errors.authentication(
                "A publishable key may only act on a PaymentIntent with its matching client_secret."
            )

    def update_payment_intent(self, caller: Caller, p: dict, ident: str) -> dict:
        params.check_allowed(p, PI_UPDATE_PARAMS)
        params.reject_card_numbers(p)
        pi = self._intent(caller, ident)
        if pi["status"] not in UPDATABLE and set(p) <= AFTER_THE_FACT_PARAMS:
            # Like Stripe: descriptive fields stay editable after the payment (e.g. an order number).
            pi["metadata"] = params.metadata(p, pi["metadata"])
            for name in ("description", "receipt_email"):
                if name in p:
                    pi[name] = params.text(p, name)
            return self.store.put(caller.account, "payment_intent", pi)
        if pi["status"] not in UPDATABLE:
            raise errors.unexpected_state(
                f"You cannot update this PaymentIntent because it has a status of {pi['status']}. "
                f"Only a PaymentIntent with one of the following statuses may be updated: "
                f"{', '.join(UPDATABLE)}.", pi)
        code = params.currency(p, required=False) or pi["currency"]
        amount = params.integer(p, "amount")
        amount = pi["amount"] if amount is None else amount
        params.charge_amount(amount, code)
        metadata = params.metadata(p, pi["metadata"])
        pi["amount"], pi["currency"], pi["metadata"] = amount, code, metadata
        for name in ("description", "receipt_email", "statement_descriptor",
                     "statement_descriptor_suffix", "transfer_group", "setup_future_usage"):
            if name in p:
                pi[name] = params.text(p, name)
        if "capture_method" in p:
            pi["capture_method"] = params.choice(p, "capture_method", ("automatic", "automatic_async", "manual"))
        if p.get("payment_method"):
            pm = self._payment_method(caller, p["payment_method"])
            pi["payment_method"] = pm["id"]
            pi["status"] = "requires_confirmation"
            pi["next_action"] = None
        return self.store.put(caller.account, "payment_intent", pi)

    def confirm_payment_intent(self, caller: Caller, p: dict, ident: str) -> dict:
        params.check_allowed(p, PI_CONFIRM_PARAMS)
        params.reject_card_numbers(p)
        pi = self._intent(caller, ident)
        self._check_client_secret(caller, pi, p)
        if pi["status"] == "succeeded":
            raise errors.unexpected_state(
                "You cannot confirm this PaymentIntent because it has already succeeded "
                "after being previously confirmed.", pi)
        if pi["status"] not in CONFIRMABLE:
            raise errors.unexpected_state(
                f"You cannot confirm this PaymentIntent because it has a status of {pi['status']}. "
                f"Only a PaymentIntent with one of the following statuses may be confirmed: "
                f"{', '.join(CONFIRMABLE)}.", pi)
        if "capture_method" in p:
            pi["capture_method"] = params.choice(p, "capture_method", ("automatic", "automatic_async", "manual"))
        ident = p.get("payment_method") or pi["payment_method"]
        if not ident:
            raise errors.invalid_request(
                "You cannot confirm this PaymentIntent because it's missing a payment method. "
                "Update the PaymentIntent with a payment method and then confirm it again.",
                code="payment_intent_unexpected_state", param="payment_method",
                extra={"payment_intent": pi})
        return self._confirm(caller, pi, self._payment_method(caller, ident))

    def _confirm(self, caller: Caller, pi: dict, pm: dict | None) -> dict:
        if pm is None:
            raise errors.invalid_request(
                "You cannot confirm this PaymentIntent because it's missing a payment method.",
                code="payment_intent_unexpected_state", param="payment_method",
                extra={"payment_intent": pi})
        card = TEST_CARDS[pm["_test_card"]]
        pi["next_action"] = None
        if card.requires_action:
            pi.update(status="requires_action", payment_method=pm["id"], last_payment_error=None,
                      next_action={"type": "use_stripe_sdk",
                                   "use_stripe_sdk": {"type": "three_d_secure_redirect",
                                                      "stripe_js": "https://hooks.stripe.com/3d_secure_2/hosted",
                                                      "source": new_id("src")}})
            return self.store.put(caller.account, "payment_intent", pi)
        charge = self._new_charge(caller, pi, pm, card)
        pi["latest_charge"] = charge["id"]
        pi["charges"]["data"].insert(0, charge["id"])
        pi["charges"]["total_count"] += 1
        if card.decline:
            d = card.decline
            pi.update(status="requires_payment_method", payment_method=None)
            pi["last_payment_error"] = {
                "charge": charge["id"], "code": d.code, "decline_code": d.decline_code,
                "doc_url": f"https://stripe.com/docs/error-codes/{d.code.replace('_', '-')}",
                "message": d.message, "payment_method": self._public(pm), "type": "card_error",
            }
            self.store.put(caller.account, "payment_intent", pi)
            raise errors.StripeError(
                402, "card_error", d.message, code=d.code, decline_code=d.decline_code,
                extra={"charge": charge["id"], "payment_intent": self.render(caller, pi, []),
                       "payment_method": self._public(pm)})
        pi.update(payment_method=pm["id"], last_payment_error=None)
        if pi["capture_method"] == "manual":
            pi.update(status="requires_capture", amount_capturable=pi["amount"])
        else:
            pi.update(status="succeeded", amount_received=pi["amount"])
        return self.store.put(caller.account, "payment_intent", pi)

    def _new_charge(self, caller: Caller, pi: dict, pm: dict, card) -> dict:
        failed = card.decline is not None
        captured = not failed and pi["capture_method"] != "manual"
        charge = {
            "id": new_id("ch"),
            "object": "charge",
            "amount": pi["amount"],
            "amount_captured": pi["amount"] if captured else 0,
            "amount_refunded": 0,
            "balance_transaction": None if failed else new_id("txn"),
            "billing_details": pm["billing_details"],
            "captured": captured,
            "created": self.now(),
            "currency": pi["currency"],
            "customer": pi["customer"],
            "description": pi["description"],
            "failure_code": card.decline.code if failed else None,
            "failure_message": card.decline.message if failed else None,
            "livemode": False,
            "metadata": dict(pi["metadata"]),
            "outcome": {
                "network_status": "declined_by_network" if failed else "approved_by_network",
                "reason": card.decline.decline_code if failed else None,
                "risk_level": "normal",
                "seller_message": "The bank did not return any further details with this decline."
                if failed else "Payment complete.",
                "type": "issuer_declined" if failed else "authorized",
            },
            "paid": not failed,
            "payment_intent": pi["id"],
            "payment_method": pm["id"],
            "payment_method_details": {
                "card": {key: pm["card"][key] for key in
                         ("brand", "country", "exp_month", "exp_year", "fingerprint", "funding", "last4")}
                | {"network": pm["card"]["brand"]},
                "type": "card",
            },
            "receipt_email": pi["receipt_email"],
            "receipt_number": None,
            "refunded": False,
            "status": "failed" if failed else "succeeded",
        }
        return self.store.put(caller.account, "charge", charge)

    def cancel_payment_intent(self, caller: Caller, p: dict, ident: str) -> dict:
        params.check_allowed(p, {"cancellation_reason"})
        pi = self._intent(caller, ident)
        reason = params.choice(p, "cancellation_reason",
                               ("duplicate", "fraudulent", "requested_by_customer", "abandoned"))
        if pi["status"] not in CANCELABLE:
            raise errors.unexpected_state(
                f"You cannot cancel this PaymentIntent because it has a status of {pi['status']}. "
                f"Only a PaymentIntent with one of the following statuses may be canceled: "
                f"{', '.join(CANCELABLE)}.", pi)
        pi.update(status="canceled", canceled_at=self.now(), cancellation_reason=reason,
                  amount_capturable=0, next_action=None)
        return self.store.put(caller.account, "payment_intent", pi)

    def capture_payment_intent(self, caller: Caller, p: dict, ident: str) -> dict:
        params.check_allowed(p, {"amount_to_capture", "metadata", "statement_descriptor",
                                 "statement_descriptor_suffix", "final_capture"})
        pi = self._intent(caller, ident)
        if pi["status"] != "requires_capture":
            raise errors.unexpected_state(
                f"This PaymentIntent could not be captured because it has a status of {pi['status']}. "
                "Only a PaymentIntent with one of the following statuses may be captured: requires_capture.",
                pi)
        amount = params.integer(p, "amount_to_capture")
        amount = pi["amount_capturable"] if amount is None else amount
        if amount <= 0 or amount > pi["amount_capturable"]:
            raise errors.invalid_request(
                f"The amount to capture ({amount}) must be positive and no more than the "
                f"amount capturable ({pi['amount_capturable']}).",
                code="amount_too_large", param="amount_to_capture")
        charge = self.store.get(caller.account, "charge", pi["latest_charge"])
        # A partial capture releases the rest, which Stripe shows as refunded.
        charge.update(captured=True, amount_captured=amount, amount_refunded=charge["amount"] - amount)
        self.store.put(caller.account, "charge", charge)
        pi.update(status="succeeded", amount_received=amount, amount_capturable=0,
                  metadata=params.metadata(p, pi["metadata"]))
        return self.store.put(caller.account, "payment_intent", pi)

    def list_payment_intents(self, caller: Caller, p: dict) -> dict:
        params.check_allowed(p, LIST_PARAMS | {"customer"})
        items = self._page(caller, "payment_intent", p, self.store.ids(caller.account, "payment_intent"),
                           lambda o: "customer" not in p or o["customer"] == p["customer"])
        return {"object": "list", "url": "/v1/payment_intents", **items}

    def search_payment_intents(self, caller: Caller, p: dict) -> dict:
        params.check_allowed(p, {"query", "limit", "page"})
        if not p.get("query"):
            raise errors.parameter_missing("query")
        matches = _parse_query(p["query"])
        limit = _limit(p)
        ids = self.store.ids(caller.account, "payment_intent")
        start = len(ids) - 1
        if p.get("page"):
            try:
                start = int(p["page"])
            except ValueError:
                raise errors.validation("Invalid page", param="page") from None
        found, i = [], start
        while i >= 0 and len(found) <= limit:
            obj = self.store.get(caller.account, "payment_intent", ids[i])
            if matches(obj):
                found.append(obj)
            i -= 1
        has_more = len(found) > limit
        # The cursor points at the first unread position, newest-first order.
        next_page = str(i + 1) if has_more else None
        return {"object": "search_result", "url": "/v1/payment_intents/search",
                "data": [self.render(caller, o, p.get("expand", [])) for o in found[:limit]],
                "has_more": has_more, "next_page": next_page}

    # -- charges and refunds ----------------------------------------------
    def _get(self, caller: Caller, kind: str, ident: str, param: str = "id", name: str | None = None) -> dict:
        """The stored object, or Stripe's 404 resource_missing."""
        obj = self.store.get(caller.account, kind, ident)
        if obj is None:
            raise errors.resource_missing(name or kind, ident, param)
        return obj

    def retrieve_charge(self, caller: Caller, p: dict, ident: str) -> dict:
        params.check_allowed(p, set())
        return self._get(caller, "charge", ident)

    def list_charges(self, caller: Caller, p: dict) -> dict:
        params.check_allowed(p, LIST_PARAMS | {"payment_intent", "customer"})
        where = {"payment_intent": p["payment_intent"]} if p.get("payment_intent") else {}
        items = self._page(caller, "charge", p, self.store.ids(caller.account, "charge", **where))
        return {"object": "list", "url": "/v1/charges", **items}

    def create_refund(self, caller: Caller, p: dict) -> dict:
        params.check_allowed(p, {"payment_intent", "charge", "amount", "reason", "metadata",
                                 "instructions_email", "origin"})
        charge = None
        if p.get("charge"):
            charge = self.store.get(caller.account, "charge", p["charge"])
            if charge is None:
                raise errors.resource_missing("charge", p["charge"], "charge", status=400)
        elif p.get("payment_intent"):
            pi = self._intent(caller, p["payment_intent"])
            if pi["status"] != "succeeded" or not pi["latest_charge"]:
                raise errors.invalid_request(
                    f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                    code="payment_intent_unexpected_state",
                    param="payment_intent")
            charge = self.store.get(caller.account, "charge", pi["latest_charge"])
        else:
            raise errors.parameter_missing("charge")
        reason = params.choice(p, "reason", ("duplicate", "fraudulent", "requested_by_customer"))
        metadata = params.metadata(p)
        if charge["status"] != "succeeded" or not charge["captured"]:
            raise errors.invalid_request(f"Charge {charge['id']} has not been captured or did not succeed.",
                                         param="charge")
        remaining = charge["amount_captured"] - charge["amount_refunded"]
        if charge["refunded"] or remaining <= 0:
            raise errors.invalid_request(f"Charge {charge['id']} has already been refunded.",
                                         code="charge_already_refunded", param="charge")
        amount = params.integer(p, "amount")
        amount = remaining if amount is None else amount
        if amount <= 0:
            raise errors.validation("Refund amount must be a positive integer.",
                                    code="parameter_invalid_integer", param="amount")
        if amount > remaining:
            raise errors.invalid_request(
                f"Refund amount ({amount} {charge['currency']}) is greater than unrefunded amount "
                f"on charge ({remaining} {charge['currency']})", code="amount_too_large", param="amount")
        refund = {
            "id": new_id("re"),
            "object": "refund",
            "amount": amount,
            "balance_transaction": new_id("txn"),
            "charge": charge["id"],
            "created": self.now(),
            "currency": charge["currency"],
            "destination_details": {"card": {"reference_status": "pending", "type": "refund"}, "type": "card"},
            "metadata": metadata,
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
        }
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
        self.store.put(caller.account, "charge", charge)
        return self.store.put(caller.account, "refund", refund)

    def retrieve_refund(self, caller: Caller, p: dict, ident: str) -> dict:
        params.check_allowed(p, set())
        return self._get(caller, "refund", ident)

    def list_refunds(self, caller: Caller, p: dict) -> dict:
        params.check_allowed(p, LIST_PARAMS | {"payment_intent", "charge"})
        where = {}
        if p.get("charge"):
            where = {"charge": p["charge"]}
        elif p.get("payment_intent"):
            where = {"payment_intent": p["payment_intent"]}
        items = self._page(caller, "refund", p, self.store.ids(caller.account, "refund", **where))
        return {"object": "list", "url": "/v1/refunds", **items}

    # -- rendering and paging ----------------------------------------------
    @staticmethod
    def _public(obj: dict) -> dict:
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    def render(self, caller: Caller, obj: dict, expand: list) -> dict:
        """The JSON a client sees: private fields dropped, `expand[]` applied."""
        out = self._public(obj)
        if out.get("object") == "payment_intent":
            out["charges"] = dict(out["charges"], data=[
                self._public(self.store.get(caller.account, "charge", c)) for c in out["charges"]["data"]
            ])
        for path in expand or []:
            if path in ("latest_charge", "payment_method") and isinstance(out.get(path), str):
                kind = "charge" if path == "latest_charge" else "payment_method"
                target = self.store.get(caller.account, kind, out[path])
                if target is not None:
                    out[path] = self._public(target)
            elif path in ("payment_intent", "charge") and isinstance(out.get(path), str):
                target = self.store.get(caller.account, path, out[path])
                if target is not None:
                    out[path] = self._public(target)
        return out

    def _page(self, caller: Caller, kind: str, p: dict, ids: list, keep=lambda o: True) -> dict:
        """Stripe's cursor pagination over ids stored oldest first, served newest first."""
        limit = _limit(p)
        created = _created_filter(p.get("created"))
        get = lambda i: self.store.get(caller.account, kind, i)  # noqa: E731
        positions = {i: n for n, i in enumerate(ids)} if len(ids) < 64 else None

        def locate(ident, param):
            pos = positions.get(ident) if positions is not None else self._find(caller, kind, ids, ident)
            if pos is None:
                raise errors.resource_missing(kind, ident, param, status=400)
            return pos

        def wanted(obj):
            return keep(obj) and created(obj["created"])

        found = []
        if p.get("ending_before"):
            i = locate(p["ending_before"], "ending_before") + 1
            while i < len(ids) and len(found) <= limit:
                obj = get(ids[i])
                if wanted(obj):
                    found.append(obj)
                i += 1
            has_more = len(found) > limit
            found = list(reversed(found[:limit]))
        else:
            i = len(ids) - 1
            if p.get("starting_after"):
                i = locate(p["starting_after"], "starting_after") - 1
            while i >= 0 and len(found) <= limit:
                obj = get(ids[i])
                if wanted(obj):
                    found.append(obj)
                i -= 1
            has_more = len(found) > limit
            found = found[:limit]
        return {"data": [self.render(caller, o, _inner_expand(p)) for o in found], "has_more": has_more}

    def _find(self, caller: Caller, kind: str, ids: list, ident: str) -> int | None:
        pos = self.store.position(caller.account, kind, ident)
        if pos is not None and pos < len(ids) and ids[pos] == ident:
            return pos  # ids is the whole collection
        try:
            return ids.index(ident)
        except ValueError:
            return None


def _inner_expand(p: dict) -> list:
    # `expand[]=data.latest_charge` on a list expands inside each item.
    return [e[5:] for e in p.get("expand", []) if e.startswith("data.")]


def _limit(p: dict) -> int:
    limit = params.integer(p, "limit")
    if limit is None:
        return 10
    if not 1 <= limit <= 100:
        raise errors.validation("This value must be between 1 and 100 (it currently is "
                                f"{limit}).", code="parameter_invalid_integer", param="limit")
    return limit


def _created_filter(raw):
    if raw is None:
        return lambda _ts: True
    if isinstance(raw, str):
        exact = params.integer({"created": raw}, "created")
        return lambda ts: ts == exact
    bounds = {}
    for op in raw:
        if op not in ("gt", "gte", "lt", "lte"):
            raise errors.parameter_unknown(f"created[{op}]")
        bounds[op] = params.integer(raw, op)
    checks = {"gt": lambda ts, v: ts > v, "gte": lambda ts, v: ts >= v,
              "lt": lambda ts, v: ts < v, "lte": lambda ts, v: ts <= v}
    return lambda ts: all(checks[op](ts, v) for op, v in bounds.items())


# Stripe's search query language, the part a till uses: clauses such as
# metadata['sale_id']:'abc', status:'succeeded', amount>1000, joined by AND or OR.
_CLAUSE = re.compile(
    r"""\s*(?P<neg>-)?(?P<field>metadata\[(?P<q>['"])(?P<key>[^'"]+)(?P=q)\]|[a-z_]+)"""
    r"""\s*(?P<op>:|>=|<=|>|<)\s*(?:(?P<vq>['"])(?P<sval>[^'"]*)(?P=vq)|(?P<num>-?\d+))\s*"""
)


def _parse_query(query: str):
    clauses, joiner, pos = [], None, 0
    while True:
        m = _CLAUSE.match(query, pos)
        if not m:
            raise errors.invalid_request(f"Invalid search query: {query!r}.", param="query")
        clauses.append(m)
        pos = m.end()
        if pos >= len(query):
            break
        word = re.match(r"(AND|OR)\s+", query[pos:])
        if not word:
            raise errors.invalid_request(f"Invalid search query: {query!r}.", param="query")
        if joiner and joiner != word.group(1):
            raise errors.invalid_request("Search queries cannot mix AND and OR.", param="query")
        joiner = word.group(1)
        pos += word.end()

    def test(m, obj):
        if m.group("key"):
            value = obj["metadata"].get(m.group("key"))
        elif m.group("field") in ("status", "currency", "customer", "amount", "created", "description"):
            value = obj.get(m.group("field"))
        else:
            raise errors.invalid_request(f"Field '{m.group('field')}' is not supported in search.",
                                         param="query")
        want = m.group("sval") if m.group("sval") is not None else m.group("num")
        op = m.group("op")
        if op == ":":
            result = value is not None and str(value) == want
        else:
            if value is None:
                return False
            a, b = int(value), int(want)
            result = {">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[op]
        return not result if m.group("neg") else result

    combine = any if joiner == "OR" else all
    return lambda obj: combine(test(m, obj) for m in clauses)
