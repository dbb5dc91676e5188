"""The one base of the errors the till shows a person: `str(exc)` is already in their words.

Every rule the domain checks (a cart, money typed in, a PIN, a refund's amount) and every service
that can refuse (storage, settings, the shop database, the card reader, the printer, the keyring)
raises a subclass, so a window or the command line catches `PosError` where it means "anything the
till refused, say why" and lets a bug (anything else) surface as one.

It lives in the domain, the lowest layer, so the domain's rules and the services' refusals share it.
Two families stay outside on purpose: the payment provider's `GatewayError`s (in the provider's
words, maybe with its ids; the payment machine turns them into the cashier's, `sale_phases.gateway_message`)
and `JournalIntegrityError` (the journal disagrees with the provider: a person must look, not retry).
"""

from __future__ import annotations


class PosError(Exception):
    """Something the till refused or could not do; the message says what and what to do, for the cashier."""
