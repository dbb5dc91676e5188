"""The payment machine's driver: run atomic phases from a record's recovery point until one ends.

Brandur Leach's model ("Implementing Stripe-like idempotency keys in Postgres"):
each phase commits its recovery point to the journal, makes at most one foreign
call, and returns either `Next(record)` (a new recovery point was committed; go
on from it) or a result (stop here). The phase to run is chosen from the
record's state alone, so a sale or refund picked up after a crash, a timeout or
a restart runs exactly the code its first pass would have run from that point.
A card sale's checkout holds two of its recovery points (the intent's id, the
confirm attempt) and commits them with the answer's transaction (issue 27 item 1):
a crash meanwhile leaves an earlier point, from which recovery finds the intent
by its idempotent create or by search (docs/reliability.md, "Held recovery points").

Sales (`sale_phases.SalePhases`) and refunds (`refund_phases.RefundPhases`) are
both driven by `settle`. A new tender (a card reader, cash) is new states and
phases in those tables, not a new machine.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable, Generic, TypeVar

from .sales import JournalIntegrityError

Record = TypeVar("Record")
Result = TypeVar("Result")

# A sale passes through at most five recovery points in one settle (create, confirm, an earlier
# decline found on re-entry, a new confirm, the answer); more means a phase stopped moving forward.
MAX_PHASES = 12


@dataclass(frozen=True)
class Next(Generic[Record]):
    """A recovery point was committed: run the phase that starts from it."""

    record: Record


class Phases(ABC, Generic[Record, Result]):
    """One machine's phases, for one purpose (charge, park, refund, ...)."""

    @abstractmethod
    def phase(self, record: Record) -> Callable[[Record], Next[Record] | Result]:
        """The phase that runs from this record's recovery point."""


class PhaseLoop(JournalIntegrityError):
    """A phase kept returning to the machine without ending: a bug, so a person must look."""


def settle(phases: Phases[Record, Result], record: Record) -> Result:
    """Run phases from the record's recovery point until one returns a result."""
    for _ in range(MAX_PHASES):
        outcome = phases.phase(record)(record)
        if not isinstance(outcome, Next):
            return outcome
        record = outcome.record
    raise PhaseLoop(f"no result after {MAX_PHASES} phases from {record!r}")
