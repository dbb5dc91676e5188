"""The exactly-once invariants, checked against the till's SQLite file and the sandbox."""

from __future__ import annotations

import sqlite3
from collections import Counter


def check_invariants(db_path, stripe_client) -> dict:
    """Raise AssertionError unless every invariant holds; returns a few counts for reporting."""
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        sales = conn.execute("SELECT id, sale_key, state, total_minor, currency, payment_intent FROM sales").fetchall()
        receipts = conn.execute(
            "SELECT till_id, receipt_no, sale_id, payment_intent, total_minor, currency, rounding_minor, card_minor,"
            " cash_minor FROM receipts"
        ).fetchall()
        tenders = conn.execute(
            "SELECT t.sale_id, t.kind, t.state, t.amount_minor, t.payment_intent, s.state, t.tendered_minor"
            " FROM tenders t"
            " JOIN sales s ON s.id = t.sale_id"
        ).fetchall()
        card_refunds = conn.execute(
            "SELECT coalesce(t.payment_intent, r.payment_intent), f.state, f.amount_minor FROM refunds f"
            " JOIN receipts r ON r.id = f.receipt_id LEFT JOIN tenders t ON t.id = f.tender_id"
            " WHERE f.tender_kind = 'card'"
        ).fetchall()
    finally:
        conn.close()
    intents = []
    page = stripe_client.v1.payment_intents.list({"limit": 100})
    while True:
        intents.extend(page.data)
        if not page.has_more:
            break
        page = stripe_client.v1.payment_intents.list({"limit": 100, "starting_after": page.data[-1].id})
    by_sale = Counter(pi.metadata["sale_id"] for pi in intents if pi.status == "succeeded")
    succeeded = {pi.id: pi for pi in intents if pi.status == "succeeded"}
    # Each sale has at most one PaymentIntent at all, hence at most one succeeded one.
    per_sale = Counter(pi.metadata["sale_id"] for pi in intents)
    assert all(n == 1 for n in per_sale.values()), f"a sale has several intents: {per_sale.most_common(3)}"
    assert all(n == 1 for n in by_sale.values())
    # Every succeeded intent is exactly one card tender (of a receipt, of a sale still being paid in
    # parts, or given back when its sale was voided), for the intent's amount.
    tender_by_intent = Counter(t[4] for t in tenders if t[1] == "card")
    for pi_id in succeeded:
        assert tender_by_intent[pi_id] == 1, f"succeeded intent {pi_id} has {tender_by_intent[pi_id]} tenders"
    for sale_id, kind, state, amount, pi_id, sale_state, charged in tenders:
        if kind == "card":
            pi = succeeded.get(pi_id)
            # What the card was charged: the tender's share of the sale, plus a tip given on a reader.
            assert pi is not None and pi.amount == charged, f"card tender of sale {sale_id} has no succeeded {pi_id}"
            assert charged - amount == _tip(pi), f"card tender of sale {sale_id}: its tip differs from Stripe's"
        if sale_state == "paid":
            assert state == "paid", f"sale {sale_id} has a receipt but a {state} tender"
        elif sale_state == "abandoned":
            assert state == "returned", f"voided sale {sale_id} kept a paid {kind} tender"
    # What Stripe charged less what it gave back, intent by intent, is what the till says is still paid:
    # a voided sale's card part given back whole (a reader tip too), a receipt's card part less the
    # till's card refunds of it (one Stripe has not answered yet may have been made or not).
    given_back: Counter[str] = Counter()
    for refund in _all(stripe_client.v1.refunds):
        if refund.status not in ("failed", "canceled"):
            given_back[refund.payment_intent] += refund.amount
    done: Counter[str] = Counter()
    unknown: Counter[str] = Counter()
    for pi_id, state, amount in card_refunds:
        if state == "succeeded":
            done[pi_id] += amount
        elif state == "sent":
            unknown[pi_id] += amount
    returned = {t[4] for t in tenders if t[1] == "card" and t[2] == "returned"}
    for pi_id, pi in succeeded.items():
        if pi_id in returned:
            assert given_back[pi_id] == pi.amount, f"voided card part {pi_id}: {given_back[pi_id]} of {pi.amount} back"
        else:
            assert done[pi_id] <= given_back[pi_id] <= done[pi_id] + unknown[pi_id], (
                f"{pi_id}: Stripe gave back {given_back[pi_id]}, the till's card refunds say {done[pi_id]}"
            )
    paid_parts: dict[int, list[tuple[str, int]]] = {}
    for sale_id, kind, state, amount, _pi, _s, _charged in tenders:
        if state == "paid":
            paid_parts.setdefault(sale_id, []).append((kind, amount))
    for _till_id, number, sale_id, pi_id, total, currency, rounding, card, cash in receipts:
        parts = paid_parts.get(sale_id, [])
        assert sum(a for _k, a in parts) == total + rounding, f"receipt {number}: tenders do not add up"
        assert card == sum(a for k, a in parts if k == "card") and cash == sum(a for k, a in parts if k == "cash")
        if pi_id is not None:
            pi = succeeded.get(pi_id)
            assert pi is not None, f"receipt {number} has no succeeded intent"
            assert (pi.amount - _tip(pi), pi.currency) == (total, currency.lower()), f"receipt {number} amount mismatch"
    for till in {r[0] for r in receipts}:
        numbers = sorted(r[1] for r in receipts if r[0] == till)
        assert numbers == list(range(1, len(numbers) + 1)), f"receipt numbers have gaps or repeats: {numbers}"
    # Every receipt and refund is in the audit trail, and the chain holds (written in the same
    # transactions, so no crash can leave one without the other).
    broken = _audit_break(db_path)
    assert broken is None, f"audit trail: {broken}"
    return {"sales": len(sales), "receipts": len(receipts), "intents": len(intents), "succeeded": len(succeeded)}


