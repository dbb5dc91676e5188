"""Returns without a receipt (issue 24 item 4): a manager approves, given back in cash or as store
credit only, recorded as an UNVERIFIED return in the till's refund numbering, and shown as such in
reports and the audit trail. The app's own wiring on a real SQLite file and the sandbox."""

from __future__ import annotations

import pytest

from pos.app import build_context
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.domain.refunds import render_refund_text
from pos.domain.report import render_report_text
from pos.domain.staff import Permission
from pos.services.returns import Returned, ReturnFailed
from tests.invariants import check_invariants
from tests.services.conftest import sandbox_client
from tests.services.test_refund_drawer import rows
from tests.services.test_crash_recovery import recover_cli, refund_killed_at
from tests.services.test_store_credit import CODE, CREDITS


def sgd(minor: int) -> Money:
    return Money(minor, "SGD")


@pytest.fixture
def context(tmp_path, sandbox, api_key):
    sandbox.faults.clear()
    ctx = build_context(tmp_path / "till", stripe_base_url=sandbox.url, api_key=api_key)
    yield ctx
    ctx.close()


def with_staff(context):
    context.staff.add("Ann", "manager", "2468")
    context.staff.add("Bob", "cashier", "1357")
    context.staff.sign_in("Bob", "1357")


def test_a_cashier_alone_cannot_take_a_return_without_a_receipt(context):
    with_staff(context)
    returns = context.refunds.returns
    refused = returns.give_back(sgd(450), "Blue mug", to_store_credit=True)
    assert refused == ReturnFailed("A return without a receipt needs a manager's approval. Nothing was given back.")
    # A name that is not a manager's is no approval (the service checks it again, whatever door asked).
    assert isinstance(returns.give_back(sgd(450), "Blue mug", to_store_credit=True, approved_by="Bob"), ReturnFailed)
    assert rows(context.data_dir / "pos.sqlite3", "SELECT count(*) FROM unverified_returns") == [(0,)]


def test_a_manager_approved_return_is_recorded_unverified_numbered_with_the_refunds_and_reported(
    context, sandbox, api_key
):
    with_staff(context)
    approval = context.staff.approve("Ann", "2468", Permission.RETURN_WITHOUT_RECEIPT, "a return without a receipt")
    returns = context.refunds.returns
    # A refund first (refund 0001), so the returns are numbered after it in the same sequence.
    product = context.catalog.save(Product(sku="M-1", name="Mug", category="Home", price=sgd(900), tax_rate_bp=900))
    context.till.cart.add(product, 1)
    receipt = context.till.pay_cash(sgd(900)).receipt
    receipt_id = context.receipts.receipt_id_for(receipt.receipt_no, receipt.till_id)
    context.refunds.refund(receipt_id, amount=sgd(100), in_cash=True)
    cash = returns.give_back(sgd(450), "  Blue   mug ", to_store_credit=False, approved_by=approval.manager)
    credit = returns.give_back(sgd(333), "Red mug", to_store_credit=True, approved_by=approval.manager)
    assert isinstance(cash, Returned) and isinstance(credit, Returned)
    assert (cash.record.refund_no, credit.record.refund_no) == (2, 3)
    assert credit.record.store_credit_code and CODE.fullmatch(credit.record.store_credit_code)
    slip = render_refund_text(cash.record.slip("Shop"))
    assert "UNVERIFIED RETURN (no receipt)" in slip and "Returned: Blue mug" in slip and "Approved by Ann" in slip
    assert "For receipt" not in slip
    assert f"Store credit code {credit.record.store_credit_code}" in render_refund_text(credit.record.slip("Shop"))
    db = context.data_dir / "pos.sqlite3"
    assert rows(
        db, "SELECT tender_kind, amount_minor, note, approved_by, cashier, refund_no FROM unverified_returns"
    ) == [
        ("cash", 450, "Blue mug", "Ann", "Bob", 2),
        ("store_credit", 333, "Red mug", "Ann", "Bob", 3),
    ]
    assert rows(db, "SELECT kind, approved_by FROM audit_events WHERE kind = 'unverified_return'") == [
        ("unverified_return", "Ann"),
        ("unverified_return", "Ann"),
    ]
    report = context.reports.x_report()
    assert (report.refunds_count, report.refunds_minor) == (3, 100 + 450 + 333)
    assert (report.unverified_returns_count, report.unverified_returns_minor) == (2, 783)
    assert (report.cash_refunds_minor, report.card_refunds_minor) == (550, 0)
    assert report.as_json()["by_tender"]["store_credit"]["refunds_minor"] == 333
    assert report.expected_cash_minor == 900 - 550
    text = render_report_text(report, "Shop")
    assert "Unverified returns (2)" in text and "Store credit refunds" in text
    assert report.as_json()["unverified_returns_count"] == 2
    # The Z closes them with the refunds (one sequence): the next X has none.
    context.reports.close_day()
    assert context.reports.x_report().unverified_returns_count == 0
    check_invariants(db, sandbox_client(sandbox, api_key))


def test_cash_is_given_back_in_whole_cash_steps(context):
    from dataclasses import replace

    context.store_settings.save(replace(context.settings, cash_rounding="0.05"))
    refused = context.refunds.returns.give_back(sgd(452), "Spoon", to_store_credit=False)
    assert refused == ReturnFailed("Cash is given back in steps of SGD 0.05: give SGD 4.50, or store credit.")
    assert isinstance(context.refunds.returns.give_back(sgd(452), "Spoon", to_store_credit=True), Returned)


@pytest.mark.parametrize("point", ["after_return_recorded", "after_store_credit_issued"])
def test_a_return_as_store_credit_killed_at_each_point_issues_one_code(tmp_path, sandbox, api_key, point):
    """SIGKILL after the return is journaled (no code yet) and after its code is written (not numbered):
    `pos recover` finishes it with one store-credit card, the one written before the kill if there was one."""
    data_dir = tmp_path / "till"
    refund_killed_at(point, data_dir, sandbox, api_key, "return")
    db = data_dir / "pos.sqlite3"
    before = rows(db, "SELECT code FROM gift_cards")
    assert len(before) == (1 if point == "after_store_credit_issued" else 0)
    assert rows(db, "SELECT state, refund_no FROM unverified_returns") == [("sent", None)]
    done = recover_cli(data_dir, sandbox, api_key)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Recovered unverified return 0001 of SGD 4.50 as store credit." in done.stdout
    after = rows(db, CREDITS)
    assert len(after) == 1 and after[0][1:] == ("store_credit", 450, 1)
    if before:
        assert after[0][0] == before[0][0]
    assert rows(db, "SELECT state, refund_no, replace(store_credit_code, '-', '') FROM unverified_returns") == [
        ("succeeded", 1, after[0][0])
    ]
    assert recover_cli(data_dir, sandbox, api_key).returncode == 0
    assert rows(db, "SELECT count(*) FROM gift_card_entries") == [(1,)]
    check_invariants(db, sandbox_client(sandbox, api_key))
