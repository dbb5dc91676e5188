"""The shop database's own faults and what comes down from it (issue 23): the shop's errors are
the shop's, refunds are claimed at the shop, and a bad row from the shop is kept aside.

Real tills (build_context on SQLite data folders, the sandbox over HTTP), a real PostgreSQL; faults
are made at the shop as they happen there (a server ending the session, a read-only database, rows
written by another program), never by mocking the link."""

from __future__ import annotations

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
    with pg.admin() as admin:
        admin.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
    assert pos("sync", data_dir=tmp_path / "T1", shop_db=shop_db).returncode == 0  # nothing lost meanwhile
    assert shop_rows(pg, shop_db, "SELECT receipt_no FROM shop_receipts ORDER BY 1") == [(n,) for n in range(1, 6)]
