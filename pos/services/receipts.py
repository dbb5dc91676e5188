"""What the back office asks of the receipts on record, and what it gets back (no SQL here).

The receipts window searches with a ReceiptQuery and lists ReceiptSummary rows, a page
at a time; the database adapter answers them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pos.domain.money import Money

PAGE = 100


@dataclass(frozen=True)
class ReceiptSummary:
    id: int
    receipt_no: int
    till_id: str
    created_at: datetime
    total: Money
    card_brand: str | None
    card_last4: str | None
    payment_intent: str
    status: str
    refunded: Money


@dataclass(frozen=True)
class ReceiptQuery:
    """What the receipts window searches by: kind is all, number, intent, last4, amount or dates."""

    kind: str = "all"
    text: str = ""
    date_from: date | None = None
    date_to: date | None = None  # inclusive


class QueryError(ValueError):
    pass
