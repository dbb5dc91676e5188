"""A till in a shop with several tills: the shop database's sync, as the till sees it.

Selling never waits on the shop database. Every record the till writes locally (receipts,
refunds, voids, drawer movements, Z reports, and the audit events that cover them) is already an
outbox: the audit trail is append-only and numbered, so what the shop still lacks is exactly the
events above the sequence it acknowledged. A sync round sends those in order, each batch in one
shop transaction that also moves the acknowledgement (idempotent upserts keyed by the till and
its own number: sent twice, stored once), then brings the shop's catalog and settings down.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timezone, tzinfo
from typing import Callable, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pos.domain.errors import PosError
from pos.domain.report import DayReport

from .receipts import Criterion, ReceiptQuery, ReceiptSummary, criterion

SYNC_EVERY_S = 30.0  # a background round while the shop database answers
RETRY_FIRST_S, RETRY_MAX_S = 5.0, 300.0  # and the backoff while it does not
SEARCH_LIMIT = 200  # rows of a shop-wide search (newest first); narrow the search for older ones


class ShopUnreachable(PosError):
    """The shop database cannot be reached now (network, server down); the till keeps selling."""


class ShopRefused(PosError):
    """The shop database answered but will not take this till as it is; the message says what to do."""


@dataclass(frozen=True)
class Pushed:
    events: int = 0
    receipts: int = 0
    refunds: int = 0
    products: int = 0
    settings: int = 0
    over_refunds: tuple[str, ...] = ()  # receipts the tills' refunds, met at the shop, over-refund

    def __add__(self, other: Pushed) -> Pushed:
        return Pushed(
            self.events + other.events,
            self.receipts + other.receipts,
            self.refunds + other.refunds,
            self.products + other.products,
            self.settings + other.settings,
            self.over_refunds + other.over_refunds,
        )


@dataclass(frozen=True)
class Pulled:
    products: int = 0
    settings: int = 0
    skipped: tuple[str, ...] = ()  # shop settings this till could not take now, and why (a warning)
    # Rows from the shop that break the rules of a local edit (services/from_shop.py): not applied,
    # kept aside until the shop has a good version of them.
    set_aside: tuple[str, ...] = ()


@dataclass(frozen=True)
class Waiting:
    """What the shop does not have yet, as far as this till last heard."""

    events: int = 0
    receipts: int = 0
    refunds: int = 0
    catalog_edits: int = 0

    @property
    def nothing(self) -> bool:
        return not (self.events or self.catalog_edits)


class ShopReportStore(Protocol):
    def for_date(self, day: date, currency: str) -> tuple[DayReport, dict[str, DayReport]]: ...
    def over_refunds(self) -> list[str]: ...
    def figure_differences(self) -> list[str]: ...
    def stock_levels(self, location: str | None = None) -> list[tuple[str, str, int]]: ...


class ShopLink(Protocol):
    """The shop database as the sync sees it (adapters/shop/sync.py)."""

    def check_till_id(self, till_id: str) -> None: ...
    def copy_receipt(self, till_id: str, receipt_no: int) -> int | None: ...
    def search(self, found: Criterion, time_zone: str, limit: int) -> list[ReceiptSummary]: ...
    def push(self) -> Pushed: ...
    def pull(self) -> Pulled: ...
    def waiting(self) -> Waiting: ...


@dataclass(frozen=True)
class SyncResult:
    at: datetime
    pushed: Pushed = Pushed()
    pulled: Pulled = Pulled()
    waiting: Waiting = Waiting()
    problem: str | None = None  # why the round stopped short (unreachable, refused)
    refused: bool = False  # the shop will not take this till until a person acts

    @property
    def complete(self) -> bool:
        return self.problem is None and self.waiting.nothing


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _receipts(n: int) -> str:
    return f"{n} receipt{'s' if n != 1 else ''}"


@dataclass
class ShopSync:
    """One sync round at a time; what the last one found, for the status bar and `pos sync`."""

    link: ShopLink
    reports: Callable[[], ShopReportStore]
    clock: Callable[[], datetime] = _now
    last: SyncResult | None = field(default=None, init=False)
    failures: int = field(default=0, init=False)  # rounds in a row that found the shop away
    _one_at_a_time: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def round(self) -> SyncResult:
        """Send what is waiting, then take the shop's catalog and settings. Never raises for the
        shop being away: the result says so, and the next round picks up where this one stopped.
        Rounds of this process run one after the other (other processes of the till wait on the
        shop's row lock for it)."""
        with self._one_at_a_time:
            return self._round()

    def _round(self) -> SyncResult:
        pushed, pulled = Pushed(), Pulled()
        problem, refused = None, False
        try:
            pushed = self.link.push()
            pulled = self.link.pull()
            if pulled.settings or pulled.products:
                # Taking the shop's settings or products is itself recorded (an audit event): send it.
                pushed = pushed + self.link.push()
        except ShopUnreachable as exc:
            problem = str(exc)
        except ShopRefused as exc:
            problem, refused = str(exc), True
        waiting = self.link.waiting()
        result = SyncResult(self.clock(), pushed, pulled, waiting, problem, refused)
        self.failures = 0 if problem is None else self.failures + 1
        self.last = result
        return result

    def next_round_in(self) -> float:
        """Seconds until the next background round: every 30 s while the shop answers; with it away,
        5 s, then 10, 20, 40… up to 5 minutes, so tills coming back at once do not pile onto it."""
        if self.failures == 0:
            return SYNC_EVERY_S
        return float(min(RETRY_FIRST_S * 2 ** (self.failures - 1), RETRY_MAX_S))

    def check_till_id(self, till_id: str) -> None:
        """ShopRefused if another till of the shop has this id; ShopUnreachable if nobody can say."""
        self.link.check_till_id(till_id)

    def receipt_from(self, till_id: str, receipt_no: int) -> int | None:
        """Another till's receipt, brought here with the refunds other tills gave on it, to look at or
        refund (the refund is numbered at this till). Its local id, or None if the shop has no such
        receipt; ShopUnreachable when the shop database is away (a refund of another till's receipt
        needs it: only the shop knows what was refunded elsewhere)."""
        return self.link.copy_receipt(till_id.strip(), receipt_no)

    def search(
        self, query: ReceiptQuery, currency: str, time_zone: str, limit: int = SEARCH_LIMIT
    ) -> list[ReceiptSummary]:
        """Every till's receipts matching the search, newest first (at most `limit`). QueryError for a
        search that cannot be run (before the shop is asked); ShopUnreachable when it is away."""
        return self.link.search(criterion(query, currency), time_zone, limit)

    def report(self, day: date, currency: str) -> tuple[DayReport, dict[str, DayReport]]:
        """The shop's figures for a calendar day and each till's (ShopUnreachable if it is away)."""
        return self.reports().for_date(day, currency)

    def stock_levels(self, location: str | None = None) -> list[tuple[str, str, int]]:
        """(location, sku, on-hand thousandths) across the shop's tills, per location (ShopUnreachable)."""
        return self.reports().stock_levels(location)

    def over_refunds(self) -> list[str]:
        """Receipts over-refunded by the tills together, one line each (ShopUnreachable if it is away)."""
        return self.reports().over_refunds()

    def figure_differences(self) -> list[str]:
        """The shop report's kept figures that differ from what the receipts give, one line each
        (none when they agree; ShopUnreachable if the shop is away)."""
        return self.reports().figure_differences()

    def status_text(self, time_zone: str = "") -> str:
        """One line for the status bar: "Shop: synced 12:03" (the store's time), or what is waiting and why."""
        try:
            zone: tzinfo | None = ZoneInfo(time_zone) if time_zone else None
        except (ZoneInfoNotFoundError, ValueError):
            zone = None
        result = self.last
        if result is None:
            return "Shop: connecting…"
        if result.problem is not None:
            waiting = result.waiting.receipts
            if result.refused:
                return f"Shop database refused this till — {result.problem}"
            if "read-only" in result.problem:  # it answers, but takes no writes (a standby, maintenance)
                return f"Shop database read-only — {_receipts(waiting)} waiting"
            return f"Shop database unreachable — {_receipts(waiting)} waiting"
        at = result.at.astimezone(zone).strftime("%H:%M")  # None: the computer's own time zone
        if result.pulled.set_aside:
            n = len(result.pulled.set_aside)
            return f"Shop: synced {at}, {n} row{'s' if n != 1 else ''} from the shop set aside (see `pos sync`)"
        if not result.waiting.nothing:
            return f"Shop: synced {at}, {_receipts(result.waiting.receipts)} still waiting"
        return f"Shop: synced {at}"


__all__ = [
    "Pulled",
    "Pushed",
    "ShopLink",
    "ShopRefused",
    "ShopReportStore",
    "ShopSync",
    "ShopUnreachable",
    "SyncResult",
    "Waiting",
]
