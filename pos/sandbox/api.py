"""Stripe's PaymentIntent, PaymentMethod, Charge and Refund endpoints, as Stripe documents them.

Every handler runs under the store's lock with the caller (account and API
version) and returns the JSON object to answer with; failures raise
`errors.StripeError`. Objects are stored in the shape of the newest version the
sandbox knows; `render` shows them as the caller's version has them.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime, timezone

from . import currencies, definitions, errors, params, search, versions
from .cards import TEST_CARDS
from .clock import Clock
from .store import Store
from .terminal import TerminalMixin

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    return f"{prefix}_{''.join(secrets.choice(_ALPHABET) for _ in range(length))}"


@dataclass(frozen=True)
class Caller:
    account: str
    publishable: bool = False
    version: versions.ApiVersion = field(default_factory=lambda: versions.parse(versions.CURRENT))


CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing")
UPDATABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
AFTER_THE_FACT_PARAMS = {"metadata", "description", "receipt_email", "expand"}
CAPTURE_METHODS = ("automatic", "automatic_async", "manual")
# The payment method types this sandbox can take; Stripe filters `allowed_payment_method_types` to
# the ones that work for the intent, silently (dahlia 2026-07-29).
SANDBOX_TYPES = ("card", "card_present", "interac_present")
# What dynamic payment methods turn on here: card_present needs a reader, so only when asked for.
AUTOMATIC_TYPES = ("card",)
_EXCLUSIVE_WITH_ALLOWED = (
    "payment_method_types",
    "excluded_payment_method_types",
    "automatic_payment_methods",
    "payment_method_configuration",
)
_RETURN_URL_NEEDED = (
    "This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some "
    "of these payment methods might redirect your customer off of your page, you must provide a "
    "`return_url`. If you don't want to accept redirect-based payment methods, set "
    "`automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to "
    "`never` when creating Setup Intents and Payment Intents."
)


def _only_one_of(p: dict, names) -> None:
    given = sorted(n for n in names if n in p)
    if len(given) > 1:
        raise errors.validation(f"You may only specify one of these parameters: {', '.join(given)}.", param=given[-1])


def _type_list(p: dict, name: str) -> list[str]:
    raw = p.get(name)
    if not isinstance(raw, list) or not raw or not all(isinstance(t, str) for t in raw):
        raise errors.validation("Invalid array", param=name)
    return raw


class StripeAPI(TerminalMixin):
    def __init__(self, store: Store, clock: Clock, search_lag: float = 0.0):
        self.store = store
        self.clock = clock
        self.search = search.SearchIndex(search_lag)

    def now(self) -> int:
        return int(self.clock.now())

    @staticmethod
    def _new_id(prefix: str, length: int = 24) -> str:
        return new_id(prefix, length)

    # -- payment methods -------------------------------------------------
    def _payment_method(self, caller: Caller, ident: str, param: str = "payment_method", status=400) -> dict:
        existing = self.store.get(caller.account, "payment_method", ident)
        if existing is not None:
            return existing
        card = TEST_CARDS.get(ident)
        if card is None:
            raise errors.resource_missing("PaymentMethod", ident, param, status=status)
        # Like Stripe, a test payment method name makes a fresh PaymentMethod each time.
        details = {
            "brand": card.brand,
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "unchecked"},
            "country": card.country,
            "description": None,
            "display_brand": card.brand,
            "exp_month": 12,
            "exp_year": self._year() + 3,
            "fingerprint": new_id("fp", 16)[3:],
            "funding": card.funding,
            "generated_from": None,
            "iin": None,
            "issuer": None,
            "last4": card.last4,
            "networks": {"available": [card.brand], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        }
        # `_test_card` is kept so a confirm knows which test card this is; hidden from responses.
        return self._method(caller, "card", details, _test_card=ident)

    def retrieve_payment_method(self, caller: Caller, p: dict, ident: str) -> dict:
        return self._payment_method(caller, ident, param="id", status=404)

    # -- payment intents -------------------------------------------------
    def _intent(self, caller: Caller, ident: str) -> dict:
        return self._get(caller, "payment_intent", ident, param="intent")

    def _save_intent(self, caller: Caller, pi: dict) -> dict:
        """Store an intent and show the change to search (after the index's lag)."""
        self.search.record(caller.account, pi, self.clock.now())
        return self.store.put(caller.account, "payment_intent", pi)

    def _payment_method_choice(self, caller: Caller, p: dict) -> dict:
        """Which payment method types an intent takes, from the parameters the caller's version has.

        Returns the intent's fields: `allowed_payment_method_types`, `automatic_payment_methods`,
        `payment_method_types` and `payment_method_configuration_details`.
        """
        if "allowed_payment_method_types" in p:
            _only_one_of(p, ("allowed_payment_method_types", *_EXCLUSIVE_WITH_ALLOWED))
            allowed = _type_list(p, "allowed_payment_method_types")
            usable = [t for t in allowed if t in SANDBOX_TYPES]
            if not usable:
                raise errors.validation(
                    "None of the payment method types in `allowed_payment_method_types` can be used for "
                    f"this PaymentIntent: this sandbox takes {', '.join(SANDBOX_TYPES)} only.",
                    param="allowed_payment_method_types",
                )
            return {
                "allowed_payment_method_types": allowed,
                "automatic_payment_methods": None,
                "payment_method_types": usable,
                "payment_method_configuration_details": None,
            }
        _only_one_of(p, ("automatic_payment_methods", "payment_method_types"))
        if "payment_method_types" in p:  # versions before endive only (checked with the parameters)
            types = _type_list(p, "payment_method_types")
            for kind in types:
                if kind not in SANDBOX_TYPES:
                    raise errors.validation(
                        f'The payment method type "{kind}" is invalid. This sandbox supports "card" only.',
                        param="payment_method_types",
                    )
            return {
                "allowed_payment_method_types": None,
                "automatic_payment_methods": None,
                "payment_method_types": types,
                "payment_method_configuration_details": None,
            }
        automatic = None
        if "automatic_payment_methods" in p:
            raw = p["automatic_payment_methods"]
            if not isinstance(raw, dict):
                raise errors.validation("Invalid object", param="automatic_payment_methods")
            for key in raw:
                if key not in ("enabled", "allow_redirects"):
                    raise errors.parameter_unknown(f"automatic_payment_methods[{key}]")
            if "enabled" not in raw:
                raise errors.parameter_missing("automatic_payment_methods[enabled]")
            enabled = params.boolean(raw, "enabled")
            redirects = params.choice(raw, "allow_redirects", ("always", "never"), "always")
            automatic = {"allow_redirects": redirects, "enabled": True} if enabled else None
        elif versions.AUTOMATIC_PAYMENT_METHODS_DEFAULT.on(caller.version):
            automatic = {"allow_redirects": "always", "enabled": True}
        return {
            "allowed_payment_method_types": None,
            "automatic_payment_methods": automatic,
            "payment_method_types": list(AUTOMATIC_TYPES),
            "payment_method_configuration_details": {"id": "pmc_sandbox_default", "parent": None}
            if automatic
            else None,
        }

    def create_payment_intent(self, caller: Caller, p: dict) -> dict:
        amount = params.integer(p, "amount", required=True)
        code = params.currency(p)
        params.charge_amount(amount, code)
        choice = self._payment_method_choice(caller, p)
        default_capture = "automatic_async" if versions.CAPTURE_ASYNC_DEFAULT.on(caller.version) else "automatic"
        capture = params.choice(p, "capture_method", CAPTURE_METHODS, default_capture)
        confirmation = params.choice(p, "confirmation_method", ("automatic", "manual"), "automatic")
        metadata = params.metadata(p)
        confirm = params.boolean(p, "confirm")
        return_url = params.text(p, "return_url")
        if return_url and not confirm:
            raise errors.validation("You can only use `return_url` together with `confirm=true`.", param="return_url")
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
            **choice,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": capture,
            "client_secret": f"{pi_id}_secret_{new_id('x', 25)[2:]}",
            "confirmation_method": confirmation,
            "created": self.now(),
            "currency": code,
            "customer": None,
            "customer_account": None,
            "description": params.text(p, "description"),
            "excluded_payment_method_types": None,
            "hooks": None,
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "managed_payments": None,
            "metadata": metadata,
            "next_action": None,
            "on_behalf_of": None,
            "payment_details": None,
            "payment_method": pm["id"] if pm else None,
            "payment_method_options": _method_options(choice["payment_method_types"]),
            "payment_record": None,
            "presentment_details": None,
            "processing": None,
            "receipt_email": params.text(p, "receipt_email"),
            "review": None,
            "setup_future_usage": params.choice(p, "setup_future_usage", ("off_session", "on_session")),
            "shipping": None,
            "source": None,
            "statement_descriptor": params.text(p, "statement_descriptor"),
            "statement_descriptor_suffix": params.text(p, "statement_descriptor_suffix"),
            "status": "requires_confirmation" if pm else "requires_payment_method",
            "transfer_data": None,
            "transfer_group": params.text(p, "transfer_group"),
        }
        self._save_intent(caller, pi)
        if confirm:
            return self._confirm(caller, pi, pm, return_url)
        return pi

    def retrieve_payment_intent(self, caller: Caller, p: dict, ident: str) -> dict:
        pi = self._intent(caller, ident)
        self._check_client_secret(caller, pi, p)
        return pi

    def _check_client_secret(self, caller: Caller, pi: dict, p: dict) -> None:
        if caller.publishable and p.get("client_secret") != pi["client_secret"]:
            raise errors.authentication(
                "A publishable key may only act on a PaymentIntent with its matching client_secret."
            )

    def update_payment_intent(self, caller: Caller, p: dict, ident: str) -> dict:
        pi = self._intent(caller, ident)
        if pi["status"] not in UPDATABLE and set(p) <= AFTER_THE_FACT_PARAMS:
            # Like Stripe: descriptive fields stay editable after the payment (e.g. an order number).
            pi["metadata"] = params.metadata(p, pi["metadata"])
            for name in ("description", "receipt_email"):
                if name in p:
                    pi[name] = params.text(p, name)
            return self._save_intent(caller, pi)
        if pi["status"] not in UPDATABLE:
            raise errors.unexpected_state(
                f"You cannot update this PaymentIntent because it has a status of {pi['status']}. "
                f"Only a PaymentIntent with one of the following statuses may be updated: "
                f"{', '.join(UPDATABLE)}.",
                self.render(caller, pi, []),
            )
        code = params.currency(p, required=False) or pi["currency"]
        amount = params.integer(p, "amount")
        amount = pi["amount"] if amount is None else amount
        params.charge_amount(amount, code)
        metadata = params.metadata(p, pi["metadata"])
        if "allowed_payment_method_types" in p or "payment_method_types" in p:
            choice = self._payment_method_choice(caller, p)
            pi.update(choice, payment_method_options=_method_options(choice["payment_method_types"]))
        # Stripe clears the last payment error on any update of an unpaid intent.
        pi.update(amount=amount, currency=code, metadata=metadata, last_payment_error=None)
        for name in (
            "description",
            "receipt_email",
            "statement_descriptor",
            "statement_descriptor_suffix",
            "transfer_group",
        ):
            if name in p:
                pi[name] = params.text(p, name)
        if "setup_future_usage" in p:
            pi["setup_future_usage"] = params.choice(p, "setup_future_usage", ("off_session", "on_session"))
        if "capture_method" in p:
            pi["capture_method"] = params.choice(p, "capture_method", CAPTURE_METHODS)
        if p.get("payment_method"):
            pm = self._payment_method(caller, p["payment_method"])
            pi["payment_method"] = pm["id"]
            pi["status"] = "requires_confirmation"
            pi["next_action"] = None
        return self._save_intent(caller, pi)

    def confirm_payment_intent(self, caller: Caller, p: dict, ident: str) -> dict:
        pi = self._intent(caller, ident)
        self._check_client_secret(caller, pi, p)
        if pi["status"] == "succeeded":
            raise errors.unexpected_state(
                "You cannot confirm this PaymentIntent because it has already succeeded "
                "after being previously confirmed.",
                self.render(caller, pi, []),
            )
        if pi["status"] not in CONFIRMABLE:
            raise errors.unexpected_state(
                f"You cannot confirm this PaymentIntent because it has a status of {pi['status']}. "
                f"Only a PaymentIntent with one of the following statuses may be confirmed: "
                f"{', '.join(CONFIRMABLE)}.",
                self.render(caller, pi, []),
            )
        if "allowed_payment_method_types" in p or "payment_method_types" in p:
            choice = self._payment_method_choice(caller, p)
            pi.update(choice, payment_method_options=_method_options(choice["payment_method_types"]))
        if "capture_method" in p:
            pi["capture_method"] = params.choice(p, "capture_method", CAPTURE_METHODS)
        if "receipt_email" in p:
            pi["receipt_email"] = params.text(p, "receipt_email")
        if "setup_future_usage" in p:
            pi["setup_future_usage"] = params.choice(p, "setup_future_usage", ("off_session", "on_session"))
        ident = p.get("payment_method") or pi["payment_method"]
        if not ident:
            raise errors.invalid_request(
                "You cannot confirm this PaymentIntent because it's missing a payment method. "
                "Update the PaymentIntent with a payment method and then confirm it again.",
                code="payment_intent_unexpected_state",
                param="payment_method",
                extra={"payment_intent": self.render(caller, pi, [])},
            )
        return self._confirm(caller, pi, self._payment_method(caller, ident), params.text(p, "return_url"))

    def _confirm(self, caller: Caller, pi: dict, pm: dict | None, return_url: str | None = None) -> dict:
        if pm is None:
            raise errors.invalid_request(
                "You cannot confirm this PaymentIntent because it's missing a payment method.",
                code="payment_intent_unexpected_state",
                param="payment_method",
                extra={"payment_intent": self.render(caller, pi, [])},
            )
        automatic = pi.get("automatic_payment_methods") or {}
        if automatic.get("enabled") and automatic.get("allow_redirects") != "never" and not return_url:
            # 2023-08-16: dynamic payment methods may redirect, so Stripe needs somewhere to come back to.
            raise errors.invalid_request(_RETURN_URL_NEEDED, param="return_url")
        if pm["type"] not in pi["payment_method_types"] or "_test_card" not in pm:
            raise errors.invalid_request(
                f"The PaymentMethod provided ({pm['type']}) is not allowed for this PaymentIntent. Please attach "
                f"a PaymentMethod of one of the following types: {', '.join(pi['payment_method_types'])}."
                + (
                    " A card_present PaymentIntent is paid on a reader (process_payment_intent)."
                    if pm["type"] == "card"
                    else ""
                ),
                code="payment_intent_incompatible_payment_method",
                param="payment_method",
            )
        card = TEST_CARDS[pm["_test_card"]]
        pi["next_action"] = None
        if card.requires_action:
            challenge = "https://hooks.stripe.com/3d_secure_2/hosted"
            next_action = (
                {"type": "redirect_to_url", "redirect_to_url": {"return_url": return_url, "url": challenge}}
                if return_url
                else {
                    "type": "use_stripe_sdk",
                    "use_stripe_sdk": {
                        "type": "three_d_secure_redirect",
                        "stripe_js": challenge,
                        "source": new_id("src"),
                    },
                }
            )
            pi.update(
                status="requires_action", payment_method=pm["id"], last_payment_error=None, next_action=next_action
            )
            return self._save_intent(caller, pi)
        charge = self._new_charge(caller, pi, pm, card)
        pi["latest_charge"] = charge["id"]
        if card.decline:
            d = card.decline
            self._declined(caller, pi, pm, charge, d)
            raise errors.StripeError(
                402,
                "card_error",
                d.message,
                code=d.code,
                decline_code=d.decline_code,
                extra={
                    "charge": charge["id"],
                    "payment_intent": self.render(caller, pi, []),
                    "payment_method": self.render(caller, pm, []),
                },
            )
        return self._authorised(caller, pi, pm)

    def _declined(self, caller: Caller, pi: dict, pm: dict, charge: dict, decline) -> dict:
        """The issuer said no: the intent wants another payment method and says why."""
        pi.update(status="requires_payment_method", payment_method=None)
        pi["last_payment_error"] = {
            "charge": charge["id"],
            "code": decline.code,
            "decline_code": decline.decline_code,
            "doc_url": f"https://stripe.com/docs/error-codes/{decline.code.replace('_', '-')}",
            "message": decline.message,
            "payment_method": self._public(pm),
            "type": "card_error",
        }
        return self._save_intent(caller, pi)

    def _authorised(self, caller: Caller, pi: dict, pm: dict) -> dict:
        """The issuer said yes: paid, or held for capture when the intent captures manually."""
        pi.update(payment_method=pm["id"], last_payment_error=None, next_action=None)
        if pi["capture_method"] == "manual":
            pi.update(status="requires_capture", amount_capturable=pi["amount"])
        else:
            pi.update(status="succeeded", amount_received=pi["amount"])
        return self._save_intent(caller, pi)

    def _year(self) -> int:
        return datetime.fromtimestamp(self.now(), timezone.utc).year

    def _method(self, caller: Caller, kind: str, details: dict, **private) -> dict:
        """A new PaymentMethod of `kind` with its details hash (nothing known of the holder)."""
        pm = {
            "id": new_id("pm"),
            "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": {
                "address": {k: None for k in ("city", "country", "line1", "line2", "postal_code", "state")},
                "email": None,
                "name": None,
                "phone": None,
                "tax_id": None,
            },
            kind: details,
            "created": self.now(),
            "customer": None,
            "customer_account": None,
            "livemode": False,
            "metadata": {},
            "radar_options": None,
            "type": kind,
            **private,
        }
        return self.store.put(caller.account, "payment_method", pm)

    def _new_charge(self, caller: Caller, pi: dict, pm: dict, card) -> dict:
        failed = card.decline is not None
        details = {
            key: pm["card"][key]
            for key in ("brand", "country", "exp_month", "exp_year", "fingerprint", "funding", "last4")
        }
        details.update(
            amount_authorized=None if failed else pi["amount"],
            authorization_code=None if failed else f"{secrets.randbelow(10**6):06d}",
            checks=dict(pm["card"]["checks"]),
            # Required on this version, null here as on Stripe for an unauthenticated one-off
            # payment: no installment plan, no 3DS (so no ECI), no linked network transaction.
            electronic_commerce_indicator=None,
            installments=None,
            transaction_link_id=None,
            network=pm["card"]["brand"],
            mandate=None,
            network_transaction_id=None,
            regulated_status="unregulated",
            three_d_secure=None,
            wallet=None,
        )
        charge = self._new_charge_record(
            caller, pi, pm, card.decline, {"card": details, "type": "card"}, details["authorization_code"]
        )
        return self.store.put(caller.account, "charge", charge)

    def _new_charge_record(
        self, caller: Caller, pi: dict, pm: dict, decline, method_details: dict, authorization
    ) -> dict:
        """A charge of `pi` by `pm`: declined when `decline` is given, else authorised (and captured
        unless the intent captures manually); `method_details` is its payment_method_details."""
        failed = decline is not None
        captured = not failed and pi["capture_method"] != "manual"
        charge_id = new_id("ch")
        charge = {
            "id": charge_id,
            "object": "charge",
            "amount": pi["amount"],
            "amount_captured": pi["amount"] if captured else 0,
            "amount_refunded": 0,
            "application": None,
            "application_fee": None,
            "application_fee_amount": None,
            "authorization_code": authorization,
            "balance_transaction": None if failed else new_id("txn"),
            "billing_details": pm["billing_details"],
            "calculated_statement_descriptor": "SANDBOX",
            "captured": captured,
            "created": self.now(),
            "currency": pi["currency"],
            "customer": pi["customer"],
            "description": pi["description"],
            "disputed": False,
            "failure_balance_transaction": None,
            "failure_code": decline.code if failed else None,
            "failure_message": decline.message if failed else None,
            "fraud_details": {},
            "level3": None,
            "livemode": False,
            "metadata": dict(pi["metadata"]),
            "on_behalf_of": None,
            "outcome": {
                "advice_code": None,
                "network_advice_code": None,
                "network_decline_code": None,
                "network_status": "declined_by_network" if failed else "approved_by_network",
                "reason": decline.decline_code if failed else None,
                "risk_level": "normal",
                "seller_message": "The bank did not return any further details with this decline."
                if failed
                else "Payment complete.",
                "type": "issuer_declined" if failed else "authorized",
            },
            "paid": not failed,
            "payment_intent": pi["id"],
            "payment_method": pm["id"],
            "payment_method_details": method_details,
            "presentment_details": None,
            "radar_options": None,
            "receipt_email": pi["receipt_email"],
            "receipt_number": None,
            "receipt_url": f"https://pay.stripe.com/receipts/payment/{charge_id}",
            "refunded": False,
            "review": None,
            "shipping": None,
            "source": None,
            "source_transfer": None,
            "statement_descriptor": pi["statement_descriptor"],
            "statement_descriptor_suffix": pi["statement_descriptor_suffix"],
            "status": "failed" if failed else "succeeded",
            "transfer": None,
            "transfer_data": None,
            "transfer_group": pi["transfer_group"],
            # What a partial capture or a cancel released: shown in amount_refunded, as Stripe
            # shows it, but never refundable money.
            "_released": 0,
        }
        return self.store.put(caller.account, "charge", charge)

    def cancel_payment_intent(self, caller: Caller, p: dict, ident: str) -> dict:
        pi = self._intent(caller, ident)
        reason = params.choice(
            p, "cancellation_reason", ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
        )
        if pi["status"] not in CANCELABLE:
            raise errors.unexpected_state(
                f"You cannot cancel this PaymentIntent because it has a status of {pi['status']}. "
                f"Only a PaymentIntent with one of the following statuses may be canceled: "
                f"{', '.join(CANCELABLE)}.",
                self.render(caller, pi, []),
            )
        if pi["status"] == "requires_capture":
            # Stripe releases the authorisation: the uncaptured charge shows as refunded
            # (https://docs.stripe.com/payments/place-a-hold-on-a-payment-method#cancel-authorization).
            self._release(caller, pi["latest_charge"], pi["amount_capturable"])
        self._stop_readers_processing(caller, pi["id"])
        pi.update(
            status="canceled", canceled_at=self.now(), cancellation_reason=reason, amount_capturable=0, next_action=None
        )
        return self._save_intent(caller, pi)

    def _release(self, caller: Caller, charge_id: str, amount: int) -> None:
        charge = self.store.stored(caller.account, "charge", charge_id)
        charge["_released"] = charge.get("_released", 0) + amount
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        self.store.put(caller.account, "charge", charge)

    def capture_payment_intent(self, caller: Caller, p: dict, ident: str) -> dict:
        pi = self._intent(caller, ident)
        if pi["status"] != "requires_capture":
            raise errors.unexpected_state(
                f"This PaymentIntent could not be captured because it has a status of {pi['status']}. "
                "Only a PaymentIntent with one of the following statuses may be captured: requires_capture.",
                self.render(caller, pi, []),
            )
        amount = params.integer(p, "amount_to_capture")
        amount = pi["amount_capturable"] if amount is None else amount
        if amount <= 0 or amount > pi["amount_capturable"]:
            raise errors.invalid_request(
                f"The amount to capture ({amount}) must be positive and no more than the "
                f"amount capturable ({pi['amount_capturable']}).",
                code="amount_too_large",
                param="amount_to_capture",
            )
        charge = self.store.stored(caller.account, "charge", pi["latest_charge"])
        charge.update(captured=True, amount_captured=amount)
        self.store.put(caller.account, "charge", charge)
        if amount < charge["amount"]:
            # A partial capture releases the rest, which Stripe shows as refunded on the charge.
            self._release(caller, charge["id"], charge["amount"] - amount)
        pi.update(
            status="succeeded", amount_received=amount, amount_capturable=0, metadata=params.metadata(p, pi["metadata"])
        )
        return self._save_intent(caller, pi)

    def list_payment_intents(self, caller: Caller, p: dict) -> dict:
        items = self._page(
            caller,
            "payment_intent",
            p,
            self.store.ids(caller.account, "payment_intent"),
            lambda o: "customer" not in p or o["customer"] == p["customer"],
        )
        return {"object": "list", "url": "/v1/payment_intents", **items}

    def search_payment_intents(self, caller: Caller, p: dict) -> dict:
        if not p.get("query"):
            raise errors.parameter_missing("query")
        matches = search.parse_query(p["query"])
        limit = _limit(p)
        ids = self.store.ids(caller.account, "payment_intent")
        start = len(ids) - 1
        if p.get("page"):
            try:
                start = int(p["page"])
            except ValueError:
                raise errors.validation("Invalid page", param="page") from None
        now = self.clock.now()
        found: list[dict] = []
        i = start
        while i >= 0 and len(found) <= limit:
            obj = self.search.view(caller.account, self.store.stored(caller.account, "payment_intent", ids[i]), now)
            if obj is not None and matches(obj):
                found.append(obj)
            i -= 1
        has_more = len(found) > limit
        # The cursor points at the first unread position, newest-first order.
        next_page = str(i + 1) if has_more else None
        # `url` as Stripe sends it: the SDKs page a search by it (stripe-python's auto_paging_iter
        # raises without it), though the Python class does not annotate it.
        return {
            "object": "search_result",
            "url": "/v1/payment_intents/search",
            "data": [self.render(caller, o, _inner_expand(p)) for o in found[:limit]],
            "has_more": has_more,
            "next_page": next_page,
        }

    # -- charges and refunds ----------------------------------------------
    def _get(self, caller: Caller, kind: str, ident: str, param: str = "id", name: str | None = None) -> dict:
        """The stored object, or Stripe's 404 resource_missing."""
        obj = self.store.get(caller.account, kind, ident)
        if obj is None:
            raise errors.resource_missing(name or kind, ident, param)
        return obj

    def retrieve_charge(self, caller: Caller, p: dict, ident: str) -> dict:
        return self._get(caller, "charge", ident)

    def list_charges(self, caller: Caller, p: dict) -> dict:
        where = {"payment_intent": p["payment_intent"]} if p.get("payment_intent") else {}
        items = self._page(
            caller,
            "charge",
            p,
            self.store.ids(caller.account, "charge", **where),
            lambda o: "customer" not in p or o["customer"] == p["customer"],
        )
        return {"object": "list", "url": "/v1/charges", **items}

    def create_refund(self, caller: Caller, p: dict) -> dict:
        if p.get("charge"):
            found = self.store.get(caller.account, "charge", p["charge"])
            if found is None:
                raise errors.resource_missing("charge", p["charge"], "charge", status=400)
            charge = found
        elif p.get("payment_intent"):
            pi = self._intent(caller, p["payment_intent"])
            if pi["status"] != "succeeded" or not pi["latest_charge"]:
                raise errors.invalid_request(
                    f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                    code="payment_intent_unexpected_state",
                    param="payment_intent",
                )
            charge = self.store.stored(caller.account, "charge", pi["latest_charge"])
        else:
            raise errors.parameter_missing("charge")
        reason = params.choice(p, "reason", ("duplicate", "fraudulent", "requested_by_customer"))
        metadata = params.metadata(p)
        if charge["status"] != "succeeded" or not charge["captured"]:
            raise errors.invalid_request(
                f"Charge {charge['id']} has not been captured or did not succeed.", param="charge"
            )
        # What was captured and not yet given back; a released authorisation was never money.
        refunded = charge["amount_refunded"] - charge.get("_released", 0)
        remaining = charge["amount_captured"] - refunded
        if remaining <= 0:
            raise errors.invalid_request(
                f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded", param="charge"
            )
        amount = params.integer(p, "amount")
        amount = remaining if amount is None else amount
        if amount <= 0:
            raise errors.validation(
                "This value must be greater than or equal to 1.", code="parameter_invalid_integer", param="amount"
            )
        if amount > remaining:
            money = lambda minor: f"{currencies.major(minor, charge['currency'])}"  # noqa: E731
            raise errors.invalid_request(
                f"Refund amount ({money(amount)}) is greater than unrefunded amount on charge ({money(remaining)})",
                code="amount_too_large",
                param="amount",
            )
        params.whole_tens(amount, charge["currency"])
        refund = {
            "id": new_id("re"),
            "object": "refund",
            "amount": amount,
            "balance_transaction": new_id("txn"),
            "charge": charge["id"],
            "created": self.now(),
            "currency": charge["currency"],
            "customer": None,
            "customer_account": None,
            "description": None,
            "destination_details": {
                "card": {
                    "reference": None,
                    "reference_status": "pending",
                    "reference_type": "acquirer_reference_number",
                    "type": "refund",
                },
                "type": "card",
            },
            "failure_balance_transaction": None,
            "failure_reason": None,
            "instructions_email": None,
            "metadata": metadata,
            "next_action": None,
            "payment_intent": charge["payment_intent"],
            "payment_method": charge["payment_method"],
            "pending_reason": None,
            "presentment_details": None,
            "reason": reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
        }
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        self.store.put(caller.account, "charge", charge)
        return self.store.put(caller.account, "refund", refund)

    def retrieve_refund(self, caller: Caller, p: dict, ident: str) -> dict:
        return self._get(caller, "refund", ident)

    def list_refunds(self, caller: Caller, p: dict) -> dict:
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
        """The JSON a client sees at its API version: private fields dropped, `expand[]` applied."""
        out = self._public(obj)
        kind = out.get("object")
        version = caller.version
        # Objects saved by an older sandbox may still hold fields of older versions.
        out.pop("charges", None)
        out.pop("invoice", None)
        if kind == "payment_intent":
            if not versions.ALLOWED_TYPES_ADDED.on(version):
                out.pop("allowed_payment_method_types", None)
            if not versions.CHARGES_LIST_REMOVED.on(version):
                ids = list(reversed(self.store.ids(caller.account, "charge", payment_intent=out["id"])))
                out["charges"] = {
                    "object": "list",
                    "has_more": False,
                    "total_count": len(ids),
                    "url": f"/v1/charges?payment_intent={out['id']}",
                    "data": [self.render(caller, self.store.stored(caller.account, "charge", c), []) for c in ids],
                }
        if kind in ("payment_intent", "charge") and not versions.INVOICE_REMOVED.on(version):
            out["invoice"] = None
        for path in expand or []:
            self._expand(caller, out, path)
        return definitions.prune(out)

    def _expand(self, caller: Caller, out: dict, path: str) -> None:
        head, _, rest = path.partition(".")
        if head == "refunds" and out.get("object") == "charge":
            ids = list(reversed(self.store.ids(caller.account, "refund", charge=out["id"])))
            out["refunds"] = {
                "object": "list",
                "has_more": False,
                "url": f"/v1/charges/{out['id']}/refunds",
                "data": [self.render(caller, self.store.stored(caller.account, "refund", r), []) for r in ids],
            }
            return
        value = out.get(head)
        if value is None:
            return
        if isinstance(value, str):
            kind = definitions.EXPANDS_TO.get(head)
            target = self.store.get(caller.account, kind, value) if kind else None
            if target is None:
                raise errors.not_in_sandbox(f"expand[{head}]")
            value = out[head] = self.render(caller, target, [])
        if rest:
            self._expand(caller, value, rest)

    def _page(self, caller: Caller, kind: str, p: dict, ids: list, keep=lambda o: True) -> dict:
        """Stripe's cursor pagination over ids stored oldest first, served newest first."""
        limit = _limit(p)
        created = _created_filter(p.get("created"))
        get = lambda i: self.store.stored(caller.account, kind, i)  # noqa: E731
        positions = {i: n for n, i in enumerate(ids)} if len(ids) < 64 else None

        def locate(ident, param):
            pos = positions.get(ident) if positions is not None else self._find(caller, kind, ids, ident)
            if pos is None:
                raise errors.resource_missing(kind, ident, param, status=400)
            return pos

        def wanted(obj):
            return keep(obj) and created(obj.get("created", 0))

        found: list[dict] = []
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


