"""The till speaks the API version the pinned SDK sends, with only the parameters that version declares."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from stripe._api_version import _ApiVersion

from pos.adapters.db import audit, core
from pos.adapters.db.receipts import ReceiptsRepo
from pos.adapters.db.refunds import SqlRefunds
from pos.adapters.db.settings import SettingsRepo
from pos.domain.money import Money
from pos.sandbox import running_sandbox
from pos.services import sales
from pos.services.checkout import Cancelled, Declined, Paid
from pos.services.recovery import recover
from pos.services.refunds import Refunded, Refunds
from tests.helpers.sdk_params import undeclared
from tests.invariants import check_invariants

from .conftest import Shop


def db(shop):
    return shop.data_dir / "pos.sqlite3"


def test_every_request_the_till_sends_is_declared_by_the_sdk(shop, sandbox):
    refunds = Refunds(SqlRefunds(shop.engine, SettingsRepo(shop.engine)), shop.gateway)
    with sandbox.recording() as exchanges:
        shop.cart_of((shop.latte, 2))
        assert isinstance(shop.till.pay("pm_card_chargeDeclined"), Declined)
        paid = shop.till.pay("pm_card_visa")
        assert isinstance(paid, Paid)
        shop.checkout.label_with_receipt(paid.receipt)
        shop.till.new_sale()
        shop.cart_of((shop.bun, 1))
        assert isinstance(shop.till.pay("pm_card_authenticationRequired"), Cancelled)
        receipt_id = ReceiptsRepo(shop.engine).receipt_id_for(paid.receipt.receipt_no, "T1")
        refunded = refunds.refund(receipt_id, amount=Money(100, "SGD"), reason="requested_by_customer")
        assert isinstance(refunded, Refunded)
        # Recovery: a create whose answer was lost, found two days later by search.
        shop.till.new_sale()
        lost = shop.checkout.start_sale(shop.cart_of((shop.bun, 2)))
        shop.gateway.create_payment_intent(lost.create, sales.create_key(lost.sale_key))
        recover(shop.journal, shop.gateway, now=datetime.now(timezone.utc) + timedelta(days=2))
        shop.gateway.list_refunds(paid.receipt.payment_intent)
        shop.gateway.check_key()
    problems = [
        f"{e.method} {e.path}: {undeclared(e.params_type, e.params)}"
        for e in exchanges
        if undeclared(e.params_type, e.params)
    ]
    assert not problems, problems
    assert {e.version for e in exchanges} == {_ApiVersion.CURRENT}
    assert all(e.status in (200, 402) for e in exchanges), [(e.path, e.status, e.body[:200]) for e in exchanges]
    covered = {e.params_type for e in exchanges}
    assert covered >= {
        "PaymentIntentCreateParams",
        "PaymentIntentConfirmParams",
        "PaymentIntentRetrieveParams",
        "PaymentIntentCancelParams",
        "PaymentIntentUpdateParams",
        "PaymentIntentSearchParams",
        "RefundCreateParams",
        "RefundListParams",
        "PaymentIntentListParams",
    }
    check_invariants(db(shop), shop.stripe)


def journal_as_older_till(shop, sale, stripe_params: dict) -> None:
    """Rewrite the sale's journaled create as a till before the typed requests stored it. Such a till
    wrote no sale_started event either: its unfinished sale is covered, as it stands, by the layout 11
    upgrade's baseline event (adapters/db/audit.py), which this does too."""
    # The older till's file, edited as it was left: SQL on the driver, then the baseline as the
    # layout upgrade runs it, on a Core connection in the same transaction.
    with core.writing(shop.engine) as conn:
        started = conn.exec_driver_sql(
            "DELETE FROM audit_events WHERE id = (SELECT max(id) FROM audit_events) AND kind = 'sale_started'"
        )
        assert started.rowcount == 1  # the start was the newest event: the chain stays whole without it
        conn.exec_driver_sql("UPDATE sales SET create_params = ? WHERE id = ?", (json.dumps(stripe_params), sale.id))
        audit.baseline(conn, sale.till_id)
    shop.engine.dispose()


