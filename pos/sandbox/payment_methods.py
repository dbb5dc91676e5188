"""Stripe's PaymentMethod endpoints: a test payment method's name makes a card PaymentMethod."""

from __future__ import annotations

from datetime import datetime, timezone

from . import errors
from .cards import CARD_BEHAVIOUR
from .resources import Caller, Resources, new_id


class PaymentMethods(Resources):
    def _payment_method(self, caller: Caller, ident: str, param: str = "payment_method", status=400) -> dict:
        existing = self.store.get(caller.account, "payment_method", ident)
        if existing is not None:
            return existing
        card = CARD_BEHAVIOUR.get(ident)
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
