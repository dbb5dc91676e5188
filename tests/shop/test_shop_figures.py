"""The shop keeps up (issue 27 item 4): a batch goes into PostgreSQL by COPY through a staging table
and one INSERT … ON CONFLICT DO NOTHING, and each till's receipt figures per quarter hour are kept
in the same shop transaction; the shop report reads them, and `pos shop verify` works them out
again from the rows. A real till (build_context, its SQLite, the sandbox over HTTP for card sales)
and a real PostgreSQL server (tests/helpers/pg.py)."""

from __future__ import annotations

from datetime import date

from alembic import command
from alembic.config import Config

from pos.adapters.shop import reports as shop_reports
from pos.adapters.shop.connect import MIGRATIONS
from pos.adapters.shop.reports import ShopReports
from pos.adapters.shop.sync import COPY_FROM
from tests.helpers.shop import pos, sell, shop_rows, till, trust_shop_ca

SALES = COPY_FROM + 4  # more receipts, lines and tenders than the batch sends by statements


def _same_figures(shop_report, till_report) -> None:
    for name in (
        "sales_count",
        "gross_minor",
        "tax_minor",
        "discounts_minor",
        "change_minor",
        "rounding_minor",
        "tips_minor",
        "by_tender",
        "by_hour",
        "by_cashier",
        "tax_by_rate",
        "by_brand",
        "receipt_numbers",
        "cash_sales_minor",
        "card_sales_minor",
    ):
        assert getattr(shop_report, name) == getattr(till_report, name), name


def test_a_batch_copied_in_and_sent_again_is_stored_once_with_its_figures(pg, shop_db, tmp_path, sandbox, api_key):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        sell(t1, SALES)  # cash and card (the sandbox), so both tender kinds and a card brand are figures
        first = t1.shop.round()
        assert first.complete and first.pushed.receipts == SALES
        assert t1.shop.figure_differences() == []  # added up by the server from the rows just stored
        # Lost acknowledgement, the worst case: the whole batch is sent again into the same tables.
        shop_rows(pg, shop_db, "UPDATE shop_tills SET acked_seq = 0, acked_hash = '' RETURNING 1")
        again = t1.shop.round()
        assert again.problem is None and again.pushed.receipts == SALES
        assert t1.shop.figure_differences() == []
        shop, by_till = t1.shop.report(date.today(), "SGD")
        own = t1.reports.for_date(date.today())
    finally:
        t1.close()
    database = shop_db.rsplit("/", 1)[1]
    for table in ("shop_receipts", "shop_receipt_lines", "shop_tenders"):
        ((rows, receipts),) = pg.query(database, f"SELECT count(*), count(DISTINCT receipt_no) FROM {table}")
        assert rows == receipts == SALES, table
    assert pg.query(database, "SELECT sum(n) FROM shop_till_figures WHERE figure = 'sales'") == [(SALES,)]
    _same_figures(by_till["T1"], own)
    assert shop.sales_count == SALES


def test_the_figures_read_give_the_rows_report_in_a_zone_a_quarter_off_the_hour(
    pg, shop_db, tmp_path, sandbox, api_key, monkeypatch
):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        sell(t1, 5)
        assert t1.shop.round().complete
        engine = t1.shop.reports()._engine
    finally:
        t1.close()
    for zone in ("Asia/Kathmandu", "Australia/Eucla", "UTC"):  # +05:45, +08:45: days start at :15 and :15
        reports = ShopReports(engine, zone)
        from_figures = reports.for_date(date.today(), "SGD")
        # The same day worked out from the receipts' own rows, as for a day off the quarter hours.
        monkeypatch.setattr(shop_reports, "_on_quarters", lambda _at: False)
        from_rows = reports.for_date(date.today(), "SGD")
        monkeypatch.undo()
        assert from_figures == from_rows, zone


def test_pos_shop_verify_names_a_figure_that_differs_from_the_receipts(pg, shop_db, tmp_path, sandbox, api_key):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        sell(t1, 3, cash_only=True)
        assert t1.shop.round().complete
    finally:
        t1.close()
    agree = pos("shop", "verify", data_dir=tmp_path / "T1", shop_db=shop_db)
    assert agree.returncode == 0, agree.stderr
    assert "agree with every receipt" in agree.stdout
    shop_rows(pg, shop_db, "UPDATE shop_till_figures SET amount = amount + 100 WHERE figure = 'sales' RETURNING 1")
    differ = pos("shop", "verify", data_dir=tmp_path / "T1", shop_db=shop_db)
    assert differ.returncode == 1
    assert "Differs: till T1" in differ.stdout and "sales" in differ.stdout
    assert "Traceback" not in differ.stdout + differ.stderr


