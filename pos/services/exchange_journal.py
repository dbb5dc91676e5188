"""The exchanges' journal and their recovery (services/exchanges.py runs an exchange): apart from it so
the refunds service, which recovers them after its own pieces, does not import the counter's side."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from pos.domain.money import Money


class ExchangeState(StrEnum):
    STARTED = "started"  # journaled; the lines may be refunded, the credit not yet applied
    APPLIED = "applied"  # the credit paid (part of) the new sale
    KEPT = "kept"  # the credit stays on its code (the redemption failed or a crash came between)
    DROPPED = "dropped"  # nothing was taken back (the refund was refused or never journaled)


@dataclass(frozen=True)
class OpenExchange:
    key: str
    receipt_no: int
    credit: Money
    code: str | None  # the code the refund's store-credit piece went onto (None: not issued)
    refunded: bool  # the refund's store-credit piece is journaled (issued or to be, by its recovery)
    applied_to: int | None  # the sale a recorded redemption of the code pays towards


class ExchangeJournal(Protocol):
    """Where exchanges are journaled (adapters/db/exchanges.py); each call commits."""

    def begin_exchange(self, key: str, receipt_id: int, credit: Money) -> None: ...
    def close_exchange(self, key: str, state: ExchangeState, sale_id: int | None = None, note: str = "") -> None: ...
    def open_exchanges(self) -> list[OpenExchange]: ...


def recover(journal: ExchangeJournal) -> list[str]:
    """After the refunds are settled: each exchange a crash left, closed as applied or kept, told."""
    messages = []
    for open_ in journal.open_exchanges():
        receipt = f"receipt {open_.receipt_no:04d}"
        if not open_.refunded:
            journal.close_exchange(open_.key, ExchangeState.DROPPED, note="stopped before the refund")
            messages.append(f"An exchange on {receipt} stopped before anything was taken back.")
        elif open_.code is None:
            continue  # the refund is not settled yet (its own message says why): asked again next time
        elif open_.applied_to is not None:
            journal.close_exchange(open_.key, ExchangeState.APPLIED, open_.applied_to)
            messages.append(
                f"An exchange on {receipt} stopped: its store credit {open_.code} was applied to the new sale."
            )
        else:
            journal.close_exchange(open_.key, ExchangeState.KEPT, note="a crash came before the credit was used")
            messages.append(
                f"An exchange on {receipt} stopped before its credit paid the new goods: store credit "
                f"{open_.code} keeps {open_.credit} for the customer (take it on the gift card page)."
            )
    return messages
