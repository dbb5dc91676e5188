"""Gift cards and store credit: the card's code and its balance ledger's arithmetic.

A code is 16 characters from an alphabet without look-alikes (no 0/O, 1/I/L, U), printed in groups
of four: 15 drawn at random by the operating system's generator (73 bits and more: one code tells nothing
about another) and a check character (a weighted sum modulo 31), so a mistyped character or any two
swapped characters are refused before any lookup. The balance is never stored on its own: it is the
sum of the card's ledger entries (issue, reload, refund to card add; redeem, expire take away).
"""

from __future__ import annotations

import calendar
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Iterable

from .catalog import GIFT_CARD_SKUS, Product
from .errors import PosError
from .money import Money
from .text import printable

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # 30 characters: no 0 O 1 I L U
RANDOM_LENGTH = 15
GROUP = 4


class Purpose(StrEnum):
    """What a card holds: a gift card sold at the counter, or store credit given back on a refund."""

    GIFT_CARD = "gift_card"
    STORE_CREDIT = "store_credit"


class EntryKind(StrEnum):
    ISSUE = "issue"  # the card sold (activated) with its first amount
    RELOAD = "reload"  # another amount sold onto the card
    REDEEM = "redeem"  # spent as a tender
    REFUND_TO_CARD = "refund_to_card"  # a refunded or voided sale paid by the card gives it back
    EXPIRE = "expire"  # what was left taken off at expiry
    CANCELLED = "cancelled"  # a redemption key given up before it debited anything (amount 0)


# How each entry moves the balance.
_SIGN = {
    EntryKind.ISSUE: 1,
    EntryKind.RELOAD: 1,
    EntryKind.REFUND_TO_CARD: 1,
    EntryKind.REDEEM: -1,
    EntryKind.EXPIRE: -1,
    EntryKind.CANCELLED: 0,
}


class BadCode(PosError, ValueError):
    """A code that cannot be a card's: the message is in the cashier's words."""


_PRIME = 31  # the smallest prime above the alphabet's size


def _weighted(code: str) -> int:
    """The sum of each character's value times its position (1, 2, …), modulo 31. The weights differ
    and none is 0 modulo a prime larger than any difference of two values, so a code whose sum is 0
    stops being so when any one character changes or any two swap places."""
    return sum((n + 1) * ALPHABET.index(char) for n, char in enumerate(code)) % _PRIME


def check_character(body: str) -> str | None:
    """The character that brings the whole code's weighted sum to 0; None when that value is 30, which
    has no character (such a body is drawn again: it costs the code no guessable structure)."""
    value = (-_weighted(body) * pow(len(body) + 1, -1, _PRIME)) % _PRIME
    return ALPHABET[value] if value < len(ALPHABET) else None


def new_code() -> str:
    while True:
        body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
        check = check_character(body)
        if check is not None:
            return body + check


