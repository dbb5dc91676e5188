"""Stripe's PaymentIntent endpoints: create, update, confirm, capture, cancel, list and search."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import errors, params, search, versions
from .cards import CARD_BEHAVIOUR
from .charges import Charges
from .resources import Caller, _inner_expand, _limit, new_id

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


class PaymentIntents(Charges):
    if TYPE_CHECKING:  # what terminal.TerminalMixin gives StripeAPI

        def _stop_readers_processing(self, caller: Caller, intent_id: str) -> None: ...

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
        card = CARD_BEHAVIOUR[pm["_test_card"]]
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
