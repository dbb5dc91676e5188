"""Gift cards and store credit: issue, reload, check, redeem, give back (the ledger's port and service).

A card's balance is its ledger (domain/giftcards.py). A till with no shop database keeps its cards in
its own SQLite (`adapters/db/giftcards.py`); a till of a shop issues its cards at the shop database
(`adapters/shop/giftcards.py`), where every till can redeem them, each redemption one shop transaction
that locks the card's row. A till still finds its own till-only cards (issued before it joined a
shop) in its SQLite. Every entry carries a unique key, so a step repeated (a double press, recovery
after a crash) writes it once; a redemption's key comes from the sale's journal (`redemption_key`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable, Protocol

from pos.domain.errors import PosError
from pos.domain.giftcards import (
    Card,
    EntryKind,
    Entry,
    Purpose,
    check_card_amount,
    expired_message,
    expiry_day,
    new_code,
    parse_code,
)
from pos.domain.money import Money


class GiftCardError(PosError):
    """A gift card step refused; the message is in the cashier's words."""


class UnknownCard(GiftCardError):
    pass


class NotEnough(GiftCardError):
    pass


class LedgerUnavailable(GiftCardError):
    """The ledger that holds the card cannot be reached (the shop database away)."""


class Expired(GiftCardError):
    """The card's expiry day has come: it cannot be spent or reloaded."""


class KeyGivenUp(GiftCardError):
    """A redemption key recovery closed before it debited: it never debits."""


class GivenBackAlready(GiftCardError):
    """A receipt's gift card part would go back onto its card beyond what the part paid (its refunds
    onto the card, at every till of the shop, add up under the card's lock)."""

    def __init__(self, given: Money, paid: Money):
        super().__init__(
            f"This part of the receipt was paid {paid} by the card, and {given} of it is back on the card already "
            "(refunded at this or another till). Give this part back as store credit instead."
        )


def redemption_key(sale_key: str) -> str:
    """The ledger entry of a gift card part: its key comes from the part's journal row."""
    return f"pos-{sale_key}-redeem"


def card_sale_key(sale_key: str, line_no: int) -> str:
    """The issue (or reload) entry of a gift card sold as a cart line."""
    return f"pos-{sale_key}-giftcard-{line_no}"


class GiftCardLedger(Protocol):
    """One place that holds cards and their entries. Each method that writes is one transaction, and
    the same key twice writes once (the second call answers what the first wrote)."""

    shop: bool  # True: the shop database (every till's), False: this till's own SQLite

    def issue(self, code: str, purpose: Purpose, amount: Money, key: str, expires_on: str = "") -> Card: ...
    def credit(
        self, code: str, kind: EntryKind, amount: Money, key: str, note: str = "", cap: int | None = None
    ) -> Card: ...
    def given_back(self, code: str, note: str) -> int: ...
    def redeem(self, code: str, amount: Money, key: str) -> Entry: ...
    def settle_key(self, code: str, key: str) -> Entry: ...
    def find(self, code: str) -> Card | None: ...
    def entries(self, code: str) -> list[Entry]: ...
    def cards(self) -> list[Card]: ...
    def expire_due(self, today: str) -> list[tuple[Card, Entry]]: ...


class ShopLedger(GiftCardLedger, Protocol):
    """The shop's ledger also answers which card a till redeemed (its entries name the till)."""

    def redeemed_at(self, till_id: str, last4: str, amount: Money, purpose: Purpose) -> list[str]: ...


@dataclass(frozen=True)
class Located:
    card: Card
    ledger: GiftCardLedger


