"""The tamper-evident audit trail (issue 15, item 5): a day of sales, refunds, a void and a Z, then
the SQLite file edited behind the till's back in each way an insider would; `pos audit verify`
must fail naming the first broken event, and an untouched day must verify. Real till wiring,
real SQLite, the sandbox for card payments, the CLI as a subprocess."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from pos.adapters.db.storage import SCHEMA_VERSION
from pos.app import build_context, open_back_office
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.domain.staff import Permission, hash_pin, pin_matches
from pos.services.drawer import Moved, MovementKind
from pos.services.checkout import Paid
from tests.cli.test_cli import pos

SGD = "SGD"


def sgd(minor: int) -> Money:
    return Money(minor, SGD)


@pytest.fixture
def day(tmp_path, sandbox, api_key, monkeypatch) -> Path:
    """A day at a staffed till: Bob sells by card and cash, refunds one (approved by Ann), voids a
    line after Pay, opens the drawer; then the Z."""
    monkeypatch.setenv("POS_STRIPE_API_KEY", api_key)
    data = tmp_path / "till"
    office = open_back_office(data)
    office.staff.add("Ann", "manager", "2468")
    office.staff.add("Bob", "cashier", "1357")
    office.close()
    context = build_context(data, stripe_base_url=sandbox.url)
    try:
        context.staff.sign_in("Bob", "1357")
        tea = context.catalog.find_code("TEA") or context.catalog.save(
            Product(sku="TEA", name="Tea", category="Drinks", price=sgd(450), tax_rate_bp=900)
        )
        till = context.till
        for n in range(3):
            till.new_sale()
            till.cart.add(tea, n + 1)
            paid = till.pay("pm_card_visa") if n != 1 else till.pay_cash(sgd(2000))
            assert isinstance(paid, Paid)
        receipt_id = context.receipts.receipt_id_for(1, "T1")
        context.staff.approve("Ann", "2468", Permission.REFUND, "a refund of receipt 0001")
        context.refunds.refund(receipt_id, lines={1: 1})
        context.staff.record_void("line", sgd(450), "Wrong item", approved_by="Ann")
        # Bob may not open the drawer alone: Ann approves the float (the drawer service checks it).
        float_ok = context.staff.approve("Ann", "2468", Permission.OPEN_DRAWER, "an opening float")
        assert isinstance(context.drawer.move(MovementKind.FLOAT, sgd(10000), "opening float", float_ok), Moved)
        context.reports.close_day()
        context.audit.remember_head()
    finally:
        context.close()
    return data


def verify(data: Path):
    return pos("--data-dir", str(data), "audit", "verify")


def edit(data: Path, *statements: str) -> None:
    conn = sqlite3.connect(data / "pos.sqlite3")
    try:
        for sql in statements:
            conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


def test_an_untouched_day_verifies(day):
    done = verify(day)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "intact" in done.stdout


def test_a_receipts_total_changed_breaks_its_event(day):
    edit(day, "UPDATE receipts SET total_minor = total_minor - 100 WHERE receipt_no = 2")
    done = verify(day)
    assert done.returncode == 1
    assert "receipt T1-0002" in done.stdout and "changed" in done.stdout


def test_a_deleted_refund_breaks_its_event(day):
    edit(day, "PRAGMA foreign_keys = OFF", "DELETE FROM refund_lines", "DELETE FROM refunds")
    done = verify(day)
    assert done.returncode == 1 and "refund T1-0001" in done.stdout and "deleted" in done.stdout


def test_an_inserted_event_breaks_the_chain(day):
    conn = sqlite3.connect(day / "pos.sqlite3")
    last = conn.execute("SELECT max(id) FROM audit_events").fetchone()[0]
    conn.close()
    edit(
        day,
        "UPDATE audit_events SET id = id + 1000 WHERE id > 3",
        "INSERT INTO audit_events (id, at, till_id, kind, actor, approved_by, subject, payload, prev_hash, hash)"
        " SELECT 4, at, till_id, 'drawer_opened', 'Bob', '', 'drawer: no sale', '{}', hash, 'f00d' FROM audit_events"
        " WHERE id = 3",
        "UPDATE audit_events SET id = id - 999 WHERE id > 1000",
    )
    done = verify(day)
    assert done.returncode == 1 and "event 4" in done.stdout, done.stdout
    assert last > 4


def test_an_edited_event_breaks_at_that_event(day):
    edit(day, "UPDATE audit_events SET approved_by = '' WHERE kind = 'approval'")
    done = verify(day)
    conn = sqlite3.connect(day / "pos.sqlite3")
    (seq,) = conn.execute("SELECT id FROM audit_events WHERE kind = 'approval'").fetchone()
    conn.close()
    assert done.returncode == 1 and f"event {seq}:" in done.stdout and "edited" in done.stdout


def test_a_truncated_tail_is_seen_by_verify_and_at_start(day, sandbox, api_key, monkeypatch):
    conn = sqlite3.connect(day / "pos.sqlite3")
    (last,) = conn.execute("SELECT max(id) FROM audit_events").fetchone()
    conn.close()
    edit(day, f"DELETE FROM audit_events WHERE id > {last - 2}")  # the Z and what followed
    done = verify(day)
    assert done.returncode == 1 and ("in no event" in done.stdout or "cut" in done.stdout), done.stdout
    monkeypatch.setenv("POS_STRIPE_API_KEY", api_key)
    context = build_context(day, stripe_base_url=sandbox.url)
    try:
        warning = context.audit.check_at_start()
    finally:
        context.close()
    assert warning is not None and "was cut" in warning


def test_a_deleted_receipt_with_its_event_is_still_found(day):
    # Removing a sale *and* its event: the chain no longer links across the gap.
    conn = sqlite3.connect(day / "pos.sqlite3")
    (seq,) = conn.execute("SELECT id FROM audit_events WHERE subject = 'receipt T1-0002'").fetchone()
    conn.close()
    edit(day, f"DELETE FROM audit_events WHERE id = {seq}")
    done = verify(day)
    assert done.returncode == 1 and f"event {seq}" in done.stdout


def test_an_unreadable_database_exits_2(tmp_path):
    (tmp_path / "till").mkdir()
    (tmp_path / "till" / "pos.sqlite3").write_bytes(b"not a database" * 100)
    done = verify(tmp_path / "till")
    assert done.returncode == 2 and done.stdout.count("\n") + done.stderr.count("\n") == 1


def test_the_z_prints_the_head_and_export_writes_json_lines(day):
    office = open_back_office(day)
    try:
        head = office.audit.export(None, None)
        events = list(head)
    finally:
        office.close()
    conn = sqlite3.connect(day / "pos.sqlite3")
    (printed,) = conn.execute("SELECT audit_head FROM z_reports").fetchone()
    conn.close()
    z_event = next(e for e in events if e["kind"] == "z_report")
    assert printed == z_event["hash"] and len(printed) == 64
    done = pos(
        "--data-dir", str(day), "--as", "Ann", "audit", "export", "--from", "2000-01-01", "--to", "2999-12-31",
        stdin="2468\n",
    )  # fmt: skip
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0 and [e["seq"] for e in lines] == list(range(1, len(lines) + 1))
    assert {"sale_paid", "refund", "void", "approval", "z_report", "cashier_added"} <= {e["kind"] for e in lines}
    # Never a PIN, nor its hash: no value anywhere in an event is one (hashes and times may hold
    # the same digits by chance, so whole values are compared, not substrings).
    assert not {"1357", "2468"} & set(_strings(lines)) and "scrypt" not in done.stdout


def test_pins_are_salted_slow_hashes_and_never_stored_plain(day):
    conn = sqlite3.connect(day / "pos.sqlite3")
    hashes = [h for (h,) in conn.execute("SELECT pin_hash FROM cashiers")]
    conn.close()
    assert all(h.startswith("scrypt$16384$8$1$") for h in hashes)
    assert all(len(h.split("$")[4]) == 32 and len(h.split("$")[5]) == 64 for h in hashes)  # 16-byte salt, 32-byte hash
    assert not {"1357", "2468"} & set(hashes)
    # The same PIN twice gives two different hashes (a fresh salt), both of which match it.
    first, second = hash_pin("1357"), hash_pin("1357")
    assert first != second and pin_matches("1357", first) and pin_matches("1357", second)
    assert not pin_matches("1358", first)
    conn = sqlite3.connect(day / "pos.sqlite3")
    stored = [v for (v,) in conn.execute("SELECT value FROM settings")]
    stored += _strings([json.loads(p) for (p,) in conn.execute("SELECT payload FROM audit_events")])
    conn.close()
    assert not {"1357", "2468"} & set(stored)  # no setting and no event holds a PIN


def test_cashiers_cli_reads_the_pin_twice_from_stdin(tmp_path):
    data = str(tmp_path / "till")
    added = pos("--data-dir", data, "cashiers", "add", "Cy", "--role", "manager", stdin="4321\n4321\n")
    assert added.returncode == 0 and "Added Cy (manager)" in added.stdout
    # Once a cashier is on file, changes run as one who may (`--as`, their PIN first on stdin).
    cy = ("--data-dir", data, "--as", "Cy")
    differ = pos(*cy, "cashiers", "add", "Di", stdin="4321\n4321\n4322\n")
    assert differ.returncode == 1 and "differ" in differ.stderr and differ.stderr.count("\n") == 1
    short = pos(*cy, "cashiers", "add", "Di", stdin="4321\n12\n12\n")
    assert short.returncode == 1 and "4 to 8 digits" in short.stderr
    assert pos(*cy, "cashiers", "add", "Di", "--role", "cashier", stdin="4321\n5678\n5678\n").returncode == 0
    assert pos(*cy, "cashiers", "set-pin", "Cy", stdin="4321\n87654321\n87654321\n").returncode == 0
    assert pos(*cy, "cashiers", "disable", "Di", stdin="87654321\n").returncode == 0
    # Not herself too: the last active cashier stays (else the till would ask nobody).
    last = pos(*cy, "cashiers", "disable", "Cy", stdin="87654321\n")
    assert last.returncode == 1 and "last active cashier" in last.stderr
    listed = pos("--data-dir", data, "cashiers", "list")
    assert "Cy\tmanager\tactive" in listed.stdout and "Di\tcashier\tdisabled" in listed.stdout
    assert pos("--data-dir", data, "audit", "verify").returncode == 0


def _strings(value):
    """Every string inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# -- issue 23, finding 4: every table that holds money, prices, settings, roles or drawer records ----
