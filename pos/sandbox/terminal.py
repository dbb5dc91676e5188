"""Stripe Terminal's server-driven integration: locations, simulated readers and their actions.

What Stripe documents for the server-driven integration
(https://docs.stripe.com/terminal/payments/collect-card-payment?terminal-sdk-platform=server-driven):

- a reader is registered with a registration code; in test mode `simulated-wpe`, `simulated-s700`
  and `simulated-s710` make simulated readers;
- `process_payment_intent` hands a `card_present` PaymentIntent to the reader: the reader's
  `action` is `in_progress` until the customer presents a card, then `succeeded` (the intent is
  paid, or waits for capture with `capture_method=manual`) or `failed` (`failure_code`,
  `failure_message`; the intent is back to `requires_payment_method` with its
  `last_payment_error`);
- a reader with an action in progress refuses another one (`terminal_reader_busy`); an offline
  reader refuses every action (`terminal_reader_offline`); `cancel_action` stops the one in
  progress;
- `set_reader_display` shows a cart to the customer: the action stays `in_progress` while it shows,
  the next action replaces it, and `cancel_action` clears the display (the action is null again);
- the test helper `present_payment_method` plays the customer on a simulated reader, with a
  test card-present number (`card_present[number]`), `interac_present`, and `amount_tip`.

Faults a test arms through the admin API (README.md): a reader offline, a reader that does not
answer in time (`terminal_reader_timeout`, the action never reaches it), the customer cancelling
on the reader.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import errors, params
from .cards import GENERIC_DECLINE, Decline, TestCard

# Registration codes of Stripe's simulated readers, and the device each one makes.
SIMULATED_READERS = {
    "simulated-wpe": "simulated_wisepos_e",
    "simulated-s700": "simulated_stripe_s700",
    "simulated-s710": "simulated_stripe_s710",
}
SOFTWARE_VERSION = "2.29.4.0"
# Each network's EMV application: the AID (`receipt.dedicated_file_name`, EMV tag 84) and the
# name the chip gives it (`application_preferred_name`), as on the networks' own cards.
APPLICATIONS = {
    "visa": ("A0000000031010", "Visa"),
    "mastercard": ("A0000000041010", "Mastercard"),
    "amex": ("A00000002501", "American Express"),
    "discover": ("A0000001523010", "Discover"),
    "diners": ("A0000001523010", "Diners Club"),
    "jcb": ("A0000000651010", "JCB"),
    "unionpay": ("A000000333010101", "UnionPay"),
    "interac": ("A0000002771010", "Interac"),
}


@dataclass(frozen=True)
class PresentCard(TestCard):
    """A test card-present number (Stripe's Terminal testing page) and what presenting it does."""

    verification: str = "none"  # the receipt's cardholder_verification_method
    kind: str = "card_present"


PRESENT_CARDS: dict[str, PresentCard] = {
    "4242424242424242": PresentCard("visa", "4242"),
    "4000056655665556": PresentCard("visa", "5556", funding="debit"),
    "5555555555554444": PresentCard("mastercard", "4444"),
    "5200828282828210": PresentCard("mastercard", "8210", funding="debit"),
    "5105105105105100": PresentCard("mastercard", "5100", funding="prepaid"),
    "378282246310005": PresentCard("amex", "0005"),
    "371449635398431": PresentCard("amex", "8431"),
    "6011111111111117": PresentCard("discover", "1117"),
    "6011000990139424": PresentCard("discover", "9424"),
    "3056930009020004": PresentCard("diners", "0004"),
    "36227206271667": PresentCard("diners", "1667"),
    "3566002020360505": PresentCard("jcb", "0505", country="JP"),
    "6200000000000005": PresentCard("unionpay", "0005", country="CN"),
    "4001007020000002": PresentCard("visa", "0002", verification="online_pin"),
    "4000008260000075": PresentCard("visa", "0075", verification="offline_pin"),
    "4000000000000002": PresentCard("visa", "0002", decline=GENERIC_DECLINE),
    "4000000000009995": PresentCard(
        "visa", "9995", decline=Decline("card_declined", "insufficient_funds", "Your card has insufficient funds.")
    ),
    "4000000000009987": PresentCard(
        "visa", "9987", decline=Decline("card_declined", "lost_card", "Your card was declined.")
    ),
    "4000000000009979": PresentCard(
        "visa", "9979", decline=Decline("card_declined", "stolen_card", "Your card was declined.")
    ),
    "4000000000000069": PresentCard(
        "visa", "0069", decline=Decline("expired_card", "expired_card", "Your card has expired.")
    ),
    "4000000000000119": PresentCard(
        "visa",
        "0119",
        decline=Decline(
            "processing_error",
            "processing_error",
            "An error occurred while processing your card. Try again in a little bit.",
        ),
    ),
    "4506445006931933": PresentCard("interac", "1933", funding="debit", country="CA", kind="interac_present"),
}


def _application_name(card: PresentCard) -> str:
    """Visa and UnionPay chips name credit and debit apart ("Visa Debit"); the others do not."""
    name = APPLICATIONS[card.brand][1]
    if card.brand in ("visa", "unionpay"):
        return f"{name} {'Debit' if card.funding == 'debit' else 'Credit'}"
    return name


DEFAULT_PRESENT = {"card_present": "4242424242424242", "interac_present": "4506445006931933"}

READER_BUSY = (
    "Reader is currently busy processing another request. Please reference the integration guide at "
    "https://stripe.com/docs/terminal/payments/collect-payment?terminal-sdk-platform=server-driven#handle-errors "
    "for details on how to handle this error."
)
READER_OFFLINE = (
    "Reader is currently offline, please ensure the reader is powered on and connected to the internet "
    "before retrying your request."
)
READER_TIMEOUT = (
    "There was a timeout when sending this command to the reader. Please reference the integration guide "
    "for details on how to handle this error."
)


def _reader_error(code: str, message: str) -> errors.StripeError:
    return errors.invalid_request(message, code=code)


class TerminalMixin:
    """The Terminal endpoints of `StripeAPI` (which supplies store, clock, `_page`, `_intent`, ...)."""

    if TYPE_CHECKING:  # what StripeAPI gives these endpoints
        from .store import Store

        store: Store

        def now(self) -> int: ...
        def _new_id(self, prefix: str, length: int = 24) -> str: ...
        def _get(self, caller: Any, kind: str, ident: str, param: str = "id", name: str | None = None) -> dict: ...
        def _page(self, caller: Any, kind: str, p: dict, ids: list, keep: Any = ...) -> dict: ...
        def _intent(self, caller: Any, ident: str) -> dict: ...
        def _save_intent(self, caller: Any, pi: dict) -> dict: ...
        def _declined(self, caller: Any, pi: dict, pm: dict, charge: dict, decline: Any) -> dict: ...
        def _authorised(self, caller: Any, pi: dict, pm: dict) -> dict: ...
        def _method(self, caller: Any, kind: str, details: dict, **private: Any) -> dict: ...
        def _year(self) -> int: ...
        def _public(self, obj: dict) -> dict: ...
        def _new_charge_record(
            self, caller: Any, pi: dict, pm: dict, decline: Any, method_details: dict, authorization: Any
        ) -> dict: ...

    # -- locations ------------------------------------------------------------------
    def create_location(self, caller, p: dict) -> dict:
        if not p.get("display_name"):
            raise errors.parameter_missing("display_name")
        address = p.get("address")
        if not isinstance(address, dict):
            raise errors.parameter_missing("address")
        for key in address:
            if key not in ("city", "country", "line1", "line2", "postal_code", "state"):
                raise errors.parameter_unknown(f"address[{key}]")
        if not address.get("country"):
            raise errors.parameter_missing("address[country]")
        location = {
            "id": self._new_id("tml"),
            "object": "terminal.location",
            "address": {k: address.get(k) for k in ("city", "country", "line1", "line2", "postal_code", "state")},
            "address_kana": None,
            "address_kanji": None,
            "configuration_overrides": None,
            "display_name": str(p["display_name"]),
            "display_name_kana": None,
            "display_name_kanji": None,
            "livemode": False,
            "metadata": params.metadata(p),
            "phone": params.text(p, "phone"),
        }
        return self.store.put(caller.account, "terminal.location", location)

    def retrieve_location(self, caller, p: dict, ident: str) -> dict:
        return self._get(caller, "terminal.location", ident, name="terminal.location")

    def list_locations(self, caller, p: dict) -> dict:
        items = self._page(caller, "terminal.location", p, self.store.ids(caller.account, "terminal.location"))
        return {"object": "list", "url": "/v1/terminal/locations", **items}

    # -- readers --------------------------------------------------------------------
    def create_reader(self, caller, p: dict) -> dict:
        code = p.get("registration_code")
        if not code:
            raise errors.parameter_missing("registration_code")
        device = SIMULATED_READERS.get(code)
        if device is None:
            # Physical readers show a one-time code; none can reach this sandbox.
            raise errors.invalid_request(
                "The registration code is invalid or has expired. A test-mode sandbox can register "
                f"simulated readers only: {', '.join(SIMULATED_READERS)}.",
                param="registration_code",
            )
        location = p.get("location")
        if location is not None:
            self._get(caller, "terminal.location", location, param="location", name="terminal.location")
        serial = f"{code}-{'-'.join(secrets.token_hex(2) for _ in range(3))}"
        reader = {
            "id": self._new_id("tmr"),
            "object": "terminal.reader",
            "action": None,
            "device_sw_version": SOFTWARE_VERSION,
            "device_type": device,
            "ip_address": "0.0.0.0",
            "label": params.text(p, "label") or serial,
            "last_seen_at": self.now() * 1000,
            "livemode": False,
            "location": location,
            "metadata": params.metadata(p),
            "serial_number": serial,
            "status": "online",
            # Faults a test can set through the admin API (README.md); hidden from responses.
            "_unresponsive": False,
        }
        return self.store.put(caller.account, "terminal.reader", reader)

    def _reader(self, caller, ident: str) -> dict:
        reader = self._get(caller, "terminal.reader", ident, name="terminal.reader")
        if reader.get("deleted"):
            raise errors.resource_missing("terminal.reader", ident, "id")
        return reader

    def retrieve_reader(self, caller, p: dict, ident: str) -> dict:
        return self._reader(caller, ident)

    def update_reader(self, caller, p: dict, ident: str) -> dict:
        reader = self._reader(caller, ident)
        if "label" in p:
            label = params.text(p, "label")
            reader["label"] = label or reader["serial_number"]  # '' puts the default label back
        reader["metadata"] = params.metadata(p, reader["metadata"])
        return self.store.put(caller.account, "terminal.reader", reader)

    def delete_reader(self, caller, p: dict, ident: str) -> dict:
        reader = self._reader(caller, ident)
        reader["deleted"] = True
        self.store.put(caller.account, "terminal.reader", reader)
        # Stripe's DeletedReader keeps the hardware's identity: device_type and serial_number.
        return {
            "id": ident,
            "object": "terminal.reader",
            "deleted": True,
            "device_type": reader["device_type"],
            "serial_number": reader["serial_number"],
        }

    def list_readers(self, caller, p: dict) -> dict:
        filters = {k: p[k] for k in ("location", "device_type", "status", "serial_number") if k in p}

        def keep(reader: dict) -> bool:
            return not reader.get("deleted") and all(reader.get(k) == v for k, v in filters.items())

        items = self._page(caller, "terminal.reader", p, self.store.ids(caller.account, "terminal.reader"), keep)
        return {"object": "list", "url": "/v1/terminal/readers", **items}

    # -- actions --------------------------------------------------------------------
    def _ready_for_action(self, reader: dict) -> None:
        """Refuse an action the reader cannot take now, with Stripe's codes."""
        if reader["status"] != "online":
            raise _reader_error("terminal_reader_offline", READER_OFFLINE)
        if reader.get("_unresponsive"):
            raise _reader_error("terminal_reader_timeout", READER_TIMEOUT)
        action = reader.get("action")
        # A cart on the display is in progress until cancel_action clears it, but it never holds the
        # reader: the next cart replaces it and a payment takes the screen over (Stripe's cart display).
        if action and action["status"] == "in_progress" and action["type"] != "set_reader_display":
            raise _reader_error("terminal_reader_busy", READER_BUSY)

    @staticmethod
    def _action(kind: str, body: dict, status: str = "in_progress") -> dict:
        return {
            "api_error": None,
            "collect_inputs": None,
            "collect_payment_method": None,
            "confirm_payment_intent": None,
            "failure_code": None,
            "failure_message": None,
            "print_content": None,
            "process_payment_intent": None,
            "process_setup_intent": None,
            "refund_payment": None,
            "set_reader_display": None,
            kind: body,
            "status": status,
            "type": kind,
        }

    def process_payment_intent(self, caller, p: dict, ident: str) -> dict:
        reader = self._reader(caller, ident)
        if not p.get("payment_intent"):
            raise errors.parameter_missing("payment_intent")
        pi = self._get(caller, "payment_intent", p["payment_intent"], param="payment_intent")
        config = p.get("process_config") or {}
        if not isinstance(config, dict):
            raise errors.validation("Invalid object", param="process_config")
        for key in config:
            if key not in ("enable_customer_cancellation", "skip_tipping", "tipping"):
                raise errors.not_in_sandbox(f"process_config[{key}]")
        if not {"card_present", "interac_present"} & set(pi["payment_method_types"]):
            raise errors.invalid_request(
                "The PaymentIntent must accept `card_present` to be processed on a reader; create it with "
                '`allowed_payment_method_types=["card_present"]`.',
                code="intent_invalid_state",
                param="payment_intent",
            )
        if pi["status"] not in ("requires_payment_method", "requires_confirmation"):
            raise errors.invalid_request(
                f"This PaymentIntent has a status of {pi['status']}; only a PaymentIntent that requires a "
                "payment method can be processed on a reader.",
                code="intent_invalid_state",
                param="payment_intent",
            )
        self._ready_for_action(reader)
        tipping = config.get("tipping") or {}
        reader["action"] = self._action(
            "process_payment_intent",
            {
                "payment_intent": pi["id"],
                "process_config": {
                    "enable_customer_cancellation": params.boolean(config, "enable_customer_cancellation"),
                    "return_url": None,
                    "skip_tipping": params.boolean(config, "skip_tipping"),
                    "tipping": {"amount_eligible": params.integer(tipping, "amount_eligible")} if tipping else None,
                },
            },
        )
        return self.store.put(caller.account, "terminal.reader", reader)

    def set_reader_display(self, caller, p: dict, ident: str) -> dict:
        reader = self._reader(caller, ident)
        if p.get("type") != "cart":
            raise (
                errors.parameter_missing("type") if "type" not in p else errors.validation("Invalid type", param="type")
            )
        cart = p.get("cart")
        if not isinstance(cart, dict):
            raise errors.parameter_missing("cart")
        code = params.currency(cart)
        items = cart.get("line_items")
        if not isinstance(items, list):
            raise errors.parameter_missing("cart[line_items]")
        lines = []
        for n, item in enumerate(items):
            if not isinstance(item, dict):
                raise errors.validation("Invalid object", param=f"cart[line_items][{n}]")
            for key in ("amount", "description", "quantity"):
                if key not in item:
                    raise errors.parameter_missing(f"cart[line_items][{n}][{key}]")
            lines.append(
                {
                    "amount": params.integer(item, "amount"),
                    "description": str(item["description"]),
                    "quantity": params.integer(item, "quantity"),
                }
            )
        if "total" not in cart:
            raise errors.parameter_missing("cart[total]")
        self._ready_for_action(reader)
        shown = {
            "currency": code,
            "line_items": lines,
            "tax": params.integer(cart, "tax"),
            "total": params.integer(cart, "total"),
        }
        # Stripe's answer (docs.stripe.com/api/terminal/readers/set_reader_display): the action stays
        # `in_progress` while the cart shows, until the next action or cancel_action clears it.
        reader["action"] = self._action("set_reader_display", {"cart": shown, "type": "cart"})
        return self.store.put(caller.account, "terminal.reader", reader)

    def cancel_action(self, caller, p: dict, ident: str) -> dict:
        reader = self._reader(caller, ident)
        if reader["status"] != "online":
            raise _reader_error("terminal_reader_offline", READER_OFFLINE)
        action = reader.get("action")
        if not action or action["status"] != "in_progress":
            raise errors.invalid_request(
                "This Reader has no in-progress action to cancel.", code="intent_invalid_state"
            )
        if action["type"] == "set_reader_display":
            # "To clear reader display on the server-driven integration, call the cancel_action
            # endpoint" (docs.stripe.com/terminal/features/display): the reader is back to its splash
            # screen, and its `action` is null, as in the API reference's example answer.
            reader["action"] = None
        else:
            self._fail_action(reader, "canceled", "The action was canceled by the point of sale.")
        return self.store.put(caller.account, "terminal.reader", reader)

    @staticmethod
    def _fail_action(reader: dict, code: str, message: str) -> None:
        reader["action"].update(status="failed", failure_code=code, failure_message=message)

    def _stop_readers_processing(self, caller, intent_id: str) -> None:
        """A cancelled PaymentIntent can no longer be paid: a reader waiting for it stops."""
        for ident in self.store.ids(caller.account, "terminal.reader"):
            reader = self.store.stored(caller.account, "terminal.reader", ident)
            action = reader.get("action")
            if action and action["status"] == "in_progress" and action["type"] == "process_payment_intent":
                if action["process_payment_intent"]["payment_intent"] == intent_id:
                    self._fail_action(reader, "canceled", "The PaymentIntent was canceled.")
                    self.store.put(caller.account, "terminal.reader", reader)

    def customer_cancels(self, caller, ident: str) -> dict:
        """The customer pressed Cancel on the reader (admin API: no test helper exists for it)."""
        reader = self._reader(caller, ident)
        action = reader.get("action")
        if not action or action["status"] != "in_progress":
            raise errors.invalid_request("This Reader has no in-progress action for the customer to cancel.")
        self._fail_action(reader, "customer_canceled", "This action has been canceled by the customer on the reader.")
        return self.store.put(caller.account, "terminal.reader", reader)

    # -- the customer, played by the test helper ----------------------------------------
    def present_payment_method(self, caller, p: dict, ident: str) -> dict:
        reader = self._reader(caller, ident)
        kind = params.choice(p, "type", ("card_present", "interac_present", "card"), "card_present")
        if kind == "card":
            raise errors.not_in_sandbox("type=card")
        action = reader.get("action")
        if not action or action["status"] != "in_progress" or action["type"] != "process_payment_intent":
            raise errors.invalid_request(
                "This Reader is not waiting for a payment method: process a PaymentIntent on it first.",
                code="terminal_reader_busy" if action and action["status"] == "in_progress" else None,
            )
        detail = p.get(kind) or {}
        if not isinstance(detail, dict):
            raise errors.validation("Invalid object", param=kind)
        number = str(detail.get("number") or DEFAULT_PRESENT[str(kind)])
        card = PRESENT_CARDS.get(number)
        if card is None or card.kind != kind:
            raise errors.invalid_request(
                f"{number[-4:]} is not one of Stripe's test {kind} numbers this sandbox knows.", param=f"{kind}[number]"
            )
        tip = params.integer(p, "amount_tip") or 0
        if tip < 0:
            raise errors.validation("This value must be greater than or equal to 0.", param="amount_tip")
        pi = self._intent(caller, action["process_payment_intent"]["payment_intent"])
        if kind not in pi["payment_method_types"]:
            self._fail_action(
                reader,
                "payment_intent_incompatible_payment_method",
                f"The PaymentIntent does not accept {kind} payment methods.",
            )
            return self.store.put(caller.account, "terminal.reader", reader)
        pm = self._present_method(caller, card)
        config = action["process_payment_intent"]["process_config"] or {}
        if config.get("skip_tipping"):
            tip = 0  # the reader never showed the tip screen, so the customer could not add one
        if tip and not card.decline:
            pi["amount"] += tip
            pi["amount_details"] = {**(pi.get("amount_details") or {}), "tip": {"amount": tip}}
        charge = self._present_charge(caller, pi, pm, card, reader)
        pi["latest_charge"] = charge["id"]
        if card.decline:
            self._declined(caller, pi, pm, charge, card.decline)
            self._fail_action(reader, card.decline.code, card.decline.message)
            return self.store.put(caller.account, "terminal.reader", reader)
        self._authorised(caller, pi, pm)
        action["status"] = "succeeded"
        return self.store.put(caller.account, "terminal.reader", reader)

    def _present_method(self, caller, card: PresentCard) -> dict:
        details: dict[str, Any] = {
            "brand": card.brand,
            "cardholder_name": None,
            "country": card.country,
            "description": None,
            "exp_month": 12,
            "exp_year": self._year() + 3,
            "fingerprint": self._new_id("fp", 16)[3:],
            "funding": card.funding,
            "iin": None,
            "issuer": None,
            "last4": card.last4,
            "preferred_locales": ["en"],
            "read_method": "contactless_emv",
        }
        if card.kind == "card_present":
            details.update(brand_product=None, networks={"available": [card.brand], "preferred": None})
            details.update(offline=None, wallet={"type": "unknown"})
        else:
            details["networks"] = {"available": ["interac"], "preferred": None}
        return self._method(caller, card.kind, details)

    def _present_charge(self, caller, pi: dict, pm: dict, card: PresentCard, reader: dict) -> dict:
        failed = card.decline is not None
        captured = not failed and pi["capture_method"] != "manual"
        authorization = None if failed else f"{secrets.randbelow(10**6):06d}"
        seen = pm[card.kind]
        details: dict[str, Any] = {
            "amount_authorized": None if failed else pi["amount"],
            "brand": card.brand,
            "cardholder_name": None,
            "country": card.country,
            "description": None,
            "emv_auth_data": secrets.token_hex(8).upper(),
            "exp_month": seen["exp_month"],
            "exp_year": seen["exp_year"],
            "fingerprint": seen["fingerprint"],
            "funding": card.funding,
            "generated_card": None,
            "iin": None,
            "issuer": None,
            "last4": card.last4,
            "location": reader["location"],
            "network": card.brand,
            "network_transaction_id": None if failed else secrets.token_hex(8),
            "preferred_locales": ["en"],
            "read_method": "contactless_emv",
            "reader": reader["id"],
            "receipt": {
                "account_type": "credit" if card.funding == "credit" else "checking",
                "application_cryptogram": secrets.token_hex(8).upper(),
                "application_preferred_name": _application_name(card),
                "authorization_code": authorization,
                "authorization_response_code": "5A33" if failed else "3030",
                "cardholder_verification_method": card.verification,
                "dedicated_file_name": APPLICATIONS[card.brand][0],
                "terminal_verification_results": "0000000000",
                "transaction_status_information": "0000",
            },
        }
        if card.kind == "card_present":
            details.update(
                brand_product=None,
                # Stripe documents two days to capture a card_present authorisation.
                capture_before=None if failed or captured else self.now() + 2 * 86400,
                incremental_authorization_supported=False,
                offline=None,
                overcapture_supported=False,
                wallet={"type": "unknown"},
            )
        return self._new_charge_record(
            caller, pi, pm, card.decline, {card.kind: details, "type": card.kind}, authorization
        )