def test_the_migration_that_adds_the_figures_fills_them_from_the_receipts_there(
    pg, shop_db, tmp_path, sandbox, api_key
):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        sell(t1, 4)
        assert t1.shop.round().complete
        engine = t1.shop.reports()._engine
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as conn:  # a shop database as it was before, its receipts in it
            config.attributes["connection"] = conn
            command.downgrade(config, "0009")
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        assert t1.shop.figure_differences() == []
        _, by_till = t1.shop.report(date.today(), "SGD")
        own = t1.reports.for_date(date.today())
    finally:
        t1.close()
    _same_figures(by_till["T1"], own)


def test_figures_added_from_a_batch_equal_the_figures_the_rows_give(pg, shop_db, tmp_path):
    """add_new sums a batch in Python by quarter hour and column (issue 27 item 4); `differences`
    works the same figures out in SQL from the rows: two tills, quarters, cashiers, card brands (one
    unknown), a card on the reader, two tax rates and gift card lines (any case) must agree."""
    from pos.adapters.shop import figures
    from pos.adapters.shop import tables as t
    from pos.adapters.shop.connect import migrate, open_shop_engine
    from pos.adapters.shop.sync import LINE_NAMES, RECEIPT_NAMES, TENDER_NAMES

    trust_shop_ca(tmp_path)
    engine = open_shop_engine(shop_db, data_dir=tmp_path)
    migrate(engine)
    receipts, lines, tenders = [], [], []
    for n in range(60):
        till_id, no = ("T1", "T2")[n % 2], 100 + n
        at = f"2026-12-06T0{n % 3}:{(n * 7) % 60:02d}:00.000000+00:00"
        total, tax = 1000 + n, 80 + n % 5
        card = n % 3 == 0
        receipt = dict.fromkeys(RECEIPT_NAMES, None)
        receipt.update(
            till_id=till_id, receipt_no=no, created_at=at, currency="SGD", total_minor=total, tax_minor=tax,
            discount_minor=n % 4, card_minor=total if card else 0, cash_minor=0 if card else total,
            change_minor=n % 2, rounding_minor=-(n % 3), tips_minor=5 if card else 0, cashier=("ana", "bo", "")[n % 3],
        )  # fmt: skip
        receipts.append(tuple(receipt[name] for name in RECEIPT_NAMES))
        for line_no, (sku, rate) in enumerate(((("GiftCard-50", "B-1")[n % 2], 900), ("B-2", 0)), start=1):
            line = dict.fromkeys(LINE_NAMES, 0)
            line.update(till_id=till_id, receipt_no=no, line_no=line_no, sku=sku, name=sku, quantity=1,
                        tax_rate_bp=rate, tax_minor=tax if rate else 0, gross_minor=500 + line_no)  # fmt: skip
            lines.append(tuple(line[name] for name in LINE_NAMES))
        tender = dict.fromkeys(TENDER_NAMES, None)
        tender.update(
            till_id=till_id, receipt_no=no, part_no=1, kind="card" if card else "cash", amount_minor=total,
            tendered_minor=total, change_minor=0, rounding_minor=0, card_brand=("visa", None)[n % 2] if card else None,
            card_present="A0000000031010" if card and n % 4 == 0 else None,
        )  # fmt: skip
        tenders.append(tuple(tender[name] for name in TENDER_NAMES))
    try:
        with engine.begin() as conn:
            for table, names, rows in (
                (t.RECEIPTS, RECEIPT_NAMES, receipts),
                (t.RECEIPT_LINES, LINE_NAMES, lines),
                (t.TENDERS, TENDER_NAMES, tenders),
            ):
                conn.execute(table.insert(), [dict(zip(names, row, strict=True)) for row in rows])
            batch = figures.Rows(RECEIPT_NAMES, receipts)
            figures.add_new(conn, batch, figures.Rows(LINE_NAMES, lines), figures.Rows(TENDER_NAMES, tenders))
            assert figures.differences(conn) == []
            kinds = {row[0] for row in conn.exec_driver_sql("SELECT DISTINCT figure FROM shop_till_figures")}
    finally:
        engine.dispose()
    assert {"gift_cards", "brand", "tender", "tax_rate", "cashier", "first", "last", "tips"} <= kinds
