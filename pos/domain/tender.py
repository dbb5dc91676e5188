"""How a sale was paid: one or more tenders (cash, or a card payment), as the receipt lists them."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from enum import StrEnum

from .money import Money


class TenderKind(StrEnum):
    """The kinds of tender the till knows, in the order reports list them. What each one does (how
    it is taken, refunded, printed) is its strategy in the registry, pos/services/tenders/; a new
    kind is a value here, its words below, and its module there (docs/architecture.md)."""

    CASH = "cash"
    CARD = "card"  # a card payment method through Stripe (what the till sends as the card)
    # A card read by a Stripe Terminal reader. Stored as `card` in the journal (see Tender.type: the
    # kind is derived when read), because the money moves and is refunded exactly like a card's.
    CARD_PRESENT = "card_present"
    GIFT_CARD = "gift_card"
    STORE_CREDIT = "store_credit"

    @property
    def words(self) -> str:
        """The kind in the cashier's words, as reports and the payment dialog name it."""
        return KIND_WORDS[self]


# The kinds a code's ledger pays (a gift card, store credit): a refund of one goes back onto its code.
LEDGER_KINDS = frozenset({TenderKind.GIFT_CARD, TenderKind.STORE_CREDIT})

KIND_WORDS = {
    TenderKind.CASH: "Cash",
    TenderKind.CARD: "Card",
    TenderKind.CARD_PRESENT: "Card on reader",
    TenderKind.GIFT_CARD: "Gift card",
    TenderKind.STORE_CREDIT: "Store credit",
}


def tender_label(kind: TenderKind, card_brand: str | None, last4: str | None) -> str:
    """A tender as the receipt, the receipts window and the refund dialog name it: a card by its brand
    and last four digits, a gift card or store credit by the last four characters of its code (the
    redemption writes them in the tender's `card_last4`; the logs and audit events name a code so too),
    "Card VISA **** 4242", "Gift card **** 7QXK". The same masking as a card's ("****": every receipt
    printer's code page has it)."""
    if kind is TenderKind.CARD and card_brand:
        return f"Card {card_brand.upper()} **** {last4}"
    if kind in LEDGER_KINDS and last4:
        return f"{kind.words} **** {last4}"
    return kind.words


def tender_type(kind: str, card_present: object | None) -> TenderKind:
    """The kind a stored tender row is reported as. A reader payment is stored as `card` with its
    EMV receipt (`card_present`) and read as `card_present`: derived at read rather than stored, so
    the journal, the payment machine, recovery and refunds (which treat every Stripe charge alike,
    `kind = 'card'`) stay unchanged, and rows written before the kind existed read the same as new
    ones. The SQL form of the same rule is adapters/db/reports.TENDER_TYPE_SQL."""
    if kind == TenderKind.CARD and card_present:
        return TenderKind.CARD_PRESENT
    return TenderKind(kind)


# How the reader read the card (Stripe's `read_method`), in the customer's words.
READ_METHODS = {
    "contact_emv": "Chip",
    "contactless_emv": "Contactless",
    "contactless_magstripe_mode": "Contactless",
    "magnetic_stripe_track2": "Swipe",
    "magnetic_stripe_fallback": "Swipe (chip failed)",
}
# How the cardholder proved the card is theirs (Stripe's `cardholder_verification_method`).
VERIFICATIONS = {
    "online_pin": "PIN",
    "offline_pin": "PIN",
    "offline_pin_and_signature": "PIN and signature",
    "signature": "Signature",
    "approval": "None",
    "none": "None",
    "failure": "Failed",
}


@dataclass(frozen=True)
class CardPresentReceipt:
    """What card networks require on a receipt for a card read by a reader (EMV), as Stripe lists
    it in the charge's `payment_method_details.card_present` (its `read_method` and `receipt`):
    https://docs.stripe.com/terminal/features/receipts ("Provide receipts", custom receipts).
    Kept with the tender so a reprint, and another till's copy, print the same."""

    application_name: str | None = None  # application_preferred_name
    aid: str | None = None  # dedicated_file_name (EMV tag 84)
    read_method: str | None = None
    verification: str | None = None  # cardholder_verification_method
    authorization_code: str | None = None
    account_type: str | None = None
    arc: str | None = None  # authorization_response_code (EMV tag 8A)
    tvr: str | None = None  # terminal_verification_results (EMV tag 95)
    tsi: str | None = None  # transaction_status_information (EMV tag 9B)

    @property
    def read_method_words(self) -> str | None:
        return READ_METHODS.get(self.read_method or "", self.read_method)

    @property
    def verification_words(self) -> str | None:
        return VERIFICATIONS.get(self.verification or "", self.verification)

    @property
    def needs_signature(self) -> bool:
        return self.verification in ("signature", "offline_pin_and_signature")

    def lines(self) -> list[tuple[str, str]]:
        """The receipt's rows, in the order the networks' sample receipts show them; a field Stripe
        did not send is left out rather than printed empty."""
        rows = [
            ("Application", self.application_name),
            ("AID", self.aid),
            ("Entry", self.read_method_words),
            ("Verification", self.verification_words),
            ("Auth code", self.authorization_code),
            ("Account", self.account_type.capitalize() if self.account_type else None),
            ("ARC", self.arc),
            ("TVR", self.tvr),
            ("TSI", self.tsi),
        ]
        return [(label, value) for label, value in rows if value]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> CardPresentReceipt | None:
        if not text:
            return None
        data = json.loads(text)
        return cls(**{f.name: data.get(f.name) for f in fields(cls)})


@dataclass(frozen=True)
class Tender:
    kind: TenderKind
    amount: Money  # what it paid of the sale (cash: after rounding, change already given back)
    tendered: Money | None = None  # cash handed over (amount + change); what a card was charged (amount + tip)
    change: Money | None = None
    rounding: Money | None = None  # cash due less amount due, when this cash settled the sale
    payment_intent: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    card_present: CardPresentReceipt | None = None  # a card read by a reader: the EMV receipt fields

    @property
    def tip(self) -> Money | None:
        """A tip the customer added on the card reader: charged to the card, not part of the sale."""
        if self.kind is TenderKind.CARD and self.tendered is not None and self.tendered.minor > self.amount.minor:
            return self.tendered - self.amount
        return None

    @property
    def charged(self) -> Money:
        """What a card was charged for this tender (a tip the customer added included); cash: its amount."""
        if self.kind is TenderKind.CARD and self.tendered is not None:
            return self.tendered
        return self.amount

    @property
    def type(self) -> TenderKind:
        """The kind this tender is reported and exported as (a reader payment: card_present)."""
        return tender_type(self.kind, self.card_present)

    @property
    def label(self) -> str:
        return tender_label(self.kind, self.card_brand, self.card_last4)
