"""k1, issue 27's tenth session: the card and cash sale's new hot path (statements on the driver's
cursor, compiled once for all engines; digests of the values in hand; the Stripe adapter's own
transport) attacked where it assumes something: currencies with 0 and 3 decimals, a long cart of
unicode names, the cash sale's one transaction under storage faults, two tills in one process (one
of them migrated from an old layout after the statements were compiled) selling at once. Each run
ends with the audit trail verified against the file and, where the sandbox is a till's own, the
exactly-once invariants. These held on the merged code; they guard what it assumes.

Real: the sandbox over HTTP, SQLite files, a full tmpfs (root only, as in test_storage_faults)."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from pos.adapters.db.audit import AuditRepo
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.services.checkout import Failed, Paid
from pos.services.till import Till
from tests.helpers.folders import new_till_folder
from tests.helpers.layouts import as_numbered_layout
from tests.invariants import check_invariants

from .conftest import Shop
from .test_storage_faults import DiskFull, Locked, QueryOnly, tmpfs  # noqa: F401  # tmpfs: the fixture, by name

# A name every layer must carry as typed: accents, an emoji, a letter outside the BMP, a right-to-left
# override, CJK, a NUL (SQLite keeps text by its length).
NAME = "Ünïcødé ☕ 𝔘 \u202e 名前 \x00 end"


def _receipt_numbers(shop: Shop) -> list[int]:
    conn = sqlite3.connect(shop.data_dir / "pos.sqlite3")
    try:
        return [row[0] for row in conn.execute("SELECT receipt_no FROM receipts ORDER BY receipt_no")]
    finally:
        conn.close()


def _trail_holds(shop: Shop) -> None:
    assert AuditRepo(shop.engine, shop.data_dir).verify() is None
    numbers = _receipt_numbers(shop)
    assert numbers == list(range(1, len(numbers) + 1)), numbers


def _paid(result) -> Paid:
    assert isinstance(result, Paid), result
    return result


@pytest.mark.parametrize(("currency", "price"), [("JPY", 580), ("KWD", 5810)])
def test_a_currency_with_0_or_3_decimals_by_card_cash_and_both(
    tmp_path, sandbox, api_key, migrated_folder, currency, price
):
    shop = Shop(new_till_folder(migrated_folder, tmp_path / "data"), sandbox, api_key)
    try:
        till = shop.till = Till(shop.checkout, currency, True)
        item = shop.catalog.save(
            Product(sku="X", name=NAME, category="C", price=Money(price, currency), tax_rate_bp=900, barcode="9")
        )
        till.new_sale()
        till.cart.add(item, 3)
        card = _paid(till.pay("pm_card_visa"))
        till.new_sale()
        till.cart.add(item)
        _paid(till.pay_cash(Money(price * 2, currency)))
        till.new_sale()
        till.cart.add(item, 2)
        till.pay_cash(Money(price, currency))
        _paid(till.pay_card(till.amount_due(), "pm_card_visa"))
        assert card.receipt.total == Money(price * 3, currency) and card.receipt.lines[0].name == NAME
        _trail_holds(shop)
        check_invariants(shop.data_dir / "pos.sqlite3", shop.stripe)
    finally:
        shop.engine.dispose()


def test_a_cart_of_400_unicode_lines_by_card_and_by_cash(tmp_path, sandbox, api_key, migrated_folder):
    shop = Shop(new_till_folder(migrated_folder, tmp_path / "data"), sandbox, api_key)
    try:
        items = [
            shop.catalog.save(
                Product(
                    sku=f"S{i}",
                    name=f"{NAME} {i} " + "é" * 300,
                    category="C",
                    price=Money(1 + i, "SGD"),
                    tax_rate_bp=900,
                    barcode=f"b{i}",
                )  # fmt: skip
            )
            for i in range(400)
        ]
        for pay in (lambda t: t.pay("pm_card_visa"), lambda t: t.pay_cash(t.amount_due())):
            shop.till.new_sale()
            for item in items:
                shop.till.cart.add(item)
            receipt = _paid(pay(shop.till)).receipt
            assert [line.name for line in receipt.lines] == [item.name for item in items]
        _trail_holds(shop)
        check_invariants(shop.data_dir / "pos.sqlite3", shop.stripe)
    finally:
        shop.engine.dispose()


def _cash_fails_then_sells(shop: Shop, condition, words: str, phase: str) -> None:
    """`condition` armed as the journal's `phase` starts (a cash sale's one transaction, or a second
    cash part's): the cashier hears why and that the cash was not taken; once lifted, the till sells."""
    original = getattr(shop.journal, phase)

    def armed(*args, **kwargs):
        condition.start(shop)
        return original(*args, **kwargs)

    shop.cart_of((shop.latte, 1))
    if phase == "take_cash":  # a cash part first, so the next cash runs take_cash on a started sale
        assert not isinstance(shop.till.pay_cash(Money(100, "SGD")), Failed)
    setattr(shop.journal, phase, armed)
    try:
        result = shop.till.pay_cash(Money(1000, "SGD"))
    finally:
        setattr(shop.journal, phase, original)
    assert isinstance(result, Failed) and words in result.message, result
    assert "cash was not" in result.message and not result.money_may_have_moved, result.message
    condition.stop(shop)
    shop.engine.dispose()
    assert _receipt_numbers(shop) == []  # nothing half-written
    _paid(shop.till.pay_cash(Money(1000, "SGD")))
    _trail_holds(shop)
    check_invariants(shop.data_dir / "pos.sqlite3", shop.stripe)


