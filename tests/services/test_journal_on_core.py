"""The payment journal on SQLAlchemy Core (issue 24 item 5, decision 0010): the same commits per sale as
when it ran plain SQL on the driver's connection, and no plain sqlite3 left in the till's code."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import event

from pos.domain.money import Money
from pos.services.checkout import Paid

POS = Path(__file__).resolve().parents[2] / "pos"


def _commits(shop, pay) -> int:
    """The transactions a Pay commits on the till's file (each a recovery point: one fsync)."""
    count = 0

    def committed(_conn) -> None:
        nonlocal count
        count += 1

    event.listen(shop.engine, "commit", committed)
    try:
        assert isinstance(pay(), Paid)
    finally:
        event.remove(shop.engine, "commit", committed)
    return count


def test_a_card_sale_commits_four_times_as_before(shop):
    # The sale and its lines, the intent's id, the confirm attempt, the result with its receipt:
    # the four recovery points of decision 0002 (bench/core_vs_raw.py measures the same four). The
    # plain-sqlite3 journal committed four as well.
    shop.cart_of((shop.latte, 2), (shop.bun, 1))
    assert _commits(shop, lambda: shop.till.pay("pm_card_visa")) == 4


def test_a_cash_sale_commits_three_times_as_before(shop):
    # The sale and its lines, the sale turned to one paid in parts (checkout's _ready_for_parts), then
    # the cash tender with its receipt in one transaction. (Plain sqlite3 journal: 3 as well.)
    shop.cart_of((shop.latte, 1))
    assert _commits(shop, lambda: shop.till.pay_cash(Money(1000, "SGD"))) == 3


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
