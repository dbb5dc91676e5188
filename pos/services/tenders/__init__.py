"""Tender kinds as data: each kind is one registered strategy, one module in this package.

A strategy says what the rest of the till needs to know about a kind without asking which kind it
is: its words, how a refund of it goes back (from the drawer, through Stripe, or to a balance),
whether its money moves outside the till (then it is taken through the phases of the one payment
machine, services/sale_phases.py, with recovery points and a key), and how it is stored in the
journal. Reports, exports and the shop sync read the `tenders` rows by kind (domain/tender.tender_type);
the payment dialog has one page per kind (ui/payment_pages). Adding a kind: docs/architecture.md,
"Adding a tender kind".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pos.domain.tender import TenderKind

__all__ = ["RefundRoute", "TenderType", "kinds", "register", "strategy"]


class RefundRoute(StrEnum):
    """Where a refund of a kind goes back to: the tender that paid."""

    DRAWER = "drawer"  # cash handed back from the drawer
    STRIPE = "stripe"  # a Stripe refund of the charge
    BALANCE = "balance"  # credited back to the card's or the customer's balance (gift card, store credit)


@dataclass(frozen=True)
class TenderType:
    kind: TenderKind
    refund: RefundRoute
    # Money moves outside the till (Stripe, a gift-card ledger at the shop): taken through the phases of
    # the payment machine, exactly once; cash only changes hands at the counter.
    outside: bool
    # The kind written in the journal's `tenders.kind` (a reader payment is stored as `card`: see
    # domain/tender.tender_type).
    stored_as: TenderKind
    # Whether the till takes it at the counter yet (a slot registered for its reports before its
    # module takes payments: gift cards and store credit until issue 24 items 3 and 4 land).
    takes_payments: bool = True

    @property
    def label(self) -> str:
        return self.kind.words


_REGISTRY: dict[TenderKind, TenderType] = {}


def register(tender: TenderType) -> TenderType:
    """Add a kind (each module of this package registers its own at import)."""
    if tender.kind in _REGISTRY and _REGISTRY[tender.kind] != tender:
        raise ValueError(f"tender kind {tender.kind} is registered twice")
    _REGISTRY[tender.kind] = tender
    return tender


def strategy(kind: TenderKind | str) -> TenderType:
    """The registered strategy of a kind (a stored `card` row with an EMV receipt: see tender_type)."""
    return _REGISTRY[TenderKind(kind)]


def kinds() -> list[TenderType]:
    """Every registered kind, in the order reports list them (TenderKind's order)."""
    return [_REGISTRY[k] for k in TenderKind if k in _REGISTRY]


# The kinds: one module each (imported for their registration).
from . import card, card_present, cash, gift_card, store_credit  # noqa: E402,F401
