"""The payment journal on SQLAlchemy Core (issue 24 item 5, decision 0010): the same commits per sale as
when it ran plain SQL on the driver's connection, and no plain sqlite3 left in the till's code."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import event

from pos.domain.money import Money
from pos.services.checkout import Declined, Paid

POS = Path(__file__).resolve().parents[2] / "pos"


def _commits(shop, pay) -> int:
    """The transactions a Pay commits on the till's file (each a recovery point: one fsync)."""
    count = 0

    def committed(_conn) -> None:
        nonlocal count
        count += 1

    event.listen(shop.engine, "commit", committed)
    try:
        assert isinstance(pay(), Paid)  # every commit of the Pay counted, to its receipt
    finally:
        event.remove(shop.engine, "commit", committed)
    return count


def test_a_card_sale_commits_twice(shop):
    # Issue 27 item 1: the sale with its lines and keys before Stripe hears of it, then the answer's
    # transaction (the intent's id, the confirm attempt and the receipt). Before: four, the intent's id
    # and the attempt each committed on their own (decision 0002's four recovery points).
    shop.cart_of((shop.latte, 2), (shop.bun, 1))
    assert _commits(shop, lambda: shop.till.pay("pm_card_visa")) == 2


def test_a_cash_sale_commits_once(shop):
    # The sale, its lines, the cash tender and the receipt in one transaction (before: three, the sale
    # started, then turned to one paid in parts, then the tender with its receipt).
    shop.cart_of((shop.latte, 1))
    assert _commits(shop, lambda: shop.till.pay_cash(Money(1000, "SGD"))) == 1


def test_a_split_sale_commits_once_for_its_cash_and_twice_per_card_part(shop):
    # Cash part: the sale with its cash tender (1). Each card part: its row and key before Stripe (1),
    # its answer with its tender, and with the receipt on the last part (1). Before: seven.
    shop.cart_of((shop.latte, 2), (shop.bun, 1))
    count = _commits(shop, lambda: _split(shop, shop.till.cart.totals().total.minor))
    assert count == 1 + 2 + 2


def test_a_declined_card_then_another_commits_three_times(shop):
    # The sale (1); the decline's answer with the held intent id and attempt (1); the second card's
    # attempt held and written with the receipt (1). Before: six.
    shop.cart_of((shop.latte, 1))
    count = 0

    def committed(_conn) -> None:
        nonlocal count
        count += 1

    event.listen(shop.engine, "commit", committed)
    try:
        assert isinstance(shop.till.pay("pm_card_chargeDeclined"), Declined)
        assert isinstance(shop.till.pay("pm_card_visa"), Paid)
    finally:
        event.remove(shop.engine, "commit", committed)
    assert count == 3


def _split(shop, total: int):
    from pos.services.checkout import PartPaid

    assert isinstance(shop.till.pay_cash(Money(500, "SGD")), PartPaid)
    assert isinstance(shop.till.pay_card(Money(600, "SGD"), "pm_card_visa"), PartPaid)
    return shop.till.pay_card(Money(total - 1100, "SGD"), "pm_card_visa")


def test_the_till_reaches_its_file_only_through_core():
    # A module that imports sqlite3 says why on that line (the errors it turns into a cashier's
    # message; the Stripe sandbox's own store, which is not the till's file).
    bare = []
    for path in sorted(POS.rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.match(r"\s*(import sqlite3|from sqlite3 import)", line) and "#" not in line:
                bare.append(f"{path.relative_to(POS.parent)}:{n}")
    assert bare == []
    core = (POS / "adapters" / "db" / "core.py").read_text(encoding="utf-8")
    assert "def driver(" not in core  # the sqlite3 connection under a Core one is no longer handed out
    journal = (POS / "adapters" / "db" / "journal.py").read_text(encoding="utf-8")
    assert not re.search(r"\"(SELECT|INSERT|UPDATE|DELETE) ", journal)  # no SQL text: Core statements