class GiftCards:
    """The service the counter, the payment machine and the CLI call."""

    def __init__(
        self,
        till: GiftCardLedger,
        currency: Callable[[], str],
        shop: Callable[[], ShopLedger | None] = lambda: None,
        today: Callable[[], date] = date.today,
        expiry_months: Callable[[], int] = lambda: 0,
    ):
        self._till, self._currency, self._shop = till, currency, shop
        # The store's calendar day, and the owner's expiry setting (0: cards never expire, the default).
        self._today, self._expiry_months = today, expiry_months

    def issuing_ledger(self) -> GiftCardLedger:
        """Where a new card goes: the shop's ledger when the till is in a shop, else the till's."""
        return self._shop() or self._till

    def ledger(self, shop: bool) -> GiftCardLedger:
        """The ledger a journaled redemption named: the shop's (LedgerUnavailable if the till has none
        now) or the till's own."""
        if not shop:
            return self._till
        found = self._shop()
        if found is None:
            raise LedgerUnavailable("This till is not joined to the shop database that holds the card.")
        return found

    def issue(self, amount: Money, key: str, purpose: Purpose = Purpose.GIFT_CARD) -> Card:
        """A new card holding `amount` (the CLI, store credit); once per key. A gift card issued on its
        own keeps the counter's limit (a store credit is what a refund gave back, whatever it was)."""
        return self.activate(new_code(), amount, key, purpose)

    def activate(self, code: str, amount: Money, key: str, purpose: Purpose = Purpose.GIFT_CARD) -> Card:
        """The card with this code (chosen when it was rung up) issued holding `amount`; once per key.
        A gift card keeps the counter's limit at every door (check_card_amount)."""
        if amount.minor <= 0:
            raise GiftCardError("A gift card must hold more than nothing.")
        if purpose is Purpose.GIFT_CARD:
            try:
                check_card_amount(amount)
            except ValueError as exc:
                raise GiftCardError(str(exc)) from None
        if amount.currency != self._currency():
            raise GiftCardError(f"This till sells in {self._currency()}, not {amount.currency}.")
        # Store credit is what a refund gave back: it never expires. A gift card only when the owner set it.
        months = self._expiry_months() if purpose is Purpose.GIFT_CARD else 0
        ends = expiry_day(self._today(), months)
        return self.issuing_ledger().issue(code, purpose, amount, key, ends.isoformat() if ends else "")

    @property
    def joined(self) -> bool:
        """Whether this till is joined to a shop database (reachable or not)."""
        return self._shop() is not None

    def redeemed_at(self, till_id: str, last4: str, amount: Money, purpose: Purpose) -> list[str]:
        """The codes of the shop's cards of `purpose` ending in `last4` that till `till_id` redeemed
        `amount` from (another till's receipt names its card so). LedgerUnavailable: the shop away."""
        shop = self._shop()
        if shop is None:
            raise LedgerUnavailable("This till is not joined to the shop database that holds the card.")
        return shop.redeemed_at(till_id, last4, amount, purpose)

    def today(self) -> date:
        """The store's calendar day (its time zone): the day a card's expiry is read against."""
        return self._today()

    def usable(self, text: str) -> Located:
        """The card a code names, refused (Expired, in the cashier's words) once its expiry day has come:
        what a redemption and a reload start from."""
        found = self.locate(text)
        if found.card.expired(self.today()):
            raise Expired(expired_message(found.card))
        return found

    def expire_due(self) -> tuple[list[tuple[Card, Entry]], str]:
        """`pos giftcards expire`: what is left on every card whose day has come taken off, once (the
        till's cards, then the shop's). The second value is why the shop's were not ("" when they were)."""
        today = self.today().isoformat()
        done = self._till.expire_due(today)
        shop = self._shop()
        if shop is None:
            return done, ""
        try:
            return done + shop.expire_due(today), ""
        except LedgerUnavailable as exc:
            return done, f"The shop database cannot be reached, so its cards were not expired: {exc}"

    def locate(self, text: str) -> Located:
        """The card a typed or scanned code names, and the ledger that holds it (cashier's words if not)."""
        code = parse_code(text)  # BadCode (a ValueError) before anything is looked up
        card = self._till.find(code)
        if card is not None:
            return Located(card, self._till)
        shop = self._shop()
        if shop is None:
            raise UnknownCard("No gift card with this code was sold at this till.")
        try:
            card = shop.find(code)
        except LedgerUnavailable as exc:
            raise LedgerUnavailable(
                "This card is held at the shop, which this till cannot reach now: it cannot be used until "
                f"the shop is back. Take another tender. ({exc})"
            ) from None
        if card is None:
            raise UnknownCard("No gift card with this code was sold in this shop.")
        return Located(card, shop)

    def balance(self, text: str) -> Card:
        return self.locate(text).card

    def reload(self, text: str, amount: Money, key: str) -> Card:
        if amount.minor <= 0:
            raise GiftCardError("A reload must add more than nothing.")
        found = self.locate(text)  # a reload already paid for is written even if the card expired since
        if found.card.purpose is not Purpose.GIFT_CARD:
            raise GiftCardError("Store credit is not reloaded; sell a gift card instead.")
        _same_currency(found.card, amount)
        return found.ledger.credit(found.card.code, EntryKind.RELOAD, amount, key)

    def give_back(self, text: str, amount: Money, key: str, note: str = "") -> Card:
        """A refund or void of a sale paid by the card: the money goes back onto it (once per key)."""
        found = self.locate(text)
        _same_currency(found.card, amount)
        return found.ledger.credit(found.card.code, EntryKind.REFUND_TO_CARD, amount, key, note)

    def cards(self) -> list[Card]:
        shop = self._shop()
        own = self._till.cards()
        return own + (shop.cards() if shop is not None else [])


def _same_currency(card: Card, amount: Money) -> None:
    """A ledger adds minor units: an amount in another currency would be counted as the card's."""
    if amount.currency != card.balance.currency:
        raise GiftCardError(f"This card holds {card.balance.currency}, not {amount.currency}.")