@pytest.mark.parametrize("phase", ["begin_cash_sale", "take_cash"])
@pytest.mark.parametrize("fault", ["disk full", "locked", "read-only"])
def test_cash_under_a_storage_fault(request, tmp_path, sandbox, api_key, fault, phase):
    if fault == "disk full":
        where = request.getfixturevalue("tmpfs")  # a full tmpfs: skipped where it cannot be mounted
        shop = Shop(where / "data", sandbox, api_key)
        condition, words = DiskFull(where), "disk is full"
    elif fault == "locked":
        shop = Shop(tmp_path / "data", sandbox, api_key, busy_timeout_ms=200)
        condition, words = Locked(tmp_path / "data" / "pos.sqlite3"), "busy"
    else:
        shop = Shop(tmp_path / "data", sandbox, api_key)
        condition, words = QueryOnly(), "read-only"
    try:
        _cash_fails_then_sells(shop, condition, words, phase)
    finally:
        shop.engine.dispose()


def _sell(shop: Shop, count: int) -> None:
    for n in range(count):
        till = shop.till
        till.new_sale()
        till.cart.add(shop.latte, 1 + n % 3)
        if n % 3 == 0:
            _paid(till.pay("pm_card_visa"))
        elif n % 3 == 1:
            _paid(till.pay_cash(Money(5000, "SGD")))
        else:
            till.pay_cash(Money(100, "SGD"))
            _paid(till.pay_card(till.amount_due(), "pm_card_visa"))


def _charged_once_each(shop: Shop) -> None:
    """check_invariants reads every intent in the sandbox, and two tills share it here: each till's
    card tenders are its intents, succeeded for their amounts, and no sale is left open."""
    conn = sqlite3.connect(shop.data_dir / "pos.sqlite3")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        cards = conn.execute("SELECT payment_intent, amount_minor FROM tenders WHERE kind = 'card'").fetchall()
        open_sales = conn.execute("SELECT count(*) FROM sales WHERE state != 'paid'").fetchone()[0]
    finally:
        conn.close()
    assert open_sales == 0 and len({pi for pi, _a in cards}) == len(cards)
    for pi, amount in cards:
        intent = shop.stripe.v1.payment_intents.retrieve(pi)
        assert (intent.status, intent.amount) == ("succeeded", amount)


def test_two_tills_in_one_process_one_migrated_after_the_statements_were_compiled(
    tmp_path, sandbox, api_key, migrated_folder
):
    first = Shop(new_till_folder(migrated_folder, tmp_path / "first"), sandbox, api_key)
    _sell(first, 3)  # the hot path's statements are compiled now
    second_dir = new_till_folder(migrated_folder, tmp_path / "second")
    as_numbered_layout(second_dir / "pos.sqlite3", 12)  # a till from before Alembic: migrated at open
    second = Shop(second_dir, sandbox, api_key)
    failed: list[BaseException] = []

    def sell(shop: Shop) -> None:
        try:
            _sell(shop, 9)
        except BaseException as exc:  # noqa: BLE001  # reported by the test's thread below
            failed.append(exc)

    try:
        threads = [threading.Thread(target=sell, args=(shop,)) for shop in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not failed, failed
        for shop, receipts in ((first, 12), (second, 9)):
            _trail_holds(shop)
            assert len(_receipt_numbers(shop)) == receipts
            _charged_once_each(shop)
    finally:
        first.engine.dispose()
        second.engine.dispose()
