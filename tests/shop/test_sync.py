"""Tills and a real PostgreSQL shop database: the outbox sync, exactly once, and what flows down.

Every till here is the app's own wiring (build_context) on a real SQLite data folder, paying by
card through the sandbox over HTTP and in cash; the shop database is a real PostgreSQL server
(tests/helpers/pg.py). The same tests run on the SQLite engine the shop migrations also support.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from pos.app import open_back_office
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.services.drawer import MovementKind
from pos.services.receipts import QueryError, ReceiptQuery
from pos.services.refund_phases import RefundFailed
from pos.services.staff import VoidKind
from pos.services.shop import ShopRefused
from tests.helpers.shop import pos, put_shop_product, sell, shop_rows, till, trust_shop_ca
from tests.keys.test_keyring import secret_service  # noqa: F401 - the fixture: a real Secret Service, or why not


def test_receipts_reach_the_shop_once_however_often_the_till_syncs(pg, shop_db, tmp_path, sandbox, api_key):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        sell(t1, 6)
        receipt_id = t1.receipts.receipt_id_for(2, "T1")
        t1.refunds.refund(receipt_id, lines={1: 1})
        first = t1.shop.round()
        assert first.problem is None and first.complete
        assert (first.pushed.receipts, first.pushed.refunds) == (6, 1)
        again = t1.shop.round()  # nothing new: nothing sent
        assert (again.pushed.events, again.pushed.receipts) == (0, 0)
        sell(t1, 2, start=6)
        assert t1.shop.round().pushed.receipts == 2
        # A sale paid in part in cash, then voided; and the day closed: both reach the shop too.
        product = t1.catalog.find_code("SHOP-1")
        t1.till.new_sale()
        t1.till.cart.add(product, 2)
        t1.till.pay_cash(Money(500, "SGD"))
        assert t1.till.void_sale("customer changed their mind").voided
        t1.staff.record_void(VoidKind.SALE, Money(1100, "SGD"), "customer changed their mind")  # as the window does
        t1.reports.close_day(Money(0, "SGD"))
        assert t1.shop.round().complete
    finally:
        t1.close()
    assert shop_rows(pg, shop_db, "SELECT till_id, kind, reason FROM shop_voids") == [
        ("T1", "sale", "customer changed their mind")
    ]
    assert shop_rows(pg, shop_db, "SELECT till_id, z_no FROM shop_z_reports") == [("T1", 1)]
    rows = shop_rows(pg, shop_db, "SELECT till_id, receipt_no FROM shop_receipts ORDER BY receipt_no")
    assert rows == [("T1", n) for n in range(1, 9)]
    assert shop_rows(pg, shop_db, "SELECT till_id, refund_no, receipt_no FROM shop_refunds") == [("T1", 1, 2)]
    (events,) = shop_rows(pg, shop_db, "SELECT count(*) FROM shop_events")[0]
    assert events >= 9  # every receipt's and the refund's, and whatever else the till recorded


def test_a_batch_sent_again_after_a_lost_acknowledgement_stores_nothing_twice(pg, shop_db, tmp_path, sandbox, api_key):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        sell(t1, 3)
        assert t1.shop.round().complete
        # The till forgets what the shop acknowledged, as if it died between the shop's commit and
        # its own note of it; and the shop's acknowledgement is wound back too (the worst case).
        shop_rows(pg, shop_db, "UPDATE shop_tills SET acked_seq = 0, acked_hash = '' RETURNING 1")
        again = t1.shop.round()
        assert again.problem is None and again.pushed.receipts == 3  # sent again…
    finally:
        t1.close()
    # …and stored once.
    assert shop_rows(pg, shop_db, "SELECT count(*), count(DISTINCT receipt_no) FROM shop_receipts") == [(3, 3)]


def test_shop_report_is_the_sum_of_the_tills_reports(pg, shop_db, tmp_path, sandbox, api_key):
    tills = [till(tmp_path, name, sandbox, api_key, shop_db) for name in ("T1", "T2", "T3")]
    try:
        for n, context in enumerate(tills):
            sell(context, 4 + n)
            context.refunds.refund(context.receipts.receipt_id_for(1, context.settings.till_id), lines={1: 1})
            context.drawer.move(MovementKind.PAID_IN, Money(1000 * (n + 1), "SGD"), "change float top-up")
            assert context.shop.round().complete
    finally:
        for context in tills:
            context.close()
    today = date.today().isoformat()
    shop = pos("shop", "report", "--date", today, "--format", "json", data_dir=tmp_path / "T1", shop_db=shop_db)
    assert shop.returncode == 0, shop.stderr
    shop_json = json.loads(shop.stdout)
    mine = {}
    for name in ("T1", "T2", "T3"):
        result = pos("report", "--date", today, "--format", "json", data_dir=tmp_path / name, shop_db=shop_db)
        assert result.returncode == 0, result.stderr
        mine[name] = json.loads(result.stdout)
    assert set(shop_json["by_till"]) == {"T1", "T2", "T3"}
    for key, value in shop_json.items():
        if isinstance(value, int) and not isinstance(value, bool) and key != "z_no":
            assert value == sum(report[key] for report in mine.values()), key
    for name, report in mine.items():
        theirs = shop_json["by_till"][name]
        for key in ("sales_count", "gross_minor", "refunds_minor", "net_tax_minor", "paid_in_minor", "tax_by_rate"):
            assert theirs[key] == report[key], (name, key)
        assert theirs["gross_by_hour_minor"] == report["gross_by_hour_minor"]
    assert shop_json["sales_count"] == 4 + 5 + 6
    as_csv = pos("shop", "report", "--date", today, "--format", "csv", data_dir=tmp_path / "T1", shop_db=shop_db)
    rows = [line.split(",") for line in as_csv.stdout.splitlines()]
    assert rows[0] == ["till", "section", "item", "value"]
    assert ["shop", "totals", "sales_count", "15"] in rows and ["T3", "totals", "sales_count", "6"] in rows
    as_text = pos("shop", "report", "--date", today, data_dir=tmp_path / "T1", shop_db=shop_db)
    assert as_text.returncode == 0 and "every till" in as_text.stdout and "Till T2" in as_text.stdout
    no_shop = pos("shop", "report", "--date", today, data_dir=tmp_path / "T1", shop_db="")
    assert no_shop.returncode == 2 and "no shop database" in no_shop.stderr


def test_a_second_till_cannot_take_a_till_id_already_in_the_shop(pg, shop_db, tmp_path, sandbox, api_key):
    first = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        assert first.shop.round().complete
    finally:
        first.close()
    second = till(tmp_path / "other", "T1", sandbox, api_key, shop_db)
    try:
        result = second.shop.round()
        assert result.refused and "already used by another till" in (result.problem or "")
        with pytest.raises(ShopRefused):
            second.shop.check_till_id("T1")
    finally:
        second.close()
    refused = pos("settings", "set", "till_id", "T1", data_dir=tmp_path / "third", shop_db=shop_db)
    # A third folder starts as T1 already; asking for T1 at a shop where it is taken is refused.
    assert refused.returncode == 1 and "already used by another till" in refused.stderr
    taken = pos("settings", "set", "till_id", "T2", data_dir=tmp_path / "third", shop_db=shop_db)
    assert taken.returncode == 0, taken.stderr
    shown = pos("settings", "show", data_dir=tmp_path / "third", shop_db=shop_db)
    assert "till_id = T2" in shown.stdout


def test_catalog_and_settings_edited_at_one_till_reach_the_others(pg, shop_db, tmp_path, sandbox, api_key):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    t2 = till(tmp_path, "T2", sandbox, api_key, shop_db)
    try:
        t1.catalog.save(
            Product(sku="CAKE", name="Carrot cake", category="Cake", price=Money(600, "SGD"), tax_rate_bp=900)
        )
        settings = t1.settings
        t1.store_settings.save(replace(settings, store_name="Kopi Two Counters"))
        assert t1.shop.round().complete
        pulled = t2.shop.round()
        assert pulled.complete and pulled.pulled.products >= 1 and pulled.pulled.settings >= 1
        assert t2.catalog.find_code("CAKE").price == Money(600, "SGD")
        assert t2.settings.store_name == "Kopi Two Counters"
        assert t2.settings.till_id == "T2"  # the till's own settings stay its own
        # Both edit the same product: the edit that reaches the shop last wins, at every till.
        t2.catalog.save(
            Product(sku="CAKE", name="Carrot cake", category="Cake", price=Money(650, "SGD"), tax_rate_bp=900)
        )
        t1.catalog.save(
            Product(sku="CAKE", name="Carrot cake", category="Cake", price=Money(700, "SGD"), tax_rate_bp=900)
        )
        assert t2.shop.round().complete  # T2's edit reaches the shop first…
        assert t1.shop.round().complete  # …T1's last: it wins
        assert t2.shop.round().complete
        assert t1.catalog.find_code("CAKE").price == Money(700, "SGD")
        assert t2.catalog.find_code("CAKE").price == Money(700, "SGD")
    finally:
        t1.close()
        t2.close()
    (price,) = shop_rows(pg, shop_db, "SELECT price_minor FROM shop_products WHERE sku = 'CAKE'")[0]
    assert price == 700


def test_catalog_import_against_the_shop_database_reaches_a_till_that_was_offline(
    pg, shop_db, tmp_path, sandbox, api_key
):
    csv_file = tmp_path / "menu.csv"
    csv_file.write_text(
        "sku,barcode,name,category,price,tax_rate\n"
        "TEA,888001,Teh tarik,Drinks,2.80,9\n"
        "KAYA,888002,Kaya toast,Food,3.20,9\n"
    )
    t2 = till(tmp_path, "T2", sandbox, api_key, shop_db)
    assert t2.shop.round().complete
    t2.close()
    imported = pos("catalog", "import", str(csv_file), data_dir=tmp_path / "T1", shop_db=shop_db)
    assert imported.returncode == 0, imported.stderr
    assert "Sent to the shop database" in imported.stdout
    synced = pos("sync", data_dir=tmp_path / "T2", shop_db=shop_db)
    assert synced.returncode == 0, synced.stderr
    office = open_back_office(tmp_path / "T2")
    try:
        assert office.catalog.find_code("888002").name == "Kaya toast"
    finally:
        office.close()


def test_the_password_never_travels_in_the_address(tmp_path, shop_db):
    url = shop_db.replace("postgres@", "postgres:secret@")
    result = pos("sync", data_dir=tmp_path / "T1", shop_db=url)
    assert result.returncode == 1
    assert "secret" not in result.stderr + result.stdout
    assert "pos shop set-password" in result.stderr and "Traceback" not in result.stderr


def test_the_same_migrations_and_sync_run_on_sqlite(tmp_path, sandbox, api_key):
    shop_db = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    t2 = till(tmp_path, "T2", sandbox, api_key, shop_db)
    try:
        sell(t1, 3)
        sell(t2, 2)
        assert t1.shop.round().complete and t2.shop.round().complete
        shop, by_till = t1.shop.report(date.today(), "SGD")
        assert (shop.sales_count, sorted(by_till)) == (5, ["T1", "T2"])
    finally:
        t1.close()
        t2.close()


def test_a_receipt_refunded_at_another_till_and_then_at_its_own(pg, shop_db, tmp_path, sandbox, api_key):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    t2 = till(tmp_path, "T2", sandbox, api_key, shop_db)
    try:
        sell(t1, 2)  # receipt 1 in cash (one coffee), receipt 2 by card (two)
        assert t1.shop.round().complete and t2.shop.round().complete
        assert t2.shop.receipt_from("T1", 99) is None
        copied = t2.shop.receipt_from("T1", 2)
        result = t2.refunds.refund(copied, lines={1: 1})  # one of the two coffees, back to the card via Stripe
        assert (result.refund.refund_no, result.refund.till_id) == (1, "T2"), result
        assert t2.shop.round().complete
        # At T1 the shop tells what T2 refunded: one coffee is left, not two.
        mine = t1.shop.receipt_from("T1", 2)
        assert mine == t1.receipts.receipt_id_for(2, "T1")
        assert t1.refunds.basis(mine).remaining_minor == 550
        refused = t1.refunds.refund(mine, lines={1: 2})
        assert isinstance(refused, RefundFailed) and "only 1 of 2 can still be refunded" in refused.message
        t1.refunds.refund(mine, lines={1: 1})
        assert t1.shop.round().complete
        for context in (t1, t2):
            assert context.audit.verify() is None  # the copies are accounted for in each trail
    finally:
        t1.close()
        t2.close()
    rows = shop_rows(pg, shop_db, "SELECT till_id, refund_no, receipt_till_id, receipt_no FROM shop_refunds ORDER BY 1")
    assert rows == [("T1", 1, "T1", 2), ("T2", 1, "T1", 2)]
    today = date.today().isoformat()
    shop = json.loads(
        pos("shop", "report", "--date", today, "--format", "json", data_dir=tmp_path / "T1", shop_db=shop_db).stdout
    )
    assert shop["by_till"]["T2"]["refunds_count"] == 1 and shop["by_till"]["T2"]["sales_count"] == 0
    t2_report = json.loads(
        pos("report", "--date", today, "--format", "json", data_dir=tmp_path / "T2", shop_db=shop_db).stdout
    )
    assert (t2_report["refunds_minor"], t2_report["sales_count"]) == (550, 0)  # the copy is not a sale at T2


def test_every_tills_receipts_are_searched_in_the_shop_database(pg, shop_db, tmp_path, sandbox, api_key):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    t2 = till(tmp_path, "T2", sandbox, api_key, shop_db)
    try:
        sell(t1, 2)
        sell(t2, 3)
        assert t1.shop.round().complete and t2.shop.round().complete
        settings = t1.settings

        def found(kind: str, text: str = "", **days) -> list[str]:
            rows = t1.shop.search(ReceiptQuery(kind, text, **days), settings.currency, settings.time_zone)
            return [f"{r.till_id}-{r.receipt_no}" for r in rows]

        assert sorted(found("all")) == ["T1-1", "T1-2", "T2-1", "T2-2", "T2-3"]
        assert sorted(found("number", "2")) == ["T1-2", "T2-2"]
        intent = t2.receipts.receipt(t2.receipts.receipt_id_for(2, "T2")).payment_intent
        assert found("intent", intent) == ["T2-2"]
        assert sorted(found("amount", "11.00")) == ["T1-2", "T2-2"]  # two coffees at 5.50
        today = date.today()
        assert len(found("dates", date_from=today, date_to=today)) == 5
        with pytest.raises(QueryError):
            found("last4", "42")
    finally:
        t1.close()
        t2.close()


def test_rounds_back_off_while_the_shop_is_away_and_resume_when_it_answers(tmp_path, shop_db):
    away = open_back_office(tmp_path / "T1", "postgresql://postgres@127.0.0.1:1/shop")  # nothing listens there
    try:
        delays = []
        for _ in range(8):
            result = away.shop.round()
            assert result.problem is not None and "unreachable" in result.problem
            delays.append(away.shop.next_round_in())
        assert delays == [5, 10, 20, 40, 80, 160, 300, 300]
        assert away.shop.status_text().startswith("Shop database unreachable")
    finally:
        away.close()
    trust_shop_ca(tmp_path / "T1")
    back = open_back_office(tmp_path / "T1", shop_db)
    try:
        assert back.shop.round().complete and back.shop.next_round_in() == 30
        assert back.shop.status_text().startswith("Shop: synced")
    finally:
        back.close()


@pytest.mark.keyring
@pytest.mark.usefixtures("secret_service")
def test_the_password_kept_in_the_os_keyring(pg, shop_db, tmp_path):
    """The real Secret Service (gnome-keyring under dbus-run-session); no .pgpass for these runs."""
    import keyring

    from pos.adapters.shop.connect import KEYRING_SERVICE, keyring_account, parse_url
    from tests.helpers.pg import PASSWORD

    account = keyring_account(parse_url(shop_db))
    no_pgpass = {"PGPASSFILE": str(tmp_path / "none")}
    try:
        asked = pos("sync", data_dir=tmp_path / "T1", shop_db=shop_db, **no_pgpass)
        assert asked.returncode == 1 and "pos shop set-password" in asked.stderr, asked.stderr
        stored = pos("shop", "set-password", data_dir=tmp_path / "T1", shop_db=shop_db, stdin=PASSWORD + "\n")
        assert stored.returncode == 0, stored.stderr
        assert keyring.get_password(KEYRING_SERVICE, account) == PASSWORD
        synced = pos("sync", data_dir=tmp_path / "T1", shop_db=shop_db, **no_pgpass)
        assert synced.returncode == 0, synced.stderr
        for output in (asked, stored, synced):
            assert PASSWORD not in output.stdout + output.stderr
        assert (
            PASSWORD not in (tmp_path / "T1" / "pos.log").read_text()
            if (tmp_path / "T1" / "pos.log").exists()
            else True
        )
    finally:
        try:
            keyring.delete_password(KEYRING_SERVICE, account)
        except keyring.errors.PasswordDeleteError:
            pass


def test_a_till_id_left_by_a_renamed_till_stays_taken(pg, shop_db, tmp_path, sandbox, api_key):
    first = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        sell(first, 1)
        first.reports.close_day()
        assert first.shop.round().complete
        settings = first.settings
        first.store_settings.save(replace(settings, till_id="T5"))  # after its Z
        assert first.shop.round().complete  # the shop follows the rename
    finally:
        first.close()
    assert shop_rows(pg, shop_db, "SELECT till_id FROM shop_tills") == [("T5",)]
    refused = pos("settings", "set", "till_id", "T1", data_dir=tmp_path / "new", shop_db=shop_db)
    # A new till under T1 would number receipts over the ones T1 already sent: refused.
    assert refused.returncode == 1 and "already used by another till" in refused.stderr


def test_a_shop_product_or_setting_with_printer_commands_in_its_text_is_not_taken(
    pg, shop_db, tmp_path, sandbox, api_key
):
    """Issue 23, finding 3: the shop database took `Tea␛p0␙ú␝V0` (ESC p kicks the drawer, GS V cuts;
    PostgreSQL text holds no NUL, so '0' stands for it) and every till printed it raw. Now the till
    leaves such a row out and names it; the rest of the round is taken."""
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        assert t1.shop.round().complete  # joined: the shop has its counters
        for sku, product in (("TEA", "Tea\x1bp0\x19\xfa\x1dV0"), ("KOPI", "Kopi O")):
            put_shop_product(pg, shop_db, sku, product)
        name = shop_db.rsplit("/", 1)[1]
        pg.query(
            name,
            "WITH v AS (UPDATE shop_counters SET value = value + 1 WHERE name = 'settings' RETURNING value)"
            " UPDATE shop_settings SET value = %s, version = v.value FROM v WHERE key = 'store_name'",
            "Kopi\x1bp0\x19\xfa",
        )
        before = t1.settings.store_name
        pulled = t1.shop.round().pulled
        assert t1.catalog.find_code("KOPI").name == "Kopi O"  # the rest of the round is taken
        assert t1.catalog.find_code("TEA") is None and t1.settings.store_name == before
        # Set aside and named (issue 23, item 6: the rules of a local edit, control characters among them).
        aside = pulled.set_aside
        assert any(n.startswith("product TEA:") and "name holds a control character (ESC)" in n for n in aside)
        assert any("store_name" in note and "control character (ESC)" in note for note in pulled.set_aside)
    finally:
        t1.close()


def test_a_reader_sales_emv_fields_reach_another_tills_copy(pg, shop_db, tmp_path, sandbox, api_key):
    # EMV receipts (issue 25): the fields Stripe returned for the reader's charge travel with the
    # tender to the shop database, so T2's copy of T1's receipt prints what T1 printed.
    from types import SimpleNamespace

    from pos.domain.receipt import render_text
    from tests.services.conftest import sandbox_client
    from tests.services.test_reader import Paying

    client = sandbox_client(sandbox, api_key)
    location = client.v1.terminal.locations.create({"display_name": "Shop", "address": {"country": "SG"}})
    reader = client.v1.terminal.readers.create({"registration_code": "simulated-wpe", "location": location.id}).id
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    t2 = till(tmp_path, "T2", sandbox, api_key, shop_db)
    try:
        product = t1.catalog.save(
            Product(sku="SHOP-1", name="Flat white", category="Coffee", price=Money(550, "SGD"), tax_rate_bp=900)
        )
        t1.till.new_sale()
        t1.till.cart.add(product, 1)
        paying = Paying(SimpleNamespace(till=t1.till, sandbox=sandbox, stripe=client), reader)
        paying.customer_taps("5555555555554444")
        paid = paying.outcome()
        emv = paid.receipt.tenders[0].card_present
        assert emv is not None and emv.aid == "A0000000041010" and emv.authorization_code
        assert t1.shop.round().complete and t2.shop.round().complete
        copied = t2.receipts.receipt(t2.shop.receipt_from("T1", 1))
        assert copied.tenders[0].card_present == emv
        assert emv.aid in render_text(copied) and emv.authorization_code in render_text(copied)
    finally:
        t1.close()
        t2.close()
    (stored,) = shop_rows(pg, shop_db, "SELECT card_present FROM shop_tenders")
    assert json.loads(stored[0])["aid"] == "A0000000041010"


def test_shop_report_counts_a_cash_refunds_rounding_as_the_till_does(pg, shop_db, tmp_path, sandbox, api_key):
    """Issue 23, finding 8: a cash refund hands back a rounded amount; the shop keeps its rounding
    (revision 0005), so its report's cash refunds, rounding line and expected cash are the till's."""
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        t1.store_settings.save(replace(t1.settings, cash_rounding="0.05"))
        t1.till.apply_store_terms("SGD", True, "0.05")
        odd = t1.catalog.save(
            Product(sku="ODD", name="Muffin", category="Bakery", price=Money(453, "SGD"), tax_rate_bp=900)
        )
        t1.till.new_sale()
        t1.till.cart.add(odd, 1)
        paid = t1.till.pay_cash(Money(455, "SGD"))  # 4.53 paid 4.55 in cash
        given = t1.refunds.refund(t1.receipts.receipt_id_for(paid.receipt.receipt_no, "T1"), amount=Money(201, "SGD"))
        assert given.refund.handed_back == Money(200, "SGD")  # 2.01 refunded as 2.00 in cash
        assert t1.shop.round().complete
    finally:
        t1.close()
    assert shop_rows(pg, shop_db, "SELECT amount_minor, rounding_minor FROM shop_refunds") == [(201, -1)]
    today = date.today().isoformat()
    shop = json.loads(
        pos("shop", "report", "--date", today, "--format", "json", data_dir=tmp_path / "T1", shop_db=shop_db).stdout
    )
    mine = json.loads(
        pos("report", "--date", today, "--format", "json", data_dir=tmp_path / "T1", shop_db=shop_db).stdout
    )
    assert (mine["cash_refunds_minor"], mine["rounding_minor"], mine["expected_cash_minor"]) == (200, 3, 255)
    for key in ("cash_refunds_minor", "card_refunds_minor", "rounding_minor", "expected_cash_minor", "refunds_minor"):
        assert shop[key] == shop["by_till"]["T1"][key] == mine[key], key
