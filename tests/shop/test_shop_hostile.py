"""Hostile checks of the shop sync's COPY path and its quarter-hour figures (issue 27 item 4,
helper h4), against a real PostgreSQL (tests/helpers/pg.py) and real tills."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from pos.adapters.shop.sync import COPY_FROM
from tests.helpers.shop import sell, shop_rows, till

SALES = COPY_FROM + 2  # enough receipts (and events) for the batch to go by COPY


def test_the_shop_connection_lost_in_the_middle_of_a_copy_is_the_shop_being_away(
    pg, shop_db, tmp_path, sandbox, api_key
):
    """The shop's server ends the till's connection while a batch is being copied in (a restart, an
    administrator's pg_terminate_backend, a dropped link): here a trigger ends its own backend on
    the first receipt row the COPY writes. The round says the shop is away, nothing of the batch is
    kept, and the next round sends it whole (this held before h4's changes; kept as a guard)."""
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        sell(t1, 1, cash_only=True)
        assert t1.shop.round().complete  # joined: the shop's tables are there
        shop_rows(
            pg,
            shop_db,
            "CREATE FUNCTION h4_cut() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); RETURN NEW; END $$;"
            " CREATE TRIGGER h4_cut BEFORE INSERT ON shop_receipts FOR EACH ROW EXECUTE FUNCTION h4_cut();"
            " SELECT 1",
        )
        sell(t1, SALES, start=1, cash_only=True)
        cut = t1.shop.round()
        assert cut.problem is not None and "unreachable" in cut.problem, cut
        assert not cut.refused
        shop_rows(pg, shop_db, "DROP TRIGGER h4_cut ON shop_receipts; SELECT 1")
        again = t1.shop.round()  # the server back: the batch goes in whole, once
        assert again.problem is None and again.pushed.receipts == SALES, again
        assert t1.shop.figure_differences() == []
        _, by_till = t1.shop.report(date.today(), "SGD")
        assert by_till["T1"].sales_count == SALES + 1
    finally:
        t1.close()


@pytest.mark.parametrize("sales", [3, SALES], ids=["by statements", "by COPY"])
def test_a_receipt_the_shop_refuses_stops_the_round_with_one_line_and_keeps_the_batch(
    pg, shop_db, tmp_path, sandbox, api_key, sales
):
    """A receipt the shop's own checks refuse (here a check added at the shop that the till's
    second receipt fails; in life a shop database edited by hand or a till of another version).
    Before: the round raised, as SQLAlchemy's IntegrityError by statements (its whole statement and
    parameters in the text) and as psycopg's raw CheckViolation by COPY, so `round()`, which never
    raises for the shop, raised, and the window's background round only logged it. Now both are
    the shop refusing this till's records: one line naming the check, nothing of the batch stored,
    and once the shop takes it again the batch goes in whole."""
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        sell(t1, 1, cash_only=True)
        assert t1.shop.round().complete
        shop_rows(
            pg, shop_db, "ALTER TABLE shop_receipts ADD CONSTRAINT h4 CHECK (receipt_no <> 2) NOT VALID; SELECT 1"
        )
        sell(t1, sales, start=1, cash_only=True)
        refused = t1.shop.round()
        assert refused.refused and refused.problem is not None, refused
        assert '"h4"' in refused.problem and "\n" not in refused.problem and "INSERT" not in refused.problem
        assert shop_rows(pg, shop_db, "SELECT count(*) FROM shop_receipts") == [(1,)]
        assert refused.waiting.receipts == sales
        shop_rows(pg, shop_db, "ALTER TABLE shop_receipts DROP CONSTRAINT h4; SELECT 1")
        again = t1.shop.round()
        assert again.problem is None and again.pushed.receipts == sales, again
        assert t1.shop.figure_differences() == []
    finally:
        t1.close()


def test_pos_shop_verify_names_a_tampered_figure_without_its_control_characters(
    pg, shop_db, tmp_path, sandbox, api_key
):
    """A figure row written into the shop database by hand with a line end and terminal escapes in
    its till and item (someone with the shop's password hiding a change, or clearing the owner's
    screen): `pos shop verify` named it, but printed those characters as they were, so the line
    broke in two and the escapes ran in the owner's terminal. Now each difference is one line of
    printable text."""
    from tests.helpers.shop import pos

    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        sell(t1, 2, cash_only=True)
        assert t1.shop.round().complete
    finally:
        t1.close()
    shop_rows(
        pg,
        shop_db,
        "INSERT INTO shop_till_figures (till_id, quarter, figure, item, n, amount) VALUES"
        " (E'T1\\n\\x1b[2J', '2026-12-06T00:00', 'cashier', E'Ann\\x1b]0;owned\\x07', 1, 500) RETURNING 1",
    )
    done = pos("shop", "verify", data_dir=tmp_path / "T1", shop_db=shop_db)
    assert done.returncode == 1, done.stderr
    differs = [line for line in done.stdout.splitlines() if "Differs" in line or "T1" in line]
    assert len(differs) == 1, done.stdout
    assert differs[0].startswith("Differs: till T1") and "cashier Ann" in differs[0], differs
    assert "stored 1 for 500" in differs[0], differs
    assert not any(ch < " " for ch in done.stdout.replace("\n", "")), repr(done.stdout)


@pytest.mark.parametrize("sales", [3, SALES], ids=["by statements", "by COPY"])
def test_a_value_the_shops_column_cannot_hold_is_refused_never_cut(pg, shop_db, tmp_path, sandbox, api_key, sales):
    """A till's receipt total beyond the shop column's range (2**40 minor units: a till file edited
    by hand, or a till of another version). PostgreSQL refuses it (text COPY and statements: the
    server reads every value against its column); a binary COPY tried in the ninth session would
    have stored it cut to 0 silently (psycopg packs an int4 without a range check), so since the
    tenth a batch goes in binary only when its values are within range (sync._in_range), and this
    one goes as text. Before: the refusal (a DataError, not an IntegrityError) left `round()` raising.
    Now: the shop refusing this till's records, in one line, nothing of the batch stored."""
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        sell(t1, sales, cash_only=True)
        with sqlite3.connect(tmp_path / "T1" / "pos.sqlite3") as db:  # as an editor of the file would
            db.execute("UPDATE receipts SET total_minor = ? WHERE receipt_no = 2", (2**40,))
        refused = t1.shop.round()
        assert refused.refused and refused.problem is not None, refused
        assert "\n" not in refused.problem and "INSERT" not in refused.problem
        assert "out of range" in refused.problem
        assert refused.waiting.receipts == sales
    finally:
        t1.close()
    assert shop_rows(pg, shop_db, "SELECT count(*) FROM shop_receipts") == [(0,)]


@pytest.mark.parametrize(
    ("total", "binary"),
    [(2**31 - 1, True), (-(2**31), True), (2**31, False), (-(2**31) - 1, False), (2**40, False), ("abc", False)],
)
def test_a_batch_goes_in_binary_only_when_every_whole_number_is_within_int4(total, binary):
    """The range check binary COPY rests on (psycopg packs an int4 without one: 2**31 would be
    stored as -2**31), at int4's edges, on the receipts' rows as the sync reads them; something not
    a number is not in range either (text, where the server refuses it)."""
    from pos.adapters.shop import tables
    from pos.adapters.shop.sync import RECEIPT_NAMES, _in_range

    row = dict.fromkeys(RECEIPT_NAMES, 0) | {"till_id": "T1", "created_at": "2026-12-06T12:00:00", "currency": "SGD"}
    rows = [tuple(row.values()), tuple((row | {"total_minor": total}).values())]
    assert _in_range(tables.RECEIPTS, RECEIPT_NAMES, rows) is binary