def _all(resource) -> list:
    """Every object of a Stripe list (intents, refunds), page by page."""
    found = []
    page = resource.list({"limit": 100})
    while True:
        found.extend(page.data)
        if not page.has_more:
            return found
        page = resource.list({"limit": 100, "starting_after": page.data[-1].id})


def _tip(pi) -> int:
    """A tip the customer added on a card reader (Stripe adds it to the intent's amount)."""
    tip = (pi.to_dict().get("amount_details") or {}).get("tip") or {}
    return tip.get("amount") or 0


def _audit_break(db_path):
    from pathlib import Path

    from sqlalchemy import create_engine

    from pos.adapters.db.audit import AuditRepo

    engine = create_engine(f"sqlite:///{db_path}")  # read only: the till's own checker, no pragmas needed
    try:
        return AuditRepo(engine, Path(db_path).parent).verify()
    finally:
        engine.dispose()


def check_shop_invariants(db_paths, stripe_client) -> dict:
    """The money invariants across every till of a shop that share one Stripe account (the
    model-based test's, tests/services/test_counter_model.py), on top of `check_invariants` per till.

    A till's copy of another till's receipt (to refund it, adapters/shop/copies.py) and the other
    tills' refunds copied with it are not money this till moved: they are left out here, and the
    copy's refunds made here are counted once, at the till that made them. Raises AssertionError;
    returns the figures compared. `in_doubt` is set while a payment or refund waits for Stripe's
    answer (a confirm sent, a refund sent): Stripe and the tills may then differ until it is settled."""
    from pos.adapters.db.schema import COPIED_SALE_PREFIX

    copy = f"{COPIED_SALE_PREFIX}%"
    db_card_net, in_doubt = 0, False
    refunded: Counter = Counter()  # (till, receipt_no) -> refunded at every till
    totals: dict[tuple[str, int], int] = {}
    for path in db_paths:
        conn = sqlite3.connect(path)
        try:
            (paid,) = conn.execute(
                "SELECT coalesce(sum(t.tendered_minor), 0) FROM tenders t JOIN sales s ON s.id = t.sale_id"
                " WHERE t.kind = 'card' AND t.state = 'paid' AND s.sale_key NOT LIKE ?",
                (copy,),
            ).fetchone()
            (card_refunds,) = conn.execute(
                "SELECT coalesce(sum(amount_minor), 0) FROM refunds WHERE tender_kind = 'card'"
                " AND state = 'succeeded' AND refund_key NOT LIKE ?",
                (copy,),
            ).fetchone()
            db_card_net += paid - card_refunds
            (doubtful,) = conn.execute(
                "SELECT count(*) FROM sales WHERE state IN ('confirm_sent', 'reader_sent', 'return_sent')"
            ).fetchone()
            (sent,) = conn.execute("SELECT count(*) FROM refunds WHERE state = 'sent'").fetchone()
            in_doubt = in_doubt or bool(doubtful or sent)
            for till, number, total in conn.execute(
                "SELECT r.till_id, r.receipt_no, r.total_minor FROM receipts r JOIN sales s ON s.id = r.sale_id"
                " WHERE s.sale_key NOT LIKE ?",
                (copy,),
            ):
                totals[(till, number)] = total
            for till, number, amount in conn.execute(
                "SELECT r.till_id, r.receipt_no, f.amount_minor FROM refunds f JOIN receipts r ON r.id = f.receipt_id"
                " WHERE f.state = 'succeeded' AND f.refund_key NOT LIKE ?",
                (copy,),
            ):
                refunded[(till, number)] += amount
        finally:
            conn.close()
    # Refunds never exceed what was paid, counting every till's refunds of a receipt.
    for key, amount in refunded.items():
        assert key in totals, f"a refund of receipt {key} that no till sold"
        assert amount <= totals[key], f"receipt {key} of {totals[key]} was refunded {amount} across the tills"
    intents = _all(stripe_client.v1.payment_intents)
    charged = sum(pi.amount for pi in intents if pi.status == "succeeded")
    refunds = _all(stripe_client.v1.refunds)
    given_back = sum(r.amount for r in refunds if r.status == "succeeded")
    by_intent: Counter = Counter()
    for r in refunds:
        if r.status == "succeeded":
            by_intent[r.payment_intent] += r.amount
    amounts = {pi.id: pi.amount for pi in intents}
    for pi_id, amount in by_intent.items():
        assert amount <= amounts[pi_id], f"{pi_id} of {amounts[pi_id]} was refunded {amount} at Stripe"
    stripe_net = charged - given_back
    if not in_doubt:
        assert stripe_net == db_card_net, f"Stripe holds {stripe_net} net, the tills' records {db_card_net}"
    return {"stripe_net": stripe_net, "db_card_net": db_card_net, "in_doubt": in_doubt}
