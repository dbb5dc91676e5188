"""The error a store raises when it cannot read or write, in the cashier's words.

Apart from the journal's port (sales.py, which re-exports it): the till's storage adapter raises it
at every open, and a command that only reads (`pos report`) should not load the sale machinery the
port describes to name it (issue 27 item 2)."""

from __future__ import annotations

from pos.domain.errors import PosError


class StorageError(PosError):
    """The journal could not read or write; the message is in the cashier's words."""