def _method_options(types: list[str]) -> dict:
    """Stripe shows options for the intent's own payment method types only."""
    options: dict = {}
    if "card" in types:
        options["card"] = {
            "installments": None,
            "mandate_options": None,
            "network": None,
            "request_three_d_secure": "automatic",
        }
    if "card_present" in types:
        options["card_present"] = {
            "capture_method": None,
            "request_extended_authorization": False,
            "request_incremental_authorization_support": False,
            "routing": {"requested_priority": None},
        }
    if "interac_present" in types:
        options["interac_present"] = {}
    return options


def _inner_expand(p: dict) -> list:
    # `expand[]=data.latest_charge` on a list expands inside each item.
    return [e[5:] for e in p.get("expand", []) if e.startswith("data.")]


def _limit(p: dict) -> int:
    limit = params.integer(p, "limit")
    if limit is None:
        return 10
    if not 1 <= limit <= 100:
        raise errors.validation(
            f"This value must be between 1 and 100 (it currently is {limit}).",
            code="parameter_invalid_integer",
            param="limit",
        )
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
    checks = {
        "gt": lambda ts, v: ts > v,
        "gte": lambda ts, v: ts >= v,
        "lt": lambda ts, v: ts < v,
        "lte": lambda ts, v: ts <= v,
    }
    return lambda ts: all(checks[op](ts, v) for op, v in bounds.items())
