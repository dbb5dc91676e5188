"""The store's calendar days as the stored UTC timestamps see them (receipts, reports, the audit export).

Its own module, below every repository: the audit trail reads days too, and importing them from
receipts made a cycle (audit -> receipts -> settings -> audit).
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def store_zone(name: str) -> ZoneInfo | None:
    """The store's time zone (an IANA name such as Asia/Singapore), or None for the computer's."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def local_day_bounds(first: date, last: date, zone: ZoneInfo | None = None) -> tuple[str, str]:
    """[start of first, start of the day after last) in the store's time zone, as stored UTC text."""

    def start_of(day: date) -> datetime:
        midnight = datetime.combine(day, time.min)
        local = midnight.replace(tzinfo=zone) if zone is not None else midnight.astimezone()
        return local.astimezone(timezone.utc)

    start = start_of(first)
    end = start_of(date.fromordinal(last.toordinal() + 1))
    return start.isoformat(timespec="microseconds"), end.isoformat(timespec="microseconds")
