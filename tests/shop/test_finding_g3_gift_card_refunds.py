"""Hostile tester g3 (issue 27 round, gift card leftovers): a receipt's gift card part refunded from
two other tills. Each till copies T1's receipt from the shop and refunds its gift card part back
onto the card through the shop's ledger (76cfffa). Real PostgreSQL (tests/helpers/pg.py), real
SQLite files, the sandbox for Stripe; nothing mocked."""

from __future__ import annotations

import threading

import pytest

from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.services.outcomes import Paid, PartPaid
from pos.services.refund_phases import Refunded
from pos.services.refunds import RefundFailed
from tests.helpers.shop import shop_rows, till


def sgd(minor: int) -> Money:
    return Money(minor, "SGD")


def _gift_card_part_at_t1(t1):
    """A 45.00 cake at T1: 20.00 from a shop gift card, 25.00 in cash. The card and the receipt."""
    card = t1.gift_cards.issue(sgd(2000), "sold-1")
    assert card.shop
    cake = t1.catalog.save(Product("CAKE", "Cake", "Food", sgd(4500), 900))
    t1.till.cart.add(cake, 1)
    assert isinstance(t1.till.pay_gift_card(card.code), PartPaid)
    paid = t1.till.pay_cash(sgd(2500))
    assert isinstance(paid, Paid), paid
    assert t1.gift_cards.balance(card.code).balance == sgd(0)
    return card, paid.receipt.receipt_no


def _onto_the_card(pg, shop_db) -> int:
    sql = "SELECT coalesce(sum(amount_minor), 0) FROM shop_gift_card_entries WHERE kind = 'refund_to_card'"
    rows = shop_rows(pg, shop_db, sql)
    return int(rows[0][0])