def rows(data: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(data / "pos.sqlite3")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def ann(data: Path) -> tuple[str, ...]:
    """A changing command runs as a manager once cashiers exist (her PIN first on stdin)."""
    return ("--data-dir", str(data), "--as", "Ann")


def broken(data: Path) -> str:
    """`pos audit verify` on a tampered folder: exit 1 and the one finding it prints."""
    done = verify(data)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.startswith("BROKEN at ") and done.stdout.count("\n") == 1
    return done.stdout


def test_a_cut_tail_is_not_healed_by_the_next_ordinary_command(day, sandbox, api_key, monkeypatch):
    # The newest receipt and its event go; then any command writes an event in the cut one's place.
    monkeypatch.setenv("POS_STRIPE_API_KEY", api_key)
    context = build_context(day, stripe_base_url=sandbox.url)
    try:
        context.staff.sign_in("Bob", "1357")
        till = context.till
        till.new_sale()
        till.cart.add(context.catalog.find_code("TEA"), 1)
        assert isinstance(till.pay_cash(sgd(500)), Paid)
    finally:
        context.close()
    ((seq, number, sale_id),) = rows(
        day,
        "SELECT e.id, r.receipt_no, r.sale_id FROM audit_events e JOIN receipts r"
        " ON e.subject = 'receipt T1-' || printf('%04d', r.receipt_no) ORDER BY e.id DESC LIMIT 1",
    )
    assert seq == rows(day, "SELECT max(id) FROM audit_events")[0][0]  # it was the newest event
    edit(
        day,
        f"DELETE FROM audit_events WHERE id = {seq}",
        f"DELETE FROM receipts WHERE receipt_no = {number}",
        f"DELETE FROM tenders WHERE sale_id = {sale_id}",
        f"DELETE FROM sale_lines WHERE sale_id = {sale_id}",
        f"DELETE FROM sales WHERE id = {sale_id}",
    )
    assert pos(*ann(day), "settings", "set", "receipt_footer", "Thanks", stdin="2468\n").returncode == 0
    assert rows(day, "SELECT max(id) FROM audit_events")[0][0] >= seq  # the new events took its number
    assert f"event {seq}:" in broken(day) and "cut" in verify(day).stdout
    assert pos(*ann(day), "settings", "set", "receipt_footer", "Bye", stdin="2468\n").returncode == 0
    assert f"event {seq}:" in broken(day)  # and the next command does not heal it either


def test_a_missing_head_is_a_finding(day):
    (day / "audit-head").unlink()
    assert "head file" in broken(day) and "missing" in verify(day).stdout


def test_a_forged_refund_waiting_in_the_journal_is_not_completed_by_recover(day, sandbox, api_key):
    edit(
        day,
        "INSERT INTO refunds (refund_key, receipt_id, till_id, state, amount_minor, tax_minor, currency, reason,"
        " tender_id, tender_kind, cash_for_card, params, created_at, updated_at, cashier)"
        " SELECT 'forged-1', r.id, 'T1', 'sent', 450, 37, 'SGD', 'requested_by_customer', t.id, 'cash', 0, '{}',"
        " r.created_at, r.created_at, 'Bob' FROM receipts r JOIN tenders t ON t.sale_id = r.sale_id"
        " WHERE r.receipt_no = 2",
    )
    done = pos("--data-dir", str(day), "--stripe-base-url", sandbox.url, "recover", env={"POS_STRIPE_API_KEY": api_key})
    assert "in no audit event" in done.stdout, done.stdout + done.stderr
    assert rows(day, "SELECT state, refund_no FROM refunds WHERE refund_key = 'forged-1'") == [("sent", None)]
    assert "unanswered refund" in broken(day)
    assert rows(day, "SELECT count(*) FROM audit_events WHERE kind = 'refund' AND subject = 'refund T1-0002'") == [(0,)]


def test_a_forged_sale_waiting_in_the_journal_is_not_completed_by_recover(day, sandbox, api_key):
    edit(
        day,
        "INSERT INTO sales (sale_key, till_id, state, currency, total_minor, tax_minor, subtotal_minor, tax_inclusive,"
        " create_params, created_at, updated_at, cart_discount_minor) SELECT 'forged-sale', till_id, 'started',"
        " currency, total_minor, tax_minor, subtotal_minor, tax_inclusive, create_params, created_at, updated_at, 0"
        " FROM sales WHERE id = 1",
    )
    assert "unfinished sale" in broken(day)
    done = pos("--data-dir", str(day), "--stripe-base-url", sandbox.url, "recover", env={"POS_STRIPE_API_KEY": api_key})
    assert done.returncode == 1 and "in no audit event" in done.stdout, done.stdout + done.stderr
    assert rows(day, "SELECT state, payment_intent FROM sales WHERE sale_key = 'forged-sale'") == [("started", None)]


@pytest.mark.parametrize(
    "statement, finding",
    [
        (
            "INSERT INTO drawer_movements (till_id, kind, amount_minor, currency, reason, at, cashier)"
            " VALUES ('T1', 'paid_in', 50000, 'SGD', 'float top-up', '2026-01-01T00:00:00+00:00', 'Bob')",
            "drawer movement",
        ),
        (
            "INSERT INTO drawer_openings (till_id, opened_at, reason, opened, message, cashier)"
            " VALUES ('T1', '2026-01-01T00:00:00+00:00', 'no sale', 1, '', 'Bob')",
            "drawer opening",
        ),
        ("UPDATE sale_lines SET tax_minor = 4995 WHERE line_no = 1", "receipt"),
        ("UPDATE cashiers SET role = 'owner' WHERE name = 'Bob'", "cashier"),
        ("INSERT INTO settings (key, value) VALUES ('discount_limit_bp', '10000')", "setting discount_limit_bp"),
        ("UPDATE products SET price_minor = 1 WHERE sku = 'TEA'", "product"),
        ("DELETE FROM products WHERE sku = 'TEA'", "product"),
        ("UPDATE refund_lines SET quantity = 3", "refund"),
        ("UPDATE receipts SET refunded_minor = 0, status = 'paid' WHERE receipt_no = 1", "receipt T1-0001"),
        ("UPDATE receipts SET status = 'refunded' WHERE receipt_no = 3", "receipt T1-0003"),
        ("UPDATE z_reports SET audit_head = '" + "ab" * 32 + "'", "Z report"),
    ],
    ids=[
        "drawer_movement_inserted",
        "drawer_opening_inserted",
        "sale_line_tax",
        "cashier_role",
        "setting_inserted",
        "product_price",
        "product_deleted",
        "refund_lines",
        "receipt_refunded",
        "receipt_status",
        "z_audit_head",
    ],
)
def test_every_table_that_holds_money_prices_settings_or_roles_is_covered(day, statement, finding):
    edit(day, "PRAGMA foreign_keys = OFF", statement)
    assert finding in broken(day)


def test_a_setting_edited_behind_the_tills_back_is_found(day):
    assert pos(*ann(day), "settings", "set", "default_tax_rate_bp", "900", stdin="2468\n").returncode == 0
    assert verify(day).returncode == 0
    edit(day, "UPDATE settings SET value = '0' WHERE key = 'default_tax_rate_bp'")
    assert "setting default_tax_rate_bp" in broken(day)


def test_catalog_and_settings_changes_are_events_and_verify(day, tmp_path):
    csv_file = tmp_path / "more.csv"
    csv_file.write_text(
        "sku,barcode,name,category,price,tax_rate\nCOF,,Coffee,Drinks,5.00,9\nTEA,,Tea,Drinks,4.80,9\n",
        encoding="utf-8",
    )
    assert pos(*ann(day), "catalog", "import", str(csv_file), stdin="2468\n").returncode == 0
    assert pos(*ann(day), "settings", "set", "store_name", "Corner Shop", stdin="2468\n").returncode == 0
    kinds = [k for (k,) in rows(day, "SELECT kind FROM audit_events ORDER BY id")]
    assert {"product_added", "products_imported", "settings_changed"} <= set(kinds)
    assert rows(day, "SELECT actor FROM audit_events WHERE kind = 'products_imported'") == [("Ann",)]
    done = verify(day)
    assert done.returncode == 0, done.stdout
    edit(day, "UPDATE products SET price_minor = 100 WHERE sku = 'COF'")
    assert "product" in broken(day)


def test_a_layout_6_till_is_upgraded_with_its_head_and_verifies(tmp_path):
    data = tmp_path / "till"
    data.mkdir()
    shutil.copy(Path(__file__).parents[1] / "fixtures" / "layout6.sqlite3", data / "pos.sqlite3")
    done = verify(data)  # the first open upgrades it: what was on file is covered as it stands
    assert done.returncode == 0, done.stdout + done.stderr
    assert (data / "audit-head").read_text().split()[0] == str(rows(data, "SELECT max(id) FROM audit_events")[0][0])
    assert rows(data, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert [k for (k,) in rows(data, "SELECT kind FROM audit_events")] == ["audit_baseline"]
    # From now on the upgraded till's records are held like any other's, and its head is required.
    edit(data, "UPDATE receipts SET total_minor = total_minor + 1 WHERE receipt_no = 1")
    assert "receipt" in broken(data)
    edit(data, "UPDATE receipts SET total_minor = total_minor - 1 WHERE receipt_no = 1")
    assert verify(data).returncode == 0
    (data / "audit-head").unlink()
    assert "missing" in broken(data)


def test_a_new_data_folder_starts_with_the_empty_head(tmp_path):
    data = tmp_path / "till"
    assert verify(data).returncode == 0
    assert (data / "audit-head").read_text().split() == ["0", "0" * 64]
    assert pos("--data-dir", str(data), "settings", "set", "store_name", "Corner").returncode == 0
    assert verify(data).returncode == 0
