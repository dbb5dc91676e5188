"""The reports service: X (since the last Z), Z (closes the period) and a calendar day.

Reports are for the till id sales are numbered under now and in the store's
currency; the database adapter computes the figures (by receipt and refund
numbers, or by time for a calendar day in the store's time zone).
"""

from __future__ import annotations

from datetime import date
from typing import Callable, Protocol

from pos.domain.money import Money
from pos.domain.report import DayReport


class ReportStore(Protocol):
    def x_report(self, till_id: str, currency: str) -> DayReport: ...
    def close_day(self, till_id: str, currency: str, counted_cash_minor: int | None = None) -> DayReport: ...
    def for_date(self, day: date, till_id: str, currency: str) -> DayReport: ...


class Reports:
    def __init__(self, store: Callable[[], ReportStore], till_id: Callable[[], str], currency: Callable[[], str]):
        # The store is made per report: it reads the store's time zone as it is set now.
        self._store, self._till_id, self._currency = store, till_id, currency

    def x_report(self) -> DayReport:
        """Everything since the last Z report; closes nothing."""
        return self._store().x_report(self._till_id(), self._currency())

    def close_day(self, counted: Money | None = None) -> DayReport:
        """The Z report: numbered, and closes what it covers, with the cash counted in the drawer."""
        if counted is not None and counted.currency != self._currency():
            raise ValueError(f"the drawer is counted in {self._currency()}")
        return self._store().close_day(self._till_id(), self._currency(), counted.minor if counted else None)

    def for_date(self, day: date) -> DayReport:
        return self._store().for_date(day, self._till_id(), self._currency())
