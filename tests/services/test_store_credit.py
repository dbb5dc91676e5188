"""A refund given as store credit (issue 24 item 4): one code, issued exactly once through the refund
machine, printed on the refund slip; killed at each recovery point, recovery issues the same code or
the first one. The app's own wiring on a real SQLite file and the Stripe sandbox over HTTP."""

from __future__ import annotations

import re

import pytest

from pos.adapters.db.receipts import ReceiptsRepo
from pos.adapters.db.refunds import SqlRefunds
from pos.adapters.db.giftcards import TillGiftCards
from pos.domain.refunds import render_refund_text
from pos.services.giftcards import GiftCards
from pos.services.refunds import Refunded, RefundFailed, Refunds
from pos.services.store_credit import GiftCardStoreCredit
from tests.invariants import check_invariants
from tests.services.conftest import sandbox_client
from tests.services.test_crash_recovery import recover_cli, refund_killed_at
from tests.services.test_refund_drawer import rows, sgd

CODE = re.compile(r"[2-9A-HJKMNP-TV-Z]{4}(-[2-9A-HJKMNP-TV-Z]{4}){3}")  # the gift-card ledger's, as printed
CREDITS = (
    "SELECT c.code, c.purpose, sum(e.amount_minor), count(e.id) FROM gift_cards c"
    " JOIN gift_card_entries e ON e.card_id = c.id GROUP BY c.id ORDER BY c.id"
)


def ledger(shop):
    return GiftCardStoreCredit(GiftCards(TillGiftCards(shop.engine), lambda: "SGD"))


def test_a_refund_to_store_credit_issues_one_code_and_moves_no_money(shop):
    refunds = Refunds(SqlRefunds(shop.engine, shop.settings), shop.gateway, credit=ledger(shop))
    shop.cart_of((shop.latte, 1), (shop.bun, 1))  # 9.00: 2.00 cash, the rest by card
    shop.till.pay_cash(sgd(200))
    receipt = shop.till.pay_card(sgd(700), "pm_card_visa").receipt
    receipt_id = ReceiptsRepo(shop.engine).receipt_id_for(receipt.receipt_no, "T1")
    given = refunds.refund(receipt_id, lines={1: 1}, to_store_credit=True)  # the latte, 5.80
    assert isinstance(given, Refunded) and not given.more  # one piece, one code, whatever paid
    code = given.refund.store_credit_code
    assert code and CODE.fullmatch(code)
    text = render_refund_text(given.refund)
    assert f"Store credit code {code}" in text and "in cash" not in text and "To card" not in text
    db = shop.data_dir / "pos.sqlite3"
    # One card of the gift-card ledger, purpose store_credit, holding 5.80 (one issue entry).
    assert rows(db, CREDITS) == [(code.replace("-", ""), "store_credit", 580, 1)]
    assert rows(db, "SELECT tender_kind, state, refund_no, tender_id, store_credit_code FROM refunds") == [
        ("store_credit", "succeeded", 1, None, code)
    ]
    # No money moved: no Stripe refund, no cash out; the receipt has 3.20 left to refund.
    (intent,) = shop.stripe.v1.payment_intents.list().data
    assert shop.stripe.v1.refunds.list({"payment_intent": intent.id}).data == []
    assert refunds.basis(receipt_id).remaining_minor == 320
    assert isinstance(refunds.refund(receipt_id, lines={1: 1}, to_store_credit=True), RefundFailed)  # once only
    check_invariants(db, shop.stripe)


def test_store_credit_and_cash_together_are_refused(shop):
    refunds = Refunds(SqlRefunds(shop.engine, shop.settings), shop.gateway, credit=ledger(shop))
    shop.cart_of((shop.latte, 1))
    receipt = shop.till.pay_cash(sgd(580)).receipt
    receipt_id = ReceiptsRepo(shop.engine).receipt_id_for(receipt.receipt_no, "T1")
    refused = refunds.refund(receipt_id, amount=sgd(100), in_cash=True, to_store_credit=True)
    assert refused == RefundFailed("Give it back in cash or as store credit, not both.")
    without = Refunds(SqlRefunds(shop.engine, shop.settings), shop.gateway)
    assert without.refund(receipt_id, amount=sgd(100), to_store_credit=True) == RefundFailed(
        "This till cannot give store credit."
    )
    assert rows(shop.data_dir / "pos.sqlite3", "SELECT count(*) FROM refunds") == [(0,)]


@pytest.mark.parametrize("point", ["after_refund_recorded", "after_store_credit_issued"])
def test_killed_at_each_store_credit_recovery_point_one_code_is_issued(tmp_path, sandbox, api_key, point):
    """SIGKILL after the piece is journaled (no code yet) and after the code is written (the piece not
    numbered): `pos recover` finishes it, with the code issued before if there was one, never a second."""
    data_dir = tmp_path / "till"
    refund_killed_at(point, data_dir, sandbox, api_key, "credit")
    db = data_dir / "pos.sqlite3"
    before = rows(db, "SELECT code FROM gift_cards")
    assert len(before) == (1 if point == "after_store_credit_issued" else 0)
    assert rows(db, "SELECT tender_kind, state FROM refunds") == [("store_credit", "sent")]
    done = recover_cli(data_dir, sandbox, api_key)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Recovered refund 0001 of SGD 4.50 for receipt 0001" in done.stdout
    after = rows(db, CREDITS)
    assert len(after) == 1 and after[0][1:] == ("store_credit", 450, 1)
    if before:
        assert after[0][0] == before[0][0]  # the same code: issued under the piece's key, once
    assert rows(db, "SELECT state, refund_no, replace(store_credit_code, '-', '') FROM refunds") == [
        ("succeeded", 1, after[0][0])
    ]
    assert rows(db, "SELECT refunded_minor FROM receipts") == [(450,)]
    # Recovering again issues nothing more.
    assert recover_cli(data_dir, sandbox, api_key).returncode == 0
    assert rows(db, "SELECT count(*) FROM gift_card_entries") == [(1,)]
    client = sandbox_client(sandbox, api_key)
    (intent,) = client.v1.payment_intents.list().data
    assert client.v1.refunds.list({"payment_intent": intent.id}).data == []
    check_invariants(db, client)
