"""How a sale was paid: one or more tenders (cash, or a card payment), as the receipt lists them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .money import Money


class TenderKind(StrEnum):
    CASH = "cash"
    CARD = "card"


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

    @property
    def tip(self) -> Money | None:
        """A tip the customer added on the card reader: charged to the card, not part of the sale."""
        if self.kind is TenderKind.CARD and self.tendered is not None and self.tendered.minor > self.amount.minor:
            return self.tendered - self.amount
        return None

    @property
    def label(self) -> str:
        if self.kind is TenderKind.CASH:
            return "Cash"
        if self.card_brand:
            return f"Card {self.card_brand.upper()} **** {self.card_last4}"
        return "Card"
