"""The shop's gift cards: the ledger's rules (adapters/db/giftcards.SqlLedger) on the shop database.

Every write is one shop transaction that first locks the card's row (SELECT … FOR UPDATE; a trial
shop on SQLite takes its one write lock at BEGIN IMMEDIATE), then reads the card's entries: two tills
redeeming one card at once take turns, and the second sees what the first took. An entry's key is
unique across the shop, so a till repeating a step (recovery after a crash) writes it once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from pos.adapters.db.giftcards import SqlLedger
from pos.domain.giftcards import EntryKind, Purpose
from pos.domain.money import Money
from pos.services.giftcards import LedgerUnavailable
from pos.services.shop import ShopUnreachable

from . import tables as t
from .connect import shop_errors


class ShopGiftCards(SqlLedger):
    shop = True
    unknown = "No gift card with this code was sold in this shop."

    def __init__(self, shop: Engine, ready: Callable[[], None], till_id: Callable[[], str]):
        super().__init__(t.GIFT_CARDS, t.GIFT_CARD_ENTRIES)
        self._shop, self._ready, self._till_id = shop, ready, till_id

    @contextlib.contextmanager
    def _begin(self) -> Iterator[Connection]:
        """A shop transaction; the shop away is LedgerUnavailable (the service words it for the cashier)."""
        try:
            with shop_errors():
                self._ready()
                with self._shop.begin() as conn:
                    yield conn
        except ShopUnreachable as exc:
            raise LedgerUnavailable(str(exc)) from None

    def _extra(self) -> dict[str, Any]:
        return {"till_id": self._till_id()}

    def redeemed_at(self, till_id: str, last4: str, amount: Money, purpose: Purpose) -> list[str]:
        """The codes of cards of `purpose` ending in `last4` that till `till_id` redeemed `amount` from
        (one read; the code's alphabet has no LIKE wildcard)."""
        C, E = self.CARDS, self.ENTRIES
        query = (
            select(C.c.code)
            .distinct()
            .join(E, E.c.card_id == C.c.id)
            .where(
                E.c.till_id == till_id,
                E.c.kind == EntryKind.REDEEM.value,
                E.c.amount_minor == amount.minor,
                C.c.currency == amount.currency,
                C.c.purpose == purpose.value,
                C.c.code.endswith(last4),
            )
            .order_by(C.c.code)
        )
        with self._begin() as conn:
            return list(conn.execute(query).scalars())
