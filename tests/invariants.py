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


LEDGER_TENDERS = ("gift_card", "store_credit")  # tender kinds a card's ledger pays (neither cash nor card)
_SIGNS = {"issue": 1, "reload": 1, "refund_to_card": 1, "redeem": -1, "expire": -1, "cancelled": 0}


def check_gift_card_invariants(db_paths, shop_path=None) -> dict:
    """The gift card and store credit invariants across the tills of a shop (the model-based test's):
    every card's ledger against the tills' journals. Raises AssertionError; returns per-card balances.

    - A card's balance is the sum of its entries (issue + reloads + gives back − redemptions) and never
      went below zero, entry by entry.
    - Every ledger entry is one till record: an issue or reload is a paid sale's gift card line (for no
      more than its line was paid) or a refund piece given as store credit; a redemption is a gift card
      part journaled at a till (recorded, or given back by a void), for its amount; a give-back is a
      void of that part or a refund piece given back to the card that paid it. And the other way round.
    - The gift card tenders on a receipt are its sale's recorded redemptions; per card, what the
      redemptions took less what voids gave back is what its tenders still pay.
    - Nothing is left half-done between steps: no redemption started or debited, no card a paid sale
      sold still owed, no refund piece to a card still sent."""
    from pos.adapters.db.schema import COPIED_SALE_PREFIX

    cards: dict[str, dict] = {}  # code -> purpose, entries [(kind, amount, key)]
    ledgers = [(p, "gift_cards", "gift_card_entries") for p in db_paths]
    if shop_path is not None:
        ledgers.append((shop_path, "shop_gift_cards", "shop_gift_card_entries"))
    for path, card_table, entry_table in ledgers:
        conn = sqlite3.connect(path)
        try:
            query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
            if conn.execute(query, (card_table,)).fetchone() is None:
                continue  # a shop database not set up yet (its first round makes its tables)
            for code, purpose, kind, amount, key in conn.execute(
                f"SELECT c.code, c.purpose, e.kind, e.amount_minor, e.entry_key FROM {card_table} c"
                f" LEFT JOIN {entry_table} e ON e.card_id = c.id ORDER BY c.id, e.id"
            ):
                assert code not in cards or cards[code]["table"] == card_table, f"card {code} held twice"
                card = cards.setdefault(code, {"purpose": purpose, "entries": [], "table": card_table})
                if kind is not None:
                    card["entries"].append((kind, amount, key))
        finally:
            conn.close()
    entries_by_key: dict[str, tuple[str, str, int]] = {}  # key -> (code, kind, amount)
    balances = {}
    for code, card in cards.items():
        running = 0
        for kind, amount, key in card["entries"]:
            assert amount >= 0, f"card {code}: an entry of {amount}"
            running += _SIGNS[kind] * amount
            assert running >= 0, f"card {code} went below zero ({running}) at its {kind} entry {key}"
            assert key not in entries_by_key, f"entry key {key} written twice"
            entries_by_key[key] = (code, kind, amount)
        assert card["entries"] and card["entries"][0][0] == "issue", f"card {code} was not issued first"
        balances[code] = running
    expected: set[str] = set()  # every entry key the tills' records account for

    def entry(key: str, code: str | None, kinds: tuple[str, ...], amount: int, what: str) -> None:
        found = entries_by_key.get(key)
        assert found is not None, f"{what}: no ledger entry {key}"
        assert found[1] in kinds and found[2] == amount, f"{what}: the ledger holds {found}, not {kinds} {amount}"
        assert code is None or found[0] == code, f"{what}: the entry is on card {found[0]}, not {code}"
        expected.add(key)

    redeemed: Counter = Counter()  # code -> what its redemptions took, less what voids gave back
    for path in db_paths:
        conn = sqlite3.connect(path)
        try:
            sale_state = dict(conn.execute("SELECT id, state FROM sales"))
            # Another till's receipt copied here to refund it (adapters/shop/copies.py): its gift card
            # tenders were redeemed at that till, which holds their redemptions.
            copies = {
                row[0]
                for row in conn.execute("SELECT id FROM sales WHERE sale_key LIKE ?", (f"{COPIED_SALE_PREFIX}%",))
            }
            tenders = {
                row[0]: row[1:]
                for row in conn.execute("SELECT id, sale_id, kind, state, amount_minor, rounding_minor FROM tenders")
            }
            by_sale: Counter = Counter()  # sale -> its recorded redemptions
            for key, code, sale_id, amount, state, tender_id in conn.execute(
                "SELECT redemption_key, code, sale_id, amount_minor, state, tender_id FROM gift_card_redemptions"
            ):
                what = f"{path.parent.name}: gift card part {key} ({state}) of sale {sale_id}"
                assert state not in ("started", "debited"), f"{what} was left unsettled"
                if state in ("recorded", "given_back"):
                    entry(key, code, ("redeem",), amount, what)
                    tender = tenders.get(tender_id)
                    assert tender is not None and tender[0] == sale_id and tender[1] in LEDGER_TENDERS, what
                    assert tender[3] == amount, f"{what}: its tender is of {tender[3]}"
                    want = "paid" if state == "recorded" else "returned"
                    assert tender[2] == want, f"{what}: its tender is {tender[2]}"
                    if state == "given_back":
                        entry(f"{key}-void", code, ("refund_to_card",), amount, what)
                    else:
                        redeemed[code] += amount
                        by_sale[sale_id] += amount
                elif state == "cancelled":
                    entry(key, code, ("cancelled",), 0, what)
                else:  # refused: the ledger wrote nothing for it
                    assert key not in entries_by_key, f"{what}: the ledger holds {entries_by_key[key]}"
            paid_by_card: Counter = Counter()  # sale -> its gift card tenders still paid
            for sale_id, kind, state, amount, _rounding in tenders.values():
                if kind in LEDGER_TENDERS and state == "paid" and sale_id not in copies:
                    paid_by_card[sale_id] += amount
            for sale_id in set(paid_by_card) | set(by_sale):
                assert paid_by_card[sale_id] == by_sale[sale_id], (
                    f"{path.parent.name}: sale {sale_id} ({sale_state[sale_id]}) has {paid_by_card[sale_id]} in"
                    f" gift card tenders, its redemptions {by_sale[sale_id]}"
                )
            # A paid sale's gift card lines: each card issued (or reloaded) once, for what its line was paid.
            for sale_key, line_no, code, reload, amount, state, gross in conn.execute(
                "SELECT s.sale_key, g.line_no, g.code, g.reload, g.amount_minor, g.state, l.gross_minor"
                " FROM gift_card_sales g JOIN sales s ON s.id = g.sale_id"
                " JOIN sale_lines l ON l.sale_id = g.sale_id AND l.line_no = g.line_no"
            ):
                what = f"{path.parent.name}: gift card line {line_no} of sale {sale_key}"
                assert state == "issued", f"{what} is still {state}"
                assert amount <= gross, f"{what} loads {amount} onto the card, the customer paid {gross} for it"
                entry(f"pos-{sale_key}-giftcard-{line_no}", code, ("reload",) if reload else ("issue",), amount, what)
            # Refund pieces given back to a gift card or as store credit: each one entry, once. Not the
            # copies of another till's refunds that came with its receipt (adapters/shop/copies.py):
            # that till holds the piece and its ledger entry, and is checked for it.
            for refund_key, state, kind, amount, tender_id in conn.execute(
                "SELECT refund_key, state, tender_kind, amount_minor, tender_id FROM refunds"
                " WHERE tender_kind IN ('gift_card', 'store_credit') AND refund_key NOT LIKE ?",
                (f"{COPIED_SALE_PREFIX}%",),
            ):
                what = f"{path.parent.name}: refund {refund_key} ({kind}, {state})"
                assert state != "sent", f"{what} was left unsettled"
                if state != "succeeded":
                    continue
                if kind == "store_credit" and tender_id is None:  # a new code (a part it paid goes back onto it)
                    entry(f"pos-credit-{refund_key}", None, ("issue",), amount, what)
                    continue
                (code,) = conn.execute(
                    "SELECT code FROM gift_card_redemptions WHERE tender_id = ?", (tender_id,)
                ).fetchone() or (None,)
                if code is None and tenders.get(tender_id, (None,))[0] in copies:
                    # Another till's receipt: back onto the shop card that till redeemed, found by the
                    # last four of its code the copied tender keeps (services/tenders/gift_card.py).
                    (last4,) = conn.execute("SELECT card_last4 FROM tenders WHERE id = ?", (tender_id,)).fetchone()
                    code = entries_by_key.get(refund_key, ("",))[0]
                    assert code and code.endswith(last4 or "-"), f"{what}: back on card {code}, paid by …{last4}"
                assert code is not None, f"{what}: no gift card or store credit part paid the tender it gives back"
                entry(refund_key, code, ("refund_to_card",), amount, what)
        finally:
            conn.close()
    stray = {k: v for k, v in entries_by_key.items() if k not in expected}
    assert not stray, f"ledger entries no till accounts for: {stray}"
    for code, card in cards.items():
        took = sum(a for k, a, key in card["entries"] if k == "redeem")
        back = sum(a for k, a, key in card["entries"] if k == "refund_to_card" and key.endswith("-void"))
        assert took - back == redeemed[code], (
            f"card {code}: redeemed {took} less {back} voided, tenders {redeemed[code]}"
        )
    return balances
