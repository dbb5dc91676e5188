"""The gift-card redemption's phase table (services/tenders/gift_card.py, RedemptionPhases), cell by
cell: each recovery point x each answer the ledger can give, for the first pass (CHARGE) and for
recovery (PARK). One phase runs per cell, against an in-memory redemption journal and a scripted
ledger that records every call with its key and fails on any call a cell did not script. The same
phases run end to end against SQLite, the shop database and SIGKILL in tests/giftcards.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from pos.domain.giftcards import Entry, EntryKind
from pos.domain.money import Money
from pos.domain.tender import Tender, TenderKind
from pos.services.giftcards import GiftCardError, LedgerUnavailable
from pos.services.outcomes import Closed, Failed, PartPaid
from pos.services.phases import Next, settle
from pos.services.states import SaleState
from pos.services.tenders.gift_card import Goal, Redemption, RedemptionPhases, RedemptionState

pytestmark = pytest.mark.phase_table

R = RedemptionState
AMOUNT = Money(500, "SGD")


@dataclass
class MemoryRedemptions:
    """The redemption journal's state rules in memory: each change is one recovery point."""

    records: dict[int, Redemption] = field(default_factory=dict)
    points: list[RedemptionState] = field(default_factory=list)

    def add(self, state: RedemptionState, note: str = "") -> Redemption:
        record = Redemption(1, 7, "redeem-key-1", "CODE", False, AMOUNT, state, note)
        self.records[record.id] = record
        return record

    def _move(self, redemption_id: int, state: RedemptionState, note: str = "") -> Redemption:
        record = replace(self.records[redemption_id], state=state, note=note)
        self.records[redemption_id] = record
        self.points.append(state)
        return record

    def record_debit(self, redemption_id: int) -> Redemption:
        assert self.records[redemption_id].state is R.STARTED, "only a started redemption is debited"
        return self._move(redemption_id, R.DEBITED)

    def close_redemption(self, redemption_id: int, state: RedemptionState, note: str) -> Redemption:
        assert self.records[redemption_id].state is R.STARTED, "only a started redemption is closed"
        return self._move(redemption_id, state, note)

    def finish_redemption(self, redemption_id: int) -> PartPaid:
        assert self.records[redemption_id].state is R.DEBITED, "only a debited redemption is recorded"
        self._move(redemption_id, R.RECORDED)
        return self.redemption_result(redemption_id)

    def redemption_result(self, redemption_id: int) -> PartPaid:
        record = self.records[redemption_id]
        assert record.state is R.RECORDED
        return PartPaid(Tender(TenderKind.GIFT_CARD, record.amount), Money(300, "SGD"))


@dataclass
class ScriptedLedger:
    """Answers each call from the script, in order; a call nobody scripted fails the cell."""

    script: list[Any] = field(default_factory=list)
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    shop: bool = False

    def _answer(self, call: str, code: str, key: str) -> Any:
        self.calls.append((call, code, key))
        assert self.script, f"unscripted call {call}({code}, {key})"
        answer = self.script.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def redeem(self, code: str, amount: Money, key: str) -> Entry:
        assert amount == AMOUNT
        return self._answer("redeem", code, key)

    def settle_key(self, code: str, key: str) -> Entry:
        return self._answer("settle_key", code, key)


def run(state: RedemptionState, goal: Goal, *answers: Any, note: str = ""):
    journal, ledger = MemoryRedemptions(), ScriptedLedger(list(answers))
    record = journal.add(state, note)
    phases = RedemptionPhases(journal, lambda _shop: ledger, goal)  # type: ignore[arg-type]
    return phases, record, journal, ledger


DEBITED_ENTRY = Entry(EntryKind.REDEEM, AMOUNT, "redeem-key-1")
GIVEN_UP = Entry(EntryKind.CANCELLED, Money(0, "SGD"), "redeem-key-1")


