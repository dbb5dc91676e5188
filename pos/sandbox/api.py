"""The sandbox's Stripe API: one class, built from one module per resource.

    resources.py        the caller, ids, rendering at the caller's version, list pagination
    payment_methods.py  PaymentMethods (test payment method names)
    charges.py          Charges
    payment_intents.py  PaymentIntents
    refunds.py          Refunds
    terminal.py         Terminal: locations, readers and their actions

Every handler runs under the store's lock with the caller (account and API version) and returns the
JSON object to answer with; failures raise `errors.StripeError`.
"""

from __future__ import annotations

from .refunds import Refunds
from .resources import Caller, new_id
from .terminal import TerminalMixin

__all__ = ["Caller", "StripeAPI", "new_id"]


class StripeAPI(TerminalMixin, Refunds):
    """Every endpoint the sandbox serves."""
