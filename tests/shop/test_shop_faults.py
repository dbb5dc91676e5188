"""The shop database's own faults and what comes down from it (issue 23): the shop's errors are
the shop's, refunds are claimed at the shop, and a bad row from the shop is kept aside.

Real tills (build_context on SQLite data folders, the sandbox over HTTP), a real PostgreSQL; faults
are made at the shop as they happen there (a server ending the session, a read-only database, rows
written by another program), never by mocking the link."""

from __future__ import annotations

import contextlib
import threading
from datetime import date, timedelta

from pos.adapters.db import raw
from pos.app import open_back_office
from pos.adapters.shop.claims import CLAIM_GRACE
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.services.outcomes import Paid
from pos.services.refund_phases import RefundFailed, Refunded
from tests.helpers.shop import pos, sell, shop_rows, till

# The shop's server ends the session of whoever inserts a receipt: a server stopping mid-round,
# at a point of the round the test chooses (the receipts go up inside the till's local read).
DIE_ON_RECEIPT = """
CREATE FUNCTION die() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$;
CREATE TRIGGER die BEFORE INSERT ON shop_receipts FOR EACH ROW EXECUTE FUNCTION die();
"""


def test_a_shop_outage_mid_round_is_the_shops_not_the_tills_database(pg, shop_db, tmp_path, sandbox, api_key):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        sell(t1, 2, cash_only=True)
        assert t1.shop.round().complete
        sell(t1, 3, start=2, cash_only=True)
        name = shop_db.rsplit("/", 1)[1]
        shop_rows(pg, shop_db, DIE_ON_RECEIPT)
        result = t1.shop.round()  # the window's round: a shop problem, so the back-off applies
        assert result.problem is not None and "shop database is unreachable" in result.problem, result
        assert t1.shop.failures == 1 and t1.shop.next_round_in() == 5
    finally:
        t1.close()
    ran = pos("sync", data_dir=tmp_path / "T1", shop_db=shop_db)
    assert ran.returncode == 1, ran
    errors = [line for line in ran.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "shop database is unreachable" in errors[0], ran.stderr
    assert "could not save to its database" not in ran.stderr and "Traceback" not in ran.stderr
    shop_rows(pg, shop_db, "DROP TRIGGER die ON shop_receipts")
    # A read-only shop database (a standby, or set so by its administrator): said so, in one line.
    with pg.admin() as admin:
        admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    ran = pos("sync", data_dir=tmp_path / "T1", shop_db=shop_db)
    assert ran.returncode == 1, ran
    errors = [line for line in ran.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "read-only" in errors[0] and "unexpectedly" not in errors[0], ran.stderr
    office = open_back_office(tmp_path / "T1", shop_db)  # the window's round and status line
    try:
        assert office.shop.round().problem is not None and office.shop.next_round_in() == 5
        assert office.shop.status_text() == "Shop database read-only — 3 receipts waiting"
    finally:
        office.close()
    with pg.admin() as admin:
        admin.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
    assert pos("sync", data_dir=tmp_path / "T1", shop_db=shop_db).returncode == 0  # nothing lost meanwhile
    assert shop_rows(pg, shop_db, "SELECT receipt_no FROM shop_receipts ORDER BY 1") == [(n,) for n in range(1, 6)]


AWAY = "postgresql://postgres@127.0.0.1:1/shop"  # nothing listens there: the shop unreachable for one till


def _nine(context):
    """One sale of 9.00 in cash at this till; its receipt's local id."""
    product = context.catalog.find_code("NINE") or context.catalog.save(
        Product(sku="NINE", name="Cake", category="Food", price=Money(900, "SGD"), tax_rate_bp=900)
    )
    context.till.new_sale()
    context.till.cart.add(product, 1)
    paid = context.till.pay_cash(context.till.amount_due())
    assert isinstance(paid, Paid), paid
    return context.receipts.receipt_id_for(paid.receipt.receipt_no, paid.receipt.till_id)


@contextlib.contextmanager
def _two_tills(tmp_path, sandbox, api_key, shop_db):
    """Tills T3 and T4 of one shop, T3's receipt 1 (9.00 cash) at the shop: (t3, t4, its id at T3)."""
    t3 = till(tmp_path, "T3", sandbox, api_key, shop_db)
    t4 = till(tmp_path, "T4", sandbox, api_key, shop_db)
    try:
        mine = _nine(t3)
        assert t3.shop.round().complete and t4.shop.round().complete
        yield t3, t4, mine
    finally:
        t3.close()
        t4.close()


def test_two_online_tills_cannot_refund_one_receipt_twice(pg, shop_db, tmp_path, sandbox, api_key):
    nine = Money(900, "SGD")
    with _two_tills(tmp_path, sandbox, api_key, shop_db) as (t3, t4, mine):
        copied = t4.shop.receipt_from("T3", 1)
        assert isinstance(t4.refunds.refund(copied, amount=nine, in_cash=True), Refunded)
        assert t4.shop.round().complete
        # T3 has not synced since: it still sees 9.00 refundable, and the shop says no.
        assert t3.refunds.basis(mine).remaining_minor == 900
        refused = t3.refunds.refund(mine, amount=nine, in_cash=True)
        assert isinstance(refused, RefundFailed) and "Nothing is left to refund" in refused.message, refused
        # The other way round, before T4's refund is even sent: its claim is enough.
        second = _nine(t3)
        assert t3.shop.round().complete
        copied = t4.shop.receipt_from("T3", 2)
        assert isinstance(t4.refunds.refund(copied, amount=Money(400, "SGD"), in_cash=True), Refunded)
        refused = t3.refunds.refund(second, amount=nine, in_cash=True)
        assert isinstance(refused, RefundFailed) and "only SGD 5.00 is left" in refused.message
        assert isinstance(t3.refunds.refund(second, amount=Money(500, "SGD"), in_cash=True), Refunded)
        assert t3.shop.round().complete and t4.shop.round().complete
        for context in (t3, t4):
            assert context.audit.verify() is None
    rows = shop_rows(pg, shop_db, "SELECT receipt_no, sum(amount_minor) FROM shop_refunds GROUP BY 1 ORDER BY 1")
    assert rows == [(1, 900), (2, 900)]


def test_a_refund_with_the_shop_away_is_its_own_tills_and_flagged_when_the_refunds_meet(
    pg, shop_db, tmp_path, sandbox, api_key
):
    nine = Money(900, "SGD")
    with _two_tills(tmp_path, sandbox, api_key, shop_db) as (t3, t4, _mine):
        copied = t4.shop.receipt_from("T3", 1)
        assert isinstance(t4.refunds.refund(copied, amount=Money(400, "SGD"), in_cash=True), Refunded)
    # Both tills now cut off from the shop: T4 cannot refund another till's receipt; T3 refunds its
    # own on what it knows, and says so.
    t4 = till(tmp_path, "T4", sandbox, api_key, AWAY)
    try:
        refused = t4.refunds.refund(t4.receipts.receipt_id_for(1, "T3"), amount=Money(100, "SGD"), in_cash=True)
        assert isinstance(refused, RefundFailed) and "shop database is unreachable" in refused.message
    finally:
        t4.close()
    t3 = till(tmp_path, "T3", sandbox, api_key, AWAY)
    try:
        given = t3.refunds.refund(t3.receipts.receipt_id_for(1, "T3"), amount=nine, in_cash=True)
        assert isinstance(given, Refunded) and "unreachable" in (given.problem or ""), given
    finally:
        t3.close()
    assert pos("sync", data_dir=tmp_path / "T4", shop_db=shop_db).returncode == 0
    ran = pos("sync", data_dir=tmp_path / "T3", shop_db=shop_db)
    assert ran.returncode == 1, ran
    assert "receipt T3-0001 was refunded" in ran.stderr and "13.00 of" in ran.stderr, ran.stderr
    report = pos("shop", "report", "--date", date.today().isoformat(), data_dir=tmp_path / "T3", shop_db=shop_db)
    assert report.returncode == 0 and "receipt T3-0001 was refunded" in report.stdout, report


def test_a_claim_left_by_a_till_that_stopped_is_released(pg, shop_db, tmp_path, sandbox, api_key, monkeypatch):
    nine = Money(900, "SGD")
    with _two_tills(tmp_path, sandbox, api_key, shop_db) as (t3, t4, mine):
        # T3 claims the whole receipt and stops before journaling the refund (as a power cut would).
        assert t3.refunds.claims.claim(mine, [("lost-refund", 900)]).granted
        copied = t4.shop.receipt_from("T3", 1)
        refused = t4.refunds.refund(copied, amount=nine, in_cash=True)
        assert isinstance(refused, RefundFailed) and "Nothing is left" in refused.message
        assert t3.shop.round().complete  # too soon to tell a stopped till from a slow one: kept
        assert isinstance(t4.refunds.refund(copied, amount=nine, in_cash=True), RefundFailed)
        later = raw.clock() + CLAIM_GRACE + timedelta(minutes=1)
        monkeypatch.setattr(raw, "clock", lambda: later)
        assert t3.shop.round().complete  # T3 has no refund of that key: the claim is released
        assert isinstance(t4.refunds.refund(copied, amount=nine, in_cash=True), Refunded)
    released = "SELECT released_at IS NOT NULL FROM shop_refund_claims WHERE claim_key = 'lost-refund'"
    assert shop_rows(pg, shop_db, released) == [(True,)]


BAD_ROWS = """
INSERT INTO shop_products (sku, barcode, name, category, price_minor, currency, tax_rate_bp, active, version,
                           edited_by, edited_at) VALUES
 ('NEG', '111', 'Minus five', 'Food', -500, 'SGD', 900, true, 9001, 'sql', ''),
 ('ZERO', NULL, 'Free', 'Food', 0, 'SGD', 900, true, 9002, 'sql', ''),
 ('HUGE', NULL, 'Yacht', 'Food', 2000000000, 'SGD', 900, true, 9003, 'sql', ''),
 ('TAX999', NULL, 'Taxed', 'Food', 900, 'SGD', 99999, true, 9004, 'sql', ''),
 ('TAXNEG', NULL, 'Untaxed', 'Food', 900, 'SGD', -900, true, 9005, 'sql', ''),
 ('USD', NULL, 'Import', 'Food', 900, 'USD', 900, true, 9006, 'sql', ''),
 ('E1', '', 'No code one', 'Food', 900, 'SGD', 900, true, 9007, 'sql', ''),
 ('E2', '', 'No code two', 'Food', 900, 'SGD', 900, true, 9008, 'sql', ''),
 ('GOOD', NULL, 'Good cake', 'Food', 900, 'SGD', 900, true, 9009, 'sql', '');
INSERT INTO shop_settings (key, value, version, edited_by, edited_at) VALUES
 ('idle_lock_minutes', 'abc', 9101, 'sql', ''),
 ('time_zone', 'Mars/Base', 9102, 'sql', ''),
 ('locale', 'zz_QQ', 9103, 'sql', ''),
 ('default_tax_rate_bp', '99999', 9104, 'sql', ''),
 ('store_name', 'Good Shop', 9105, 'sql', '')
ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version;
"""


def test_bad_rows_from_the_shop_are_set_aside_and_the_round_goes_on(pg, shop_db, tmp_path, sandbox, api_key):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        assert t1.shop.round().complete
        shop_rows(pg, shop_db, BAD_ROWS)
        result = t1.shop.round()
        assert result.problem is None, result
        aside = "\n".join(result.pulled.set_aside)
        for name in ("NEG", "ZERO", "HUGE", "TAX999", "TAXNEG", "USD"):
            assert f"product {name}:" in aside, aside
            assert t1.catalog.find_code(name) is None  # never sold: a negative line would be a hidden discount
        for key in ("idle_lock_minutes", "time_zone", "locale", "default_tax_rate_bp"):
            assert f"setting {key} = " in aside, aside
        assert "USD" in aside and "Mars/Base" in aside and "zz_QQ" in aside
        # The good rows of the same round are taken; two products without a barcode are not a clash.
        assert {t1.catalog.find_code(s).name for s in ("GOOD", "E1", "E2")} == {
            "Good cake",
            "No code one",
            "No code two",
        }
        settings = t1.settings
        assert settings.store_name == "Good Shop" and settings.time_zone == "" and settings.locale == "en_SG"
        assert settings.idle_lock_minutes == 0 and settings.default_tax_rate_bp == 900
        assert "10 rows from the shop set aside" in t1.shop.status_text()
        sell(t1, 1, cash_only=True)  # receipts still go up
        assert t1.shop.round().pushed.receipts == 1
    finally:
        t1.close()
    ran = pos("sync", data_dir=tmp_path / "T1", shop_db=shop_db)
    assert ran.returncode == 1 and "set aside, not taken from the shop: product NEG:" in ran.stderr, ran
    assert "Traceback" not in ran.stderr
    # The owner fixes the rows at the shop: the newer versions are taken and nothing is set aside.
    shop_rows(pg, shop_db, "UPDATE shop_products SET price_minor = 500, version = version + 1000 WHERE sku = 'NEG'")
    shop_rows(
        pg,
        shop_db,
        "UPDATE shop_products SET price_minor = 500, tax_rate_bp = 900, currency = 'SGD', version = version + 1000"
        " WHERE sku IN ('ZERO', 'HUGE', 'TAX999', 'TAXNEG', 'USD')",
    )
    shop_rows(pg, shop_db, "UPDATE shop_settings SET value = '5', version = 9201 WHERE key = 'idle_lock_minutes'")
    shop_rows(pg, shop_db, "UPDATE shop_settings SET value = 'Asia/Singapore', version = 9202 WHERE key = 'time_zone'")
    shop_rows(pg, shop_db, "UPDATE shop_settings SET value = 'en_SG', version = 9203 WHERE key = 'locale'")
    shop_rows(pg, shop_db, "UPDATE shop_settings SET value = '800', version = 9204 WHERE key = 'default_tax_rate_bp'")
    ran = pos("sync", data_dir=tmp_path / "T1", shop_db=shop_db)
    assert ran.returncode == 0 and "set aside" not in ran.stderr, ran.stderr


def test_two_tills_claiming_one_receipt_at_once_get_one_yes(pg, shop_db, tmp_path, sandbox, api_key):
    with _two_tills(tmp_path, sandbox, api_key, shop_db) as (t3, t4, mine):
        copied = t4.shop.receipt_from("T3", 1)
        start = threading.Barrier(2)
        answers = {}

        def claim(name, context, receipt_id):
            start.wait()
            answers[name] = context.refunds.claims.claim(receipt_id, [(f"{name}-key", 900)])

        threads = [
            threading.Thread(target=claim, args=("T3", t3, mine)),
            threading.Thread(target=claim, args=("T4", t4, copied)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(a.granted for a in answers.values()) == [False, True], answers
