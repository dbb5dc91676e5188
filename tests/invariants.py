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
            "SELECT till_id, receipt_no, sale_id, payment_intent, total_minor, currency FROM receipts"
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
    receipt_by_intent = Counter(r[3] for r in receipts)
    for pi_id in succeeded:
        assert receipt_by_intent[pi_id] == 1, f"succeeded intent {pi_id} has {receipt_by_intent[pi_id]} receipts"
    for _till_id, number, _sale_id, pi_id, total, currency in receipts:
        pi = succeeded.get(pi_id)
        assert pi is not None, f"receipt {number} has no succeeded intent"
        assert (pi.amount, pi.currency) == (total, currency.lower()), f"receipt {number} amount mismatch"
    for till in {r[0] for r in receipts}:
        numbers = sorted(r[1] for r in receipts if r[0] == till)
        assert numbers == list(range(1, len(numbers) + 1)), f"receipt numbers have gaps or repeats: {numbers}"
    return {"sales": len(sales), "receipts": len(receipts), "intents": len(intents), "succeeded": len(succeeded)}
