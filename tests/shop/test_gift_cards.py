"""Gift cards held at the shop database (real PostgreSQL, tests/helpers/pg.py): any till of the shop
redeems them, each redemption one shop transaction holding the card's row, so two tills spending one
card at once never take more than it holds; with the shop away a shop card cannot be redeemed and a
till-only card still can."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from pos.app import open_back_office
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.services.outcomes import Paid
from pos.services.giftcards import LedgerUnavailable, NotEnough
from tests.helpers.shop import name_till, shop_rows, till, trust_shop_ca


def sgd(minor: int) -> Money:
    return Money(minor, "SGD")


def office(tmp_path, name: str, shop_db: str | None):
    folder = tmp_path / name
    name_till(folder, name)
    trust_shop_ca(folder)
    return open_back_office(folder, shop_db)


def test_two_tills_redeeming_one_card_at_once_never_take_more_than_it_holds(pg, shop_db, tmp_path):
    one, two = office(tmp_path, "T1", shop_db), office(tmp_path, "T2", shop_db)
    try:
        card = one.gift_cards.issue(sgd(10000), "issue-1")
        assert card.shop
        assert two.gift_cards.balance(card.code).balance == sgd(10000)  # the other till sees it
        start = threading.Barrier(2)
        taken: dict[str, int] = {"T1": 0, "T2": 0}
        refused: dict[str, int] = {"T1": 0, "T2": 0}

        def spend(till, name: str) -> None:
            ledger = till.gift_cards.locate(card.code).ledger
            start.wait()
            for n in range(20):  # 2 tills x 20 x 3.00 asked of 100.00
                try:
                    taken[name] += ledger.redeem(card.code, sgd(300), f"{name}-{n}").amount.minor
                except NotEnough:
                    refused[name] += 1

        threads = [threading.Thread(target=spend, args=(t, n)) for t, n in ((one, "T1"), (two, "T2"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert taken["T1"] + taken["T2"] == 9900  # 33 redemptions of 3.00 fit; the 34th never did
        assert refused["T1"] + refused["T2"] == 40 - 33
        assert one.gift_cards.balance(card.code).balance == sgd(100)
        rows = pg.query(
            shop_db.rsplit("/", 1)[1],
            "SELECT count(*) FROM shop_gift_card_entries WHERE kind = 'redeem'",
        )
        assert rows[0][0] == 33
    finally:
        one.close()
        two.close()


def test_with_the_shop_away_a_shop_card_is_refused_in_the_cashiers_words_and_a_till_card_still_works(
    pg, shop_db, tmp_path
):
    alone = office(tmp_path, "T1", None)  # a till-only card, sold before the till joined the shop
    own = alone.gift_cards.issue(sgd(2000), "own-1")
    alone.close()
    till = office(tmp_path, "T1", shop_db)
    try:
        shop_card = till.gift_cards.issue(sgd(5000), "shop-1")
        pg.stop()
        try:
            with pytest.raises(LedgerUnavailable, match="held at the shop, which this till cannot reach now"):
                till.gift_cards.locate(shop_card.code)
            found = till.gift_cards.locate(own.code)
            assert not found.ledger.shop
            assert found.ledger.redeem(own.code, sgd(500), "own-redeem").amount == sgd(500)
            assert till.gift_cards.balance(own.code).balance == sgd(1500)
        finally:
            pg.start()
        assert till.gift_cards.balance(shop_card.code).balance == sgd(5000)
    finally:
        till.close()


def test_two_tills_paying_with_one_shop_card_at_once_through_the_payment_machine(
    pg, shop_db, tmp_path, sandbox, api_key
):
    """The counter's way: each till rings up sales of 7.00 and pays each by the same shop card
    (Till.pay_gift_card: journaled, debited at the shop with its key, recorded), both at once. The
    card gives no more than it held; every debit kept is one paid gift card tender at one till."""
    one, two = till(tmp_path, "T1", sandbox, api_key, shop_db), till(tmp_path, "T2", sandbox, api_key, shop_db)
    try:
        card = one.gift_cards.issue(sgd(5000), "issue-1")
        start = threading.Barrier(2)
        outcomes: dict[str, list] = {"T1": [], "T2": []}

        def shop_at(context, name: str) -> None:
            tea = context.catalog.find_code("GC-TEA") or context.catalog.save(
                Product(sku="GC-TEA", name="Tea", category="Drinks", price=sgd(700), tax_rate_bp=0)
            )
            start.wait()
            for _ in range(5):  # 2 tills x 5 sales of 7.00 asked of 50.00
                context.till.new_sale()
                context.till.cart.add(tea, 1)
                outcomes[name].append(context.till.pay_gift_card(card.code))
                if not isinstance(outcomes[name][-1], Paid):
                    assert context.till.void_sale("the card ran out").voided

        threads = [threading.Thread(target=shop_at, args=(c, n)) for c, n in ((one, "T1"), (two, "T2"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        results = outcomes["T1"] + outcomes["T2"]
        assert len(results) == 10 and len([r for r in results if isinstance(r, Paid)]) == 7  # 7 x 7.00 = 49.00
        net = "SELECT coalesce(sum(CASE kind WHEN 'redeem' THEN amount_minor ELSE 0 END), 0)"
        net += " - coalesce(sum(CASE kind WHEN 'refund_to_card' THEN amount_minor ELSE 0 END), 0)"
        net += " FROM shop_gift_card_entries"
        assert shop_rows(pg, shop_db, net) == [(4900,)]  # taken and kept: never more than the card held
        assert one.gift_cards.balance(card.code).balance == sgd(100)
        tendered = 0
        for context in (one, two):
            conn = sqlite3.connect(context.data_dir / "pos.sqlite3")
            try:
                tendered += conn.execute(
                    "SELECT coalesce(sum(amount_minor), 0) FROM tenders WHERE kind = 'gift_card' AND state = 'paid'"
                ).fetchone()[0]
            finally:
                conn.close()
        assert tendered == 4900  # every debit kept is exactly one paid tender at one till
    finally:
        one.close()
        two.close()


def test_two_tills_expiring_the_shops_cards_at_once_take_what_is_left_once(pg, shop_db, tmp_path, monkeypatch):
    """Issue 24 leftover: `pos giftcards expire` run on two tills of one shop at the same moment: each
    card's row is locked and its balance read under the lock, so the rest comes off once; the expiry
    day was stamped by the till that sold it, and the other till reads it from the shop."""
    from datetime import date

    one, two = office(tmp_path, "T1", shop_db), office(tmp_path, "T2", shop_db)
    try:
        one.store_settings.change("gift_card_expiry_months", "6")
        cards = [one.gift_cards.issue(sgd(1000 * (n + 1)), f"issue-{n}") for n in range(3)]
        assert all(card.shop and card.expires_on for card in cards)
        never = two.gift_cards.issue(sgd(500), "issue-never")  # T2 has no expiry setting yet (no sync here)
        assert never.expires_on == ""
        monkeypatch.setattr("pos.app.today_in", lambda _zone: date.fromisoformat(cards[0].expires_on))
        start = threading.Barrier(2)
        done: dict[str, list] = {}

        def expire(till, name: str) -> None:
            start.wait()
            done[name] = till.gift_cards.expire_due()[0]

        threads = [threading.Thread(target=expire, args=(t, n)) for t, n in ((one, "T1"), (two, "T2"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        taken = sorted(entry.amount.minor for name in done for _card, entry in done[name])
        assert taken == [1000, 2000, 3000]
        assert [two.gift_cards.balance(card.code).balance for card in cards] == [sgd(0)] * 3
        assert two.gift_cards.balance(never.code).balance == sgd(500)
        rows = pg.query(shop_db.rsplit("/", 1)[1], "SELECT count(*) FROM shop_gift_card_entries WHERE kind = 'expire'")
        assert rows[0][0] == 3
    finally:
        one.close()
        two.close()


def test_another_till_refunds_a_gift_card_part_back_onto_the_card_through_the_shop_once(
    pg, shop_db, tmp_path, sandbox, api_key
):
    """Issue 24 leftover: T2 refused to refund the gift card (and store credit) part of T1's receipt
    ("goes back onto its code only at till T1"): its copy of the receipt has the tender but not the
    card's code. With the shop reachable the piece goes back onto the card through the shop's ledger
    (one refund_to_card entry under the piece's key: once, recovery included); with the shop away it
    is refused in the cashier's words and nothing is claimed or journaled."""
    from pos.services.refund_phases import Refunded
    from pos.services.refunds import RefundFailed
    from pos.services.outcomes import PartPaid
    from tests.helpers.shop import shop_rows

    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    t2 = till(tmp_path, "T2", sandbox, api_key, shop_db)
    try:
        card = t1.gift_cards.issue(sgd(2000), "sold-1")
        credit = t1.refunds.credit.issue("credit-1", sgd(500))
        assert card.shop
        cake = t1.catalog.save(Product("CAKE", "Cake", "Food", sgd(4500), 900))
        t1.till.cart.add(cake, 1)
        assert isinstance(t1.till.pay_gift_card(card.code), PartPaid)
        assert isinstance(t1.till.pay_gift_card(credit), PartPaid)
        paid = t1.till.pay_cash(sgd(2000))
        assert isinstance(paid, Paid), paid
        assert t1.shop.round().complete and t2.shop.round().complete
        copied = t2.shop.receipt_from("T1", paid.receipt.receipt_no)
        parts = t2.refunds.basis(copied).parts
        assert [t2.gift_card_payments.journal.redemption_for_tender(p.tender_id) for p in parts] == [None] * 3

        refunded = t2.refunds.refund(copied, amount=sgd(4500))
        assert isinstance(refunded, Refunded) and refunded.problem is None, refunded
        pieces = sorted((r.in_cash, r.amount.minor) for r in refunded.refunds)
        assert pieces == [(False, 500), (False, 2000), (True, 2000)]
        assert t1.gift_cards.balance(card.code).balance == sgd(2000)
        assert t1.gift_cards.balance(credit).balance == sgd(500)
        assert t2.refunds.recover() == []  # nothing left to settle, nothing credited twice
        assert t2.shop.round().complete
        rows = shop_rows(
            pg, shop_db, "SELECT till_id, count(*) FROM shop_gift_card_entries WHERE kind = 'refund_to_card' GROUP BY 1"
        )
        assert rows == [("T2", 2)]
        assert t2.audit.verify() is None

        # A second receipt, the shop away when T2 refunds it: refused in words, nothing journaled.
        t1.till.new_sale()
        t1.till.cart.add(cake, 1)
        assert isinstance(t1.till.pay_gift_card(card.code, sgd(1000)), PartPaid)
        second = t1.till.pay_cash(sgd(3500))
        assert isinstance(second, Paid)
        assert t1.shop.round().complete and t2.shop.round().complete
        other = t2.shop.receipt_from("T1", second.receipt.receipt_no)
        pg.stop()
        try:
            refused = t2.refunds.refund(other, amount=sgd(4500))
        finally:
            pg.start()
        assert isinstance(refused, RefundFailed)
        assert refused.message.startswith(
            "Part of this receipt was paid by gift card, which goes back onto its code through the shop database, "
            "and this till cannot reach it now"
        ) and refused.message.endswith("Refund it at till T1, where it was taken, or give it as store credit.")
        assert t2.refunds.basis(other).remaining_minor == 4500
    finally:
        t1.close()
        t2.close()
