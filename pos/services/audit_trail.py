"""The tamper-evident audit trail as the till and the command line use it.

Events are appended by the database adapter in the same transactions as what they record; this
service only reads: verify the chain and the records it covers, export events, and check at start
that the trail was not cut while the till was off (docs/security.md says what this protects).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Iterator, Protocol

from pos.domain.audit import Break


class AuditStore(Protocol):
    def verify(self) -> Break | None: ...
    def export(self, first: date | None, last: date | None) -> Iterator[dict[str, Any]]: ...
    def check_tail(self) -> str | None: ...
    def write_anchor(self) -> None: ...


class AuditTrail:
    def __init__(self, store: AuditStore):
        self._store = store

    def verify(self) -> Break | None:
        return self._store.verify()

    def export(self, first: date | None, last: date | None) -> Iterator[dict[str, Any]]:
        """Events from the start of `first` to the end of `last`, in the store's calendar days."""
        return self._store.export(first, last)

    def check_at_start(self) -> str | None:
        """A warning for the cashier if the trail was cut or its newest event changed, else None."""
        return self._store.check_tail()

    def remember_head(self) -> None:
        self._store.write_anchor()