def format_code(code: str) -> str:
    """As printed: XXXX-XXXX-XXXX-XXXX."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def parse_code(text: str) -> str:
    """The code as stored, from what was typed or scanned (any case, spaces or dashes); BadCode if it
    cannot be one, before anything is looked up."""
    # A scanner ends the code with a line end, a phone types an en dash or full-width letters: the
    # compatibility form, no white space of any kind and no dash of any kind, then the rules.
    normal = unicodedata.normalize("NFKC", text).upper()
    cleaned = "".join(ch for ch in normal if not ch.isspace() and unicodedata.category(ch) != "Pd")
    if not cleaned:
        raise BadCode("Type or scan the gift card's code.")
    if len(cleaned) != RANDOM_LENGTH + 1:
        raise BadCode(f"A gift card code has {RANDOM_LENGTH + 1} characters; this one has {len(cleaned)}.")
    bad = next((ch for ch in cleaned if ch not in ALPHABET), None)
    if bad is not None:
        # Look-alikes (0 O 1 I L U) are left out of codes, so one typed is a misread, not a code.
        shown = f"'{bad}'" if bad.isprintable() else f"control character U+{ord(bad):04X}"  # never echoed raw
        raise BadCode(f"A gift card code has no {shown}: check the code on the card.")
    if _weighted(cleaned):
        raise BadCode("That is not a gift card code: a character is wrong. Check the code on the card.")
    return cleaned


@dataclass(frozen=True)
class Entry:
    kind: EntryKind
    amount: Money  # always zero or positive; the kind says which way it moves the balance
    key: str  # unique: the same step repeated writes it once
    at: str = ""
    note: str = ""

    @property
    def signed_minor(self) -> int:
        return _SIGN[self.kind] * self.amount.minor


def balance(entries: Iterable[Entry], currency: str) -> Money:
    return Money(sum(entry.signed_minor for entry in entries), currency)


def redeemable(balance_: Money, due: Money, asked: Money | None = None) -> Money:
    """What a redemption takes: the smaller of the balance and what is due, or less if the cashier
    asked for less. Raises ValueError (cashier's words) for an amount the card or the sale cannot take."""
    if balance_.currency != due.currency:
        raise ValueError(f"This card holds {balance_.currency}; the sale is in {due.currency}.")
    most = min(balance_.minor, due.minor)
    if asked is None:
        if most <= 0:
            raise ValueError("This card has nothing left on it." if balance_.minor <= 0 else "Nothing is due.")
        return Money(most, due.currency)
    if asked.currency != due.currency:
        raise ValueError(f"The sale is in {due.currency}, not {asked.currency}.")
    if asked.minor <= 0:
        raise ValueError("Type an amount more than nothing.")
    if asked.minor > balance_.minor:
        raise ValueError(f"The card holds only {balance_}.")
    if asked.minor > due.minor:
        raise ValueError(f"The sale owes only {due}.")
    return asked


@dataclass(frozen=True)
class Card:
    code: str
    purpose: Purpose
    balance: Money
    issued_at: str
    shop: bool = False  # held at the shop database (False: this till's own)
    # The store's calendar day from which it can no longer be spent (ISO); "" never. Stamped when
    # it is issued, from the owner's setting then: a later setting never shortens a card already sold.
    expires_on: str = ""

    def expiry(self) -> date | None:
        """The expiry as a calendar day; None when the card has none, or when what is kept is not a
        day (YYYY-MM-DD): the shop's row is another program's or an owner's to write ("31/12/2027").
        A day that cannot be read is taken as no expiry, in the customer's and the owner's interest
        alike: the money was paid, and a string's order (was: the comparison) is no reason to refuse
        it. Every door that reads the card says so (expiry_unreadable)."""
        return read_expiry(self.expires_on)

    def expiry_unreadable(self) -> bool:
        """An expiry is kept that is not a calendar day (taken as none: expiry)."""
        return bool(self.expires_on) and self.expiry() is None

    def expired(self, today: date) -> bool:
        day = self.expiry()
        return day is not None and today >= day


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def read_expiry(kept: str | None) -> date | None:
    """A card's kept expiry as a calendar day (Card.expiry); None: none, or not a day."""
    if not kept or not _ISO_DAY.fullmatch(kept):
        return None
    try:
        return date.fromisoformat(kept)
    except ValueError:  # 2027-02-30
        return None


def unreadable_expiry_message(card: Card) -> str:
    """What the owner and the cashier are told of a card whose expiry day cannot be read."""
    where = "the shop database" if card.shop else "this till's database"
    return (
        f'its expiry day "{printable(card.expires_on)[:32]}" is not a calendar day (YYYY-MM-DD), so it is '
        f"taken as no expiry; correct the card's row in {where}"
    )


MAX_EXPIRY_MONTHS = 600  # 50 years: any longer is no expiry at all


def expiry_day(issued: date, months: int) -> date | None:
    """The day a card issued on `issued` expires, `months` later (0: never). A month without that day
    ends it on its last day (31 January + 1 month: 28 or 29 February), as calendars of contracts do."""
    if months <= 0:
        return None
    index = issued.month - 1 + months
    year, month = issued.year + index // 12, index % 12 + 1
    return date(year, month, min(issued.day, calendar.monthrange(year, month)[1]))


def expired_message(card: Card) -> str:
    """Why an expired card cannot pay, in the cashier's words."""
    what = "This store credit" if card.purpose is Purpose.STORE_CREDIT else "This gift card"
    return f"{what} expired on {card.expires_on}: it cannot be used."


# A gift card sold at the counter is a cart line whose SKU carries its code (chosen when the line is
# added, printed on the receipt, activated when the sale is paid); no tax: it is money kept, not a sale
# of goods until it is spent.
SOLD_PREFIX = GIFT_CARD_SKUS + ":"
RELOAD_PREFIX = GIFT_CARD_SKUS + "-RELOAD:"
CATEGORY = "Gift cards"
MAX_AMOUNT_MINOR = 99_999_999  # as the catalog's largest price


def check_card_amount(amount: Money) -> None:
    """What one gift card may be sold holding, at every door (the counter's line, `pos giftcards issue`);
    ValueError in the cashier's words."""
    if amount.minor <= 0:
        raise ValueError("A gift card must hold more than nothing.")
    if amount.minor > MAX_AMOUNT_MINOR:
        raise ValueError(f"A gift card can hold at most {Money(MAX_AMOUNT_MINOR, amount.currency)}.")


def card_line(amount: Money, code: str, reload: bool = False) -> Product:
    """The cart line that sells `amount` onto a new card (or onto an existing one: a reload)."""
    check_card_amount(amount)
    if reload:
        return Product(RELOAD_PREFIX + code, f"Gift card reload {format_code(code)}", CATEGORY, amount, 0)
    return Product(SOLD_PREFIX + code, f"Gift card {format_code(code)}", CATEGORY, amount, 0)


def sold_card(sku: str) -> tuple[str, bool] | None:
    """(code, is a reload) for a line that sells a gift card, None for any other line."""
    if sku.startswith(RELOAD_PREFIX):
        return sku[len(RELOAD_PREFIX) :], True
    if sku.startswith(SOLD_PREFIX):
        return sku[len(SOLD_PREFIX) :], False
    return None