# -- the first pass (CHARGE) ----------------------------------------------------------------------
def test_started_charge_debits_with_its_key_then_records():
    phases, record, journal, ledger = run(R.STARTED, Goal.CHARGE, DEBITED_ENTRY)
    step = phases.phase(record)(record)
    assert isinstance(step, Next) and step.record.state is R.DEBITED
    assert ledger.calls == [("redeem", "CODE", "redeem-key-1")]
    assert journal.points == [R.DEBITED]


def test_started_charge_whole_pass_ends_part_paid_after_two_points():
    phases, record, journal, ledger = run(R.STARTED, Goal.CHARGE, DEBITED_ENTRY)
    result = settle(phases, record)
    assert isinstance(result, PartPaid) and result.tender.amount == AMOUNT
    assert journal.points == [R.DEBITED, R.RECORDED]
    assert ledger.calls == [("redeem", "CODE", "redeem-key-1")]  # one debit, one key


def test_started_charge_with_the_shop_away_stays_started_and_says_money_may_have_moved():
    phases, record, journal, ledger = run(R.STARTED, Goal.CHARGE, LedgerUnavailable("no route to host"))
    result = phases.phase(record)(record)
    assert isinstance(result, Failed) and result.money_may_have_moved
    assert journal.points == [] and journal.records[1].state is R.STARTED  # the same key asks again later


def test_started_charge_refused_by_the_ledger_closes_refused_and_nothing_moved():
    phases, record, journal, ledger = run(R.STARTED, Goal.CHARGE, GiftCardError("There is SGD 2.00 left on it."))
    result = phases.phase(record)(record)
    assert isinstance(result, Failed) and not result.money_may_have_moved
    assert "SGD 2.00 left" in result.message
    assert journal.points == [R.REFUSED]


@pytest.mark.parametrize("goal", [Goal.CHARGE, Goal.PARK])
def test_debited_records_the_tender_without_asking_the_ledger_again(goal):
    phases, record, journal, ledger = run(R.DEBITED, goal)
    result = phases.phase(record)(record)
    assert isinstance(result, PartPaid)
    assert journal.points == [R.RECORDED] and ledger.calls == []


@pytest.mark.parametrize("goal", [Goal.CHARGE, Goal.PARK])
def test_recorded_answers_its_result_and_calls_nothing(goal):
    phases, record, journal, ledger = run(R.RECORDED, goal)
    result = phases.phase(record)(record)
    assert isinstance(result, PartPaid) and journal.points == [] and ledger.calls == []


@pytest.mark.parametrize("goal", [Goal.CHARGE, Goal.PARK])
@pytest.mark.parametrize("state", [R.REFUSED, R.CANCELLED, R.GIVEN_BACK])
def test_an_ended_redemption_stays_ended(goal, state):
    phases, record, journal, ledger = run(state, goal, note="why it ended")
    result = phases.phase(record)(record)
    assert result == Closed(SaleState.ABANDONED, "why it ended")
    assert journal.points == [] and ledger.calls == []


# -- recovery (PARK): ask what the key did, never debit ------------------------------------------
def test_started_recovery_finds_the_debit_landed_and_records_it():
    phases, record, journal, ledger = run(R.STARTED, Goal.PARK, DEBITED_ENTRY)
    result = settle(phases, record)
    assert isinstance(result, PartPaid)
    assert ledger.calls == [("settle_key", "CODE", "redeem-key-1")]  # asked, not debited again
    assert journal.points == [R.DEBITED, R.RECORDED]


def test_started_recovery_gives_a_key_that_never_debited_up():
    phases, record, journal, ledger = run(R.STARTED, Goal.PARK, GIVEN_UP)
    result = phases.phase(record)(record)
    assert isinstance(result, Closed) and result.state is SaleState.ABANDONED
    assert journal.points == [R.CANCELLED]
    assert ledger.calls == [("settle_key", "CODE", "redeem-key-1")]


def test_started_recovery_with_the_shop_away_stays_started():
    phases, record, journal, ledger = run(R.STARTED, Goal.PARK, LedgerUnavailable("timeout"))
    result = phases.phase(record)(record)
    assert isinstance(result, Failed) and result.money_may_have_moved
    assert journal.points == []