def test_a_journal_from_before_endive_is_still_recovered(shop):
    # A sale journaled by an older till holds Stripe's parameters (payment_method_types, refused on
    # this version) where the till now keeps its typed request. The journal still reads it, and recovery
    # resends the request as this version takes it: the intent it makes is cancelled, the cart parked.
    sale = shop.checkout.start_sale(shop.cart_of((shop.latte, 1)))
    old = {
        "amount": sale.total_minor,
        "currency": sale.currency.lower(),
        "payment_method_types": ["card"],
        "metadata": {"sale_id": sale.sale_key, "till_id": sale.till_id},
    }
    journal_as_older_till(shop, sale, old)
    results = recover(shop.journal, shop.gateway)
    assert [r.outcome for r in results] == ["parked"]
    made = shop.stripe.v1.payment_intents.list().data
    assert [(pi.amount, pi.metadata["sale_id"], pi.status) for pi in made] == [
        (sale.total_minor, sale.sale_key, "canceled")
    ]
    check_invariants(db(shop), shop.stripe)


def test_an_old_create_that_had_landed_is_found_by_search(shop):
    # The old till's create had reached Stripe with the old parameters: the same key with the
    # request as sent now is an idempotency mismatch, so recovery looks the sale up by its metadata.
    sale = shop.checkout.start_sale(shop.cart_of((shop.latte, 1)))
    old = {
        "amount": sale.total_minor,
        "currency": sale.currency.lower(),
        "metadata": {"sale_id": sale.sale_key, "till_id": sale.till_id},
    }
    landed = shop.stripe.v1.payment_intents.create(old, {"idempotency_key": sales.create_key(sale.sale_key)})
    journal_as_older_till(shop, sale, old)
    results = recover(shop.journal, shop.gateway)
    assert [r.outcome for r in results] == ["parked"]
    assert shop.journal.sale(sale.id).payment_intent == landed.id
    assert [pi.id for pi in shop.stripe.v1.payment_intents.list().data] == [landed.id]
    assert shop.stripe.v1.payment_intents.retrieve(landed.id).status == "canceled"
    check_invariants(db(shop), shop.stripe)


def test_recovery_is_right_while_search_lags(tmp_path, api_key):
    # Stripe's search is not read-after-write (https://docs.stripe.com/search#data-freshness).
    with running_sandbox(search_lag=3600) as sb:
        shop = Shop(tmp_path / "data", sb, api_key)
        try:
            # 1. A create that landed, then the intent was paid elsewhere (say, from the Dashboard):
            #    search, lagging, still shows it unpaid.
            landed = shop.checkout.start_sale(shop.cart_of((shop.latte, 1)))
            intent = shop.gateway.create_payment_intent(landed.create, sales.create_key(landed.sale_key))
            sb.clock.advance(3601)
            shop.stripe.v1.payment_intents.confirm(intent.id, {"payment_method": "pm_card_visa"})
            # 2. A create that landed a moment ago: search cannot see it at all yet.
            fresh = shop.checkout.start_sale(shop.cart_of((shop.bun, 1)))
            unseen = shop.gateway.create_payment_intent(fresh.create, sales.create_key(fresh.sale_key))
            later = datetime.now(timezone.utc) + timedelta(days=2)
            results = {r.sale_id: r for r in recover(shop.journal, shop.gateway, now=later)}
            assert results[landed.id].outcome == "receipt_saved"
            assert shop.journal.sale(landed.id).payment_intent == intent.id
            # Never confirmed, so parking it is safe; the orphan intent can never be charged by the till.
            assert results[fresh.id].outcome == "parked"
            assert shop.stripe.v1.payment_intents.retrieve(unseen.id).status == "requires_payment_method"
            check_invariants(db(shop), shop.stripe)
        finally:
            shop.engine.dispose()