def test_finding_a_gift_card_part_refunded_at_two_other_tills_at_once_goes_back_onto_the_card_once(
    pg, shop_db, tmp_path, sandbox, api_key
):
    """Two tills (T2, T3) copy T1's receipt and each refunds 20.00 of it at once. The receipt's
    20.00 gift card part can go back onto the card once; the second refund must not put another
    20.00 on it (the shop's claim guards only the receipt's 45.00 total, and the shop's ledger
    credits a refund_to_card without asking what the part paid): 20.00 paid by the card, 40.00
    back on it, and the card's balance worth more than the customer ever loaded."""
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    t2 = till(tmp_path, "T2", sandbox, api_key, shop_db)
    t3 = till(tmp_path, "T3", sandbox, api_key, shop_db)
    try:
        card, receipt_no = _gift_card_part_at_t1(t1)
        assert t1.shop.round().complete and t2.shop.round().complete and t3.shop.round().complete
        copies = {"T2": t2.shop.receipt_from("T1", receipt_no), "T3": t3.shop.receipt_from("T1", receipt_no)}
        start = threading.Barrier(2)
        outcomes: dict[str, object] = {}

        def refund(name, context) -> None:
            start.wait()
            outcomes[name] = context.refunds.refund(copies[name], amount=sgd(2000))

        threads = [threading.Thread(target=refund, args=(n, c)) for n, c in (("T2", t2), ("T3", t3))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        done = [o for o in outcomes.values() if isinstance(o, Refunded) and o.problem is None]
        refused = [o for o in outcomes.values() if isinstance(o, RefundFailed)]
        assert len(done) == 1 and len(refused) == 1, outcomes  # one of them refunds the part
        assert "back on the card already" in refused[0].message, refused
        assert _onto_the_card(pg, shop_db) == 2000, outcomes
        assert t1.gift_cards.balance(card.code).balance == sgd(2000)
        # The refused refund's claim is let go: the receipt's 25.00 in cash is still there to refund.
        open_claims = "SELECT coalesce(sum(amount_minor), 0) FROM shop_refund_claims WHERE released_at IS NULL"
        assert shop_rows(pg, shop_db, open_claims) == [(2000,)]
    finally:
        t1.close()
        t2.close()
        t3.close()


def test_finding_a_gift_card_part_refunded_at_another_till_then_at_its_own_goes_back_onto_the_card_once(
    pg, shop_db, tmp_path, sandbox, api_key
):
    """T2 refunds the gift card part of T1's receipt onto the card; then T1 (whose own journal names
    the card) is asked for the same 20.00. T2's claim is open at the shop (its refund not yet
    synced), so the receipt has 25.00 left in all, but none of it was paid by the card."""
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    t2 = till(tmp_path, "T2", sandbox, api_key, shop_db)
    try:
        card, receipt_no = _gift_card_part_at_t1(t1)
        assert t1.shop.round().complete and t2.shop.round().complete
        copied = t2.shop.receipt_from("T1", receipt_no)
        first = t2.refunds.refund(copied, amount=sgd(2000))
        assert isinstance(first, Refunded) and first.problem is None, first
        assert t1.gift_cards.balance(card.code).balance == sgd(2000)
        own = t1.receipts.receipt_id_for(receipt_no, "T1")
        again = t1.refunds.refund(own, amount=sgd(2000))
        assert isinstance(again, RefundFailed) and "back on the card already" in again.message, again
        assert _onto_the_card(pg, shop_db) == 2000
        assert t1.gift_cards.balance(card.code).balance == sgd(2000)
        # What is left of the receipt is its cash: given back from the drawer, the card untouched.
        cash = t1.refunds.refund(own, amount=sgd(2000), in_cash=True)
        assert isinstance(cash, Refunded) and cash.refund.in_cash, cash
        assert _onto_the_card(pg, shop_db) == 2000
    finally:
        t1.close()
        t2.close()


def test_finding_the_shops_ledger_holds_a_parts_refunds_onto_the_card_to_what_it_paid(pg, shop_db, tmp_path):
    """The ledger's own check, under the card's row lock (what two tills that both passed the early
    check meet): a second key for the same part is refused, the same key again is the first entry."""
    from pos.app import open_back_office
    from pos.domain.giftcards import EntryKind
    from pos.services.giftcards import GivenBackAlready
    from tests.helpers.shop import name_till, trust_shop_ca

    trust_shop_ca(tmp_path / "T1")
    name_till(tmp_path / "T1", "T1")
    office = open_back_office(tmp_path / "T1", shop_db)
    try:
        card = office.gift_cards.issue(sgd(500), "sold-1")
        ledger = office.gift_cards.locate(card.code).ledger
        assert ledger.shop
        note = "refund T1-0001 part 1"
        ledger.credit(card.code, EntryKind.REFUND_TO_CARD, sgd(1500), "piece-a", note, cap=2000)
        ledger.credit(card.code, EntryKind.REFUND_TO_CARD, sgd(1500), "piece-a", note, cap=2000)  # replayed
        with pytest.raises(GivenBackAlready, match="back on the card already"):
            ledger.credit(card.code, EntryKind.REFUND_TO_CARD, sgd(1000), "piece-b", note, cap=2000)
        ledger.credit(card.code, EntryKind.REFUND_TO_CARD, sgd(500), "piece-c", note, cap=2000)  # what is left
        assert ledger.given_back(card.code, note) == 2000
        assert office.gift_cards.balance(card.code).balance == sgd(2500)
    finally:
        office.close()


def test_finding_two_tills_past_the_early_check_meet_at_the_cards_lock_and_one_piece_fails(
    pg, shop_db, tmp_path, sandbox, api_key
):
    """The early check cannot see a refund that is on its way: here both tills pass it, claim and
    journal their piece, and meet at the card's row (held by the test until both wait on it, seen in
    pg_stat_activity). The second to take the lock finds the part given back already: its piece
    fails (nothing credited, its claim let go), the first's stands."""
    import time

    import psycopg

    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    t2 = till(tmp_path, "T2", sandbox, api_key, shop_db)
    t3 = till(tmp_path, "T3", sandbox, api_key, shop_db)
    database = shop_db.rsplit("/", 1)[1]
    try:
        card, receipt_no = _gift_card_part_at_t1(t1)
        assert t1.shop.round().complete and t2.shop.round().complete and t3.shop.round().complete
        copies = {"T2": t2.shop.receipt_from("T1", receipt_no), "T3": t3.shop.receipt_from("T1", receipt_no)}
        outcomes: dict[str, object] = {}

        def refund(name, context) -> None:
            outcomes[name] = context.refunds.refund(copies[name], amount=sgd(2000))

        with psycopg.connect(host=str(pg.root), port=pg.port, user="postgres", dbname=database) as holder:
            holder.execute("SELECT id FROM shop_gift_cards WHERE code = %s FOR UPDATE", (card.code,))
            threads = [threading.Thread(target=refund, args=(n, c)) for n, c in (("T2", t2), ("T3", t3))]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 60
            waiting = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'"
            while shop_rows(pg, shop_db, waiting.replace("%s", f"'{database}'"))[0][0] < 2:
                assert time.monotonic() < deadline, outcomes  # both tills wait on the card's row
                time.sleep(0.05)  # a poll of the condition above, not a wait for time to pass
            holder.commit()
        for thread in threads:
            thread.join()
        done = [o for o in outcomes.values() if isinstance(o, Refunded) and o.problem is None]
        failed = [o for o in outcomes.values() if isinstance(o, RefundFailed)]
        assert len(done) == 1 and len(failed) == 1, outcomes
        assert "back on the card already" in failed[0].message and not failed[0].outcome_unknown
        assert _onto_the_card(pg, shop_db) == 2000
        open_claims = "SELECT coalesce(sum(amount_minor), 0) FROM shop_refund_claims WHERE released_at IS NULL"
        assert shop_rows(pg, shop_db, open_claims) == [(2000,)]
    finally:
        t1.close()
        t2.close()
        t3.close()
