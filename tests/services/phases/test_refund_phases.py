"""The refund phase table (services/refund_phases.py), cell by cell, in memory (see fakes.py).

sent (card, < 23 h)  x  created | refused by the bank | lost once | lost twice | rejected | busy
sent (card, later)   x  found by its metadata | not found | no answer
sent (cash)          x  recovery (no drawer) | at the drawer: no printer, drawer opens, drawer fails
sent (store credit)  x  issued now | issued before (same key) | ledger fails | no ledger; at the counter or in recovery
succeeded, failed    x  (no call: the journal has the answer)
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from pos.domain.money import Money
from pos.domain.tender import TenderKind
from pos.services.giftcards import LedgerUnavailable
from pos.services.gateway import NotAuthorized, OutcomeUnknown, ProviderUnavailable, RefundInfo, RequestRejected
from pos.services.receipt_printing import NotPrinted, Printed
from pos.services.refund_phases import NOT_REFUNDED, CashOwed, RefundFailed, Refunded, RefundPhases
from pos.services.requests import CreateRefund
from pos.services.sales import StorageError
from pos.services.states import RefundState, RefundStatus

from .fakes import CURRENCY, NOW, MemoryRefundJournal, ScriptedGateway

pytestmark = pytest.mark.phase_table

CARD = CreateRefund("pi_1", Money(500, CURRENCY), "requested_by_customer", "refund1", 42, "T1")


@pytest.fixture
def journal() -> MemoryRefundJournal:
    return MemoryRefundJournal()


@pytest.fixture
def gateway() -> ScriptedGateway:
    return ScriptedGateway()


class Drawer:
    def __init__(self, configured=True, opens=True):
        self.configured, self.opens, self.opened = configured, opens, []

    def open_drawer(self, reason):
        self.opened.append(reason)
        return Printed("opened") if self.opens else NotPrinted("The printer is out of paper.")


def step(journal, gateway, record, **kw):
    phases = RefundPhases(journal, gateway, NOW, **kw)
    result = phases.phase(record)(record)
    assert not gateway.unanswered(), f"scripted answers never asked for: {gateway.unanswered()}"
    return result


def refund(status=RefundStatus.SUCCEEDED, id="re_1", key="refund1"):
    return RefundInfo(id, status, 500, "eur", {"refund_key": key})


# -- a card refund within the key window ----------------------------------------------------------
def test_sent_card_asks_stripe_with_the_refund_key(journal, gateway):
    record = journal.add_refund(request=CARD)
    gateway.script("create_refund", refund())
    result = step(journal, gateway, record)
    assert isinstance(result, Refunded) and result.refund.stripe_refund == "re_1"
    (call,) = gateway.calls
    assert call.args[0] == CARD and call.key == "pos-refund-refund1"
    assert journal.refunds[record.id].state is RefundState.SUCCEEDED


@pytest.mark.parametrize("status", [RefundStatus.PENDING, RefundStatus.REQUIRES_ACTION])
def test_sent_card_accepted_but_not_settled_is_done(journal, gateway, status):
    record = journal.add_refund(request=CARD)
    gateway.script("create_refund", refund(status))
    assert isinstance(step(journal, gateway, record), Refunded)


@pytest.mark.parametrize("status", [RefundStatus.FAILED, RefundStatus.CANCELED])
def test_sent_card_refused_by_the_bank_fails(journal, gateway, status):
    record = journal.add_refund(request=CARD)
    gateway.script("create_refund", refund(status))
    result = step(journal, gateway, record)
    assert isinstance(result, RefundFailed) and "refused" in result.message
    assert journal.refunds[record.id].state is RefundState.FAILED


def test_sent_card_answer_lost_once_is_asked_again_with_the_same_key(journal, gateway):
    record = journal.add_refund(request=CARD)
    gateway.script("create_refund", OutcomeUnknown("timeout"), refund())
    assert isinstance(step(journal, gateway, record), Refunded)
    assert [c.key for c in gateway.calls] == ["pos-refund-refund1"] * 2
    assert gateway.calls[0].args == gateway.calls[1].args


def test_sent_card_answer_lost_twice_stays_sent(journal, gateway):
    record = journal.add_refund(request=CARD)
    gateway.script("create_refund", OutcomeUnknown("timeout"), OutcomeUnknown("timeout"))
    result = step(journal, gateway, record)
    assert isinstance(result, RefundFailed) and result.outcome_unknown and "Do NOT" in result.message
    assert journal.refunds[record.id].state is RefundState.SENT  # recovery asks again


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (RequestRejected("too much", "amount_too_large"), "more than what is left"),
        (RequestRejected("done", "charge_already_refunded"), "already refunded in full"),
        (ProviderUnavailable("503"), "Try again"),
        (NotAuthorized("bad key"), "Try again"),
    ],
    ids=str,
)
def test_sent_card_not_processed_fails(journal, gateway, answer, said):
    record = journal.add_refund(request=CARD)
    gateway.script("create_refund", answer)
    result = step(journal, gateway, record)
    assert isinstance(result, RefundFailed) and said in result.message and NOT_REFUNDED in result.message
    assert not result.outcome_unknown and journal.refunds[record.id].state is RefundState.FAILED


def test_refunded_but_not_saved_says_do_not_refund_again(journal, gateway):
    record = journal.add_refund(request=CARD)
    journal.failing_writes = True
    gateway.script("create_refund", refund())
    result = step(journal, gateway, record)
    assert isinstance(result, RefundFailed) and result.outcome_unknown and "went through" in result.message
    assert journal.refunds[record.id].state is RefundState.SENT


def test_a_failure_not_saved_stays_sent_for_recovery(journal, gateway):
    record = journal.add_refund(request=CARD)
    journal.failing_writes = True
    gateway.script("create_refund", ProviderUnavailable("503"))
    assert isinstance(step(journal, gateway, record), RefundFailed)
    assert journal.refunds[record.id].state is RefundState.SENT


# -- a card refund past the key window ------------------------------------------------------------
def old(journal):
    return journal.add_refund(request=CARD, created_at=NOW - timedelta(hours=30))


def test_past_the_window_finds_the_refund_by_its_key_without_making_one(journal, gateway):
    record = old(journal)
    gateway.script("list_refunds", [refund(id="re_other", key="someone-else"), refund(id="re_7")])
    result = step(journal, gateway, record)
    assert isinstance(result, Refunded) and result.refund.stripe_refund == "re_7"
    assert gateway.methods() == ["list_refunds"] and gateway.calls[0].args == ("pi_1",)


@pytest.mark.parametrize("found", [[], [refund(RefundStatus.FAILED)]], ids=["none", "refused"])
def test_past_the_window_not_found_was_never_made(journal, gateway, found):
    record = old(journal)
    gateway.script("list_refunds", found)
    result = step(journal, gateway, record)
    assert isinstance(result, RefundFailed) and "no record" in result.message
    assert journal.refunds[record.id].state is RefundState.FAILED


def test_past_the_window_no_answer_stays_sent(journal, gateway):
    record = old(journal)
    gateway.script("list_refunds", OutcomeUnknown("timeout"))
    result = step(journal, gateway, record)
    assert isinstance(result, RefundFailed) and result.outcome_unknown
    assert journal.refunds[record.id].state is RefundState.SENT


# -- cash -------------------------------------------------------------------------------------------
def test_cash_in_recovery_stays_owed(journal, gateway):
    record = journal.add_refund()
    result = step(journal, gateway, record)
    assert isinstance(result, CashOwed) and result.amount == Money(500, CURRENCY)
    assert journal.refunds[record.id].state is RefundState.SENT and gateway.calls == []


def test_cash_at_a_till_without_a_printer_is_done(journal, gateway):
    record = journal.add_refund()
    drawer = Drawer(configured=False)
    result = step(journal, gateway, record, at_drawer=True, drawer=drawer)
    assert isinstance(result, Refunded) and result.refund.in_cash and drawer.opened == []


def test_cash_at_the_drawer_opens_it_then_is_done(journal, gateway):
    record = journal.add_refund()
    drawer = Drawer()
    assert isinstance(step(journal, gateway, record, at_drawer=True, drawer=drawer), Refunded)
    assert drawer.opened == ["cash refund for receipt 0042"]
    assert journal.refunds[record.id].state is RefundState.SUCCEEDED


def test_cash_drawer_that_does_not_open_leaves_it_owed(journal, gateway):
    record = journal.add_refund()
    result = step(journal, gateway, record, at_drawer=True, drawer=Drawer(opens=False))
    assert isinstance(result, CashOwed) and "out of paper" in result.message
    assert journal.refunds[record.id].state is RefundState.SENT


# -- answered ----------------------------------------------------------------------------------------
def test_succeeded_answers_its_receipt_without_asking(journal, gateway):
    record = journal.add_refund(RefundState.SUCCEEDED, request=CARD)
    assert step(journal, gateway, record) == Refunded(journal.receipts[record.id])
    assert gateway.calls == []


def test_failed_answers_its_message_without_asking(journal, gateway):
    record = journal.add_refund(RefundState.FAILED, request=CARD)
    assert step(journal, gateway, record) == RefundFailed(NOT_REFUNDED)
    assert gateway.calls == []


# -- store credit (issue 24 item 4) ---------------------------------------------------------------
class Ledger:
    """The store-credit port in memory: one code per key, as the gift-card ledger keeps it."""

    def __init__(self, fails: Exception | None = None):
        self.codes: dict[str, str] = {}
        self.fails = fails

    def issue(self, key, amount):
        if self.fails is not None:
            raise self.fails
        return self.codes.setdefault(key, f"CODE-{len(self.codes) + 1}")


@pytest.mark.parametrize("at_drawer", [True, False])
def test_sent_store_credit_issues_under_the_refund_key_then_numbers_it(journal, gateway, at_drawer):
    record = journal.add_refund(given_as=TenderKind.STORE_CREDIT)
    credit = Ledger()
    result = step(journal, gateway, record, credit=credit, at_drawer=at_drawer)  # no Stripe call scripted
    assert isinstance(result, Refunded) and result.refund.store_credit_code == "CODE-1"
    assert credit.codes == {"refund1": "CODE-1"}
    assert journal.refunds[1].state is RefundState.SUCCEEDED and not result.refund.in_cash


def test_store_credit_issued_before_a_crash_is_found_by_its_key(journal, gateway):
    record = journal.add_refund(given_as=TenderKind.STORE_CREDIT)
    credit = Ledger()
    credit.codes["refund1"] = "CODE-FIRST"  # written before the kill (after_store_credit_issued)
    result = step(journal, gateway, record, credit=credit)
    assert isinstance(result, Refunded) and result.refund.store_credit_code == "CODE-FIRST"
    assert credit.codes == {"refund1": "CODE-FIRST"}


@pytest.mark.parametrize("fault", [StorageError("The disk is full."), LedgerUnavailable("The shop is away.")])
def test_store_credit_the_ledger_cannot_write_stays_sent(journal, gateway, fault):
    record = journal.add_refund(given_as=TenderKind.STORE_CREDIT)
    result = step(journal, gateway, record, credit=Ledger(fails=fault))
    assert isinstance(result, RefundFailed) and result.outcome_unknown  # its claim kept; recovery asks again
    assert journal.refunds[1].state is RefundState.SENT


def test_store_credit_with_no_ledger_is_refused(journal, gateway):
    record = journal.add_refund(given_as=TenderKind.STORE_CREDIT)
    result = step(journal, gateway, record)
    assert result == RefundFailed(f"This till cannot give store credit. {NOT_REFUNDED}")
