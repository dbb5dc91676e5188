"""The receipts service: what the back office asks of the receipts on record (no SQL here).

The receipts window searches with a ReceiptQuery and lists ReceiptSummary rows, a page
at a time; reprints come with the refunds printed since. The database adapter is the store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Iterator, Protocol

from pos.domain.errors import PosError
from pos.domain.money import Money
from pos.domain.receipt import Receipt
from pos.domain.refunds import RefundReceipt
from pos.domain.tender import TenderKind
from pos.domain.text import quoted_short

from .refund_journal import RefundJournal
from .states import RefundState

PAGE = 100

# till_id last: the earlier columns keep their places for scripts that read them by position.
EXPORT_COLUMNS = (
    "receipt_no",
    "created_at",
    "currency",
    "total_minor",
    "tax_minor",
    "payment_intent",
    "status",
    "card_brand",
    "card_last4",
    "refunded_minor",
    "till_id",
    "discount_minor",
    "cash_minor",  # kept in the drawer: cash handed over less change
    "card_minor",
    "change_minor",
    "rounding_minor",  # cash + card + gift card + store credit = total_minor + rounding_minor
    "cashier",  # who sold it ("" when the shop has no cashiers)
    "gift_card_minor",  # paid by gift card (issue 24): from the receipt's tenders, as the next one
    "store_credit_minor",
)
# The kinds with a column of their own in the export that the receipt row does not store: summed
# from the receipt's tenders of that kind (cash_minor and card_minor are stored, each from its own kind).
TENDER_COLUMNS = {"gift_card_minor": TenderKind.GIFT_CARD, "store_credit_minor": TenderKind.STORE_CREDIT}
# The JSON export also lists each receipt's tenders: type (a TenderKind: cash, card, card_present,
# gift_card, store_credit), amount_minor, payment_intent, card_last4.


@dataclass(frozen=True)
class ReceiptSummary:
    id: int
    receipt_no: int
    till_id: str
    created_at: datetime
    total: Money
    card_brand: str | None
    card_last4: str | None
    payment_intent: str | None
    status: str
    refunded: Money
    cash: Money | None = None  # the part paid in cash, if any
    # The other kinds that paid it (gift card, store credit), read from its tenders: the receipt row
    # stores only the card and cash parts.
    others: tuple[TenderKind, ...] = ()

    @property
    def paid_by(self) -> str:
        """How it was paid, as the history list shows it: "VISA 4242", "Cash", "VISA 4242 + cash",
        "Gift card", "Store credit + cash"."""
        card = f"{(self.card_brand or '').upper()} {self.card_last4 or ''}".strip()
        words = [kind.words.lower() for kind in self.others]
        if self.cash and self.cash.minor:
            words.append("cash")
        if card:
            return " + ".join([card, *words])
        text = " + ".join(words)
        return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class ReceiptQuery:
    """What the receipts window searches by: kind is all, number, intent, last4, number_or_last4
    (four digits typed, read_search), amount or dates."""

    kind: str = "all"
    text: str = ""
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    till: str = ""  # a number's till, when typed with it (T2-0042): that till's receipt only


class QueryError(PosError, ValueError):
    pass


@dataclass(frozen=True)
class Criterion:
    """A search checked and parsed: what each store (this till's SQLite, the shop database) matches.
    kind: all (value None), number (int), intent (str), last4 (str), number_or_last4 (the four
    digits, str: a receipt number or a card's last 4), amount (minor units, int) or
    dates (the first and last calendar day, inclusive, in the store's time zone)."""

    kind: str
    value: int | str | tuple[date, date] | None = None
    till: str = ""  # a number kind's till when one was typed ("": any till's, or this till's own)

    @property
    def days(self) -> tuple[date, date]:
        """A date search's first and last day."""
        assert isinstance(self.value, tuple), self.kind
        return self.value


def criterion(query: ReceiptQuery, currency: str) -> Criterion:
    """QueryError in the cashier's words for a search that cannot be run."""
    text = ascii_digits(query.text.strip())
    if query.kind == "all":
        return Criterion("all")
    if query.kind == "number":
        if not _DIGITS.fullmatch(text):
            raise QueryError("A receipt number is digits only, like 42 or 0042.")
        if len(text.lstrip("0")) > _MOST_DIGITS:  # past what a store's integer holds: no such receipt
            raise QueryError(f"No receipt has a number that long ({len(text)} digits).")
        return Criterion("number", int(text), query.till.strip())
    if query.kind == "intent":
        if not text.startswith("pi_"):
            raise QueryError("A payment id starts with pi_.")
        return Criterion("intent", text)
    if query.kind == "last4":
        if not (len(text) == 4 and _DIGITS.fullmatch(text)):
            raise QueryError("Type the card's last four digits.")
        return Criterion("last4", text)
    if query.kind == "number_or_last4":  # four digits from the one search box: either, both listed
        if not (len(text) == 4 and _DIGITS.fullmatch(text)):
            raise QueryError("Type the card's last four digits or a receipt number.")
        return Criterion("number_or_last4", text)
    if query.kind == "amount":
        try:
            amount = Money.parse(text, currency)
        except ValueError:
            raise QueryError(f"Type an amount like 12.40 ({currency}).") from None
        if abs(amount.minor) >= 10**_MOST_DIGITS:  # past what a store's integer holds: no such total
            raise QueryError(f"No receipt has a total that large ({amount.major_text()[:24]}…).")
        return Criterion("amount", amount.minor)
    if query.kind == "dates":
        if query.date_from is None or query.date_to is None or query.date_from > query.date_to:
            raise QueryError("Choose a start date on or before the end date.")
        # The calendar's ends (0001-01-01, 9999-12-31) have no day before or after in every time
        # zone; no receipt is that old or that late, so the search is the same held a day inside them.
        first, last = (min(max(day, _FIRST_DAY), _LAST_DAY) for day in (query.date_from, query.date_to))
        return Criterion("dates", (first, last))
    raise QueryError(f"unknown search kind {query.kind}")


_FIRST_DAY, _LAST_DAY = date(1900, 1, 2), date(9998, 12, 30)
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also takes "²", which int() refuses
_MOST_DIGITS = 18  # a receipt number or minor-unit total past this overflows SQLite's 64-bit INTEGER


def ascii_digits(text: str) -> str:
    """Every decimal digit as its ASCII digit: ٤٢٤٢ (Arabic-Indic) and ４２ (full-width, as some input
    methods type) are 4242 and 42; "²" and "½" are no decimal digits and stay as they are."""
    return "".join(str(int(c)) if c.isdecimal() and not c.isascii() else c for c in text)


SEARCH_HELP = "a receipt number, an amount (12.40), a date (2026-03-14, today), a card's last 4 or a payment id (pi_…)"

_DATE = r"\d{4}-\d{1,2}-\d{1,2}|today|yesterday"
_RANGE = re.compile(rf"^({_DATE})\s*(?:\.\.|to|–|—|-)\s*({_DATE})$", re.IGNORECASE)
# T1-0042 (DEMO-T1-0042), as the shop-wide list numbers them: a till id starts with a letter.
_TILL_NUMBER = re.compile(r"^([A-Za-z][A-Za-z0-9-]*)-(\d+)$")
_CARD_END = re.compile(r"^(?:\*+|x+|…|ending|card)\s*(\d{4})$", re.IGNORECASE)  # **** 4242, x4242


def read_search(text: str, currency: str, today: date) -> ReceiptQuery:
    """What one search box's text asks for, worked out from the text itself (no search-type chooser):
    nothing: every receipt; pi_…: a payment id; a date or two (2026-03-14, today, 2026-03-01 to
    2026-03-14): those days; an amount with a decimal point or a currency sign (12.40, $12.40): a
    total; ****4242: a card's last 4; T1-0042: a receipt number; bare digits: a receipt number, and
    four of them a card's last 4 as well (a cashier types either). QueryError in the cashier's words
    for anything else; an amount is checked here too (so 12.405 says why)."""
    typed = ascii_digits(" ".join(text.split()))
    if not typed:
        return ReceiptQuery("all")
    if typed.startswith("pi_"):
        return ReceiptQuery("intent", typed)
    day = _day(typed, today)
    if day is not None:
        return ReceiptQuery("dates", date_from=day, date_to=day)
    both = _RANGE.match(typed)
    if both:
        first, last = _day(both.group(1), today), _day(both.group(2), today)
        if first is not None and last is not None:
            return ReceiptQuery("dates", date_from=min(first, last), date_to=max(first, last))
    card = _CARD_END.match(typed)
    if card:
        return ReceiptQuery("last4", card.group(1))
    of_till = _TILL_NUMBER.match(typed)
    if of_till:  # T2-0042 is till T2's receipt 0042, not every till's 0042
        return ReceiptQuery("number", of_till.group(2), till=of_till.group(1))
    numbered = re.match(r"^(?:#|no\.?\s*)(\d+)$", typed, re.IGNORECASE)
    if numbered:
        return ReceiptQuery("number", numbered.group(1))
    if _DIGITS.fullmatch(typed):
        return ReceiptQuery("number_or_last4" if len(typed) == 4 else "number", typed)
    amount = re.sub(r"^[^\d.,]+", "", typed)  # $12.40, S$12.40, SGD 12.40
    # 1,200.00 has thousands; 12,40 a decimal comma.
    amount = amount.replace(",", "") if "." in amount else amount.replace(",", ".")
    if (amount and amount != typed) or "." in typed:
        try:
            return ReceiptQuery("amount", Money.parse(amount, currency).major_text())
        except ValueError:
            raise QueryError(f"“{quoted_short(typed)}” is not an amount in {currency} (like 12.40).") from None
    raise QueryError(f"Nothing to search by in “{quoted_short(typed)}”: type {SEARCH_HELP}.")


def today_in(time_zone: str) -> date:
    """Today's date where the store is (its time_zone setting; "" = this computer's)."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(time_zone)).date() if time_zone else date.today()


def _day(text: str, today: date) -> date | None:
    word = text.lower()
    if word == "today":
        return today
    if word == "yesterday":
        return date.fromordinal(today.toordinal() - 1)
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        year, month, day = (int(part) for part in text.split("-"))
        try:
            return date(year, month, day)
        except ValueError:
            raise QueryError(f"“{quoted_short(text)}” is not a date (year-month-day, like 2026-03-14).") from None
    return None


class ReceiptStore(Protocol):
    def page(
        self, query: ReceiptQuery, currency: str, before_id: int | None = None, limit: int = PAGE
    ) -> list[ReceiptSummary]: ...
    def receipt(self, receipt_id: int) -> Receipt: ...
    def receipt_id_for(self, receipt_no: int, till_id: str) -> int | None: ...
    def export_rows(self) -> Iterator[dict[str, Any]]: ...


@dataclass(frozen=True)
class Reprint:
    """A receipt as it was printed, and every refund printed against it since, oldest first."""

    receipt: Receipt
    refunds: tuple[RefundReceipt, ...]


class Receipts:
    """The receipts on record: search a page at a time, look one up, reprint, export."""

    def __init__(self, store: ReceiptStore, refunds: RefundJournal, currency: Callable[[], str]):
        self._store, self._refunds, self._currency = store, refunds, currency

    def page(self, query: ReceiptQuery, before_id: int | None = None, limit: int = PAGE) -> list[ReceiptSummary]:
        """Newest first; QueryError (in the cashier's words) for a search that cannot be run."""
        return self._store.page(query, self._currency(), before_id, limit)

    def receipt(self, receipt_id: int) -> Receipt:
        return self._store.receipt(receipt_id)

    def receipt_id_for(self, receipt_no: int, till_id: str) -> int | None:
        return self._store.receipt_id_for(receipt_no, till_id)

    def reprint(self, receipt_id: int) -> Reprint:
        refunds = tuple(
            self._refunds.refund_receipt(record.id)
            for record in self._refunds.refunds_for_receipt(receipt_id)
            if record.state is RefundState.SUCCEEDED
        )
        return Reprint(self._store.receipt(receipt_id), refunds)

    def export_rows(self) -> Iterator[dict[str, Any]]:
        """Every receipt, oldest first, streamed (the CLI's `pos receipts export`)."""
        return self._store.export_rows()
