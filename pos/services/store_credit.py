"""Store credit: a refund given as a code the customer spends later, instead of to the tenders that paid.

Issuing it is a phase of the refund machine (refund_phases.py): the refund piece is journaled as
sent with its refund_key, then the credit is issued under that key (the ledger gives the same code
back when asked again with it), then the piece is numbered. A crash between any two finds the piece
sent, and recovery issues under the same key: exactly one code, whatever stopped where.
"""

from __future__ import annotations

from typing import Protocol

from pos.domain.giftcards import Purpose, format_code
from pos.domain.money import Money

from .giftcards import GiftCards


class StoreCreditLedger(Protocol):
    """Where store credit is issued."""

    def issue(self, key: str, amount: Money) -> str:
        """The code of the credit issued under `key`: issued now, or found if it was issued before.
        StorageError or GiftCardError (the shop away) if it could not be written; then none was."""
        ...


class GiftCardStoreCredit:
    """Store credit as a card of the gift-card ledger with purpose store_credit (services/giftcards.py):
    at the shop database when the till is in a shop, else the till's own; spent as a tender like a
    gift card. The ledger writes a key once, so the same refund piece asked again gets the same code."""

    def __init__(self, cards: GiftCards):
        self.cards = cards

    def issue(self, key: str, amount: Money) -> str:
        card = self.cards.issue(amount, f"pos-credit-{key}", Purpose.STORE_CREDIT)
        return format_code(card.code)
