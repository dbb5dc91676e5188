"""The audit trail's chain: each event holds the hash of the one before and of its own content.

    hash = SHA-256(prev_hash + "\n" + canonical(event))

`canonical` is JSON with sorted keys, no spaces and UTF-8 text: the same event always encodes to
the same bytes, whatever wrote it. Editing, deleting or inserting an event breaks the chain at
that event; editing a record an event covers (a receipt's total, a refund) breaks that event's
digest of it; deleting the newest events is seen against an anchor kept apart (the head on the
printed Z, the head file in the data folder).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable

GENESIS = "0" * 64  # the prev_hash of the first event


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(value: Any) -> str:
    """The SHA-256 of a record's canonical form (what an event says the record was)."""
    return hashlib.sha256(canonical(value).encode()).hexdigest()


@dataclass(frozen=True)
class Event:
    seq: int
    at: str
    till_id: str
    kind: str
    actor: str
    approved_by: str
    subject: str
    payload: str  # canonical JSON
    prev_hash: str
    hash: str = ""

    def content(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "till_id": self.till_id,
            "kind": self.kind,
            "actor": self.actor,
            "approved_by": self.approved_by,
            "subject": self.subject,
            "payload": self.payload,
        }


def chain_hash(prev_hash: str, event: Event) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical(event.content())}".encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first place the trail does not hold."""

    seq: int | None  # the event where it breaks (None: a record no event covers)
    reason: str

    def __str__(self) -> str:
        where = f"event {self.seq}" if self.seq is not None else "outside the trail"
        return f"{where}: {self.reason}"


def first_break(events: Iterable[Event]) -> Break | None:
    """Walk the chain in order; the first event whose link or hash does not hold, or None."""
    prev, expected = GENESIS, 1
    for event in events:
        if event.seq != expected:
            what = "deleted" if event.seq > expected else "repeated"
            return Break(expected, f"event {expected} is missing ({what}); the next one is {event.seq}")
        if event.prev_hash != prev:
            return Break(event.seq, "it does not link to the event before it (an event was inserted or removed)")
        if chain_hash(prev, event) != event.hash:
            return Break(event.seq, "its content does not match its hash (it was edited)")
        prev, expected = event.hash, expected + 1
    return None
