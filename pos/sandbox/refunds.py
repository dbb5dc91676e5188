"""Stripe's Refund endpoints: a refund of a charge, by the charge or by its PaymentIntent."""

from __future__ import annotations

from . import currencies, errors, params
from .payment_intents import PaymentIntents
from .resources import Caller, new_id


class Refunds(PaymentIntents):
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
