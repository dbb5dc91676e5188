"""Stripe's Charge endpoints, and the charge a confirm or a reader makes of an intent."""

from __future__ import annotations

import secrets

from .payment_methods import PaymentMethods
from .resources import Caller, new_id


class Charges(PaymentMethods):
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

    def _release(self, caller: Caller, charge_id: str, amount: int) -> None:
        charge = self.store.stored(caller.account, "charge", charge_id)
        charge["_released"] = charge.get("_released", 0) + amount
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        self.store.put(caller.account, "charge", charge)

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
