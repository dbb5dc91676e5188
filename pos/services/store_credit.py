"""Store credit: a refund given as a code the customer spends later, instead of to the tenders that paid.

Issuing it is a phase of the refund machine (refund_phases.py): the refund piece is journaled as
sent with its refund_key, then the credit is issued under that key (the ledger gives the same code
back when asked again with it), then the piece is numbered. A crash between any two finds the piece
sent, and recovery issues under the same key: exactly one code, whatever stopped where.
"""

from __future__ import annotations

import secrets
from typing import Protocol

from pos.domain.money import Money

# No 0/O, 1/I/L: the code is read off paper and typed back in.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PREFIX = "SC"


def new_code() -> str:
    """A fresh store-credit code, e.g. SC-7KQ2-M9XD-4HPA (60 bits: not guessable at a counter)."""
    groups = ("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(3))
    return "-".join((PREFIX, *groups))


class StoreCreditLedger(Protocol):
    """Where store credit lives (adapters/db/store_credit.py on the till)."""

    def issue(self, key: str, amount: Money, till_id: str) -> str:
        """The code of the credit issued under `key`: issued now (with a fresh code) or found, if it
        was issued before. StorageError if it could not be written (then none was issued)."""
        ...
