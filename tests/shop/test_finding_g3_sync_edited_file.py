"""Hostile tester g3 (issue 27 item 4): a till file edited by hand, then synced. A batch of new
receipts goes by COPY straight into the shop's tables and its figures are summed in Python
(figures.add_new, d7a7794); a smaller batch goes by statements and the figures are worked out in
SQL (figures.refresh). Both ways must treat an odd value alike, and never raise out of round():
the figures equal to the rows whatever text they hold, and a value no figure can be filed under
refused in one line (as cdaabe7 does for a total out of range). Real PostgreSQL
(tests/helpers/pg.py), real SQLite files; nothing mocked."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from pos.adapters.shop.sync import COPY_FROM
from pos.domain.report import render_report_text
from tests.helpers.shop import sell, shop_rows, till

SALES = COPY_FROM + 2  # enough receipts for the batch to go by COPY
BOTH_WAYS = pytest.mark.parametrize("sales", [3, SALES], ids=["by statements", "by COPY"])


def _edited(tmp_path, sales: int, sandbox, api_key, shop_db, edit: str):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    sell(t1, sales, cash_only=True)
    with sqlite3.connect(tmp_path / "T1" / "pos.sqlite3") as db:  # as an editor of the file would
        db.execute(edit)
    return t1


@BOTH_WAYS
def test_finding_a_tender_kind_the_till_does_not_know_is_figured_as_the_rows_say(
    pg, shop_db, tmp_path, sandbox, api_key, sales
):
    """Before: by COPY, TenderKind('voucher') raised ValueError out of figures.add_new (`pos sync`
    said only "failed unexpectedly (ValueError)"; the window's background round stopped), while by
    statements the same file was taken (that case is a guard: it held before). Now both take it, and
    the kept figures are the rows'."""
    t1 = _edited(tmp_path, sales, sandbox, api_key, shop_db, "UPDATE tenders SET kind = 'voucher' WHERE id = 1")
    try:
        result = t1.shop.round()
        assert result.complete and result.problem is None, result
        assert t1.shop.figure_differences() == []
        shop, _tills = t1.shop.report(date.today(), "SGD")  # the shop report reads the figures
        assert render_report_text(shop, "Shop")
    finally:
        t1.close()
    assert shop_rows(pg, shop_db, "SELECT count(*) FROM shop_tenders WHERE kind = 'voucher'") == [(1,)]


@BOTH_WAYS
def test_finding_a_receipt_time_cut_to_its_day_is_refused_in_one_line(pg, shop_db, tmp_path, sandbox, api_key, sales):
    """Before: ValueError out of figures.quarter_of (by COPY) or datetime.fromisoformat (by
    statements, figures.refresh). Now the shop refusing this till's records, nothing stored."""
    edit = "UPDATE receipts SET created_at = '2026-12-06' WHERE receipt_no = 2"
    t1 = _edited(tmp_path, sales, sandbox, api_key, shop_db, edit)
    try:
        result = t1.shop.round()
        assert result.refused and result.problem is not None, result
        assert "\n" not in result.problem and "'2026-12-06'" in result.problem
        assert result.waiting.receipts == sales
    finally:
        t1.close()
    assert shop_rows(pg, shop_db, "SELECT count(*) FROM shop_receipts") == [(0,)]


@BOTH_WAYS
def test_a_nul_in_a_synced_text_is_refused_in_one_line(pg, shop_db, tmp_path, sandbox, api_key, sales):
    """PostgreSQL's text holds no NUL character; a till file edited to hold one in a receipt's cashier
    (a guard: this held before, on both paths)."""
    edit = "UPDATE receipts SET cashier = 'Ann' || char(0) || 'x' WHERE receipt_no = 2"
    t1 = _edited(tmp_path, sales, sandbox, api_key, shop_db, edit)
    try:
        result = t1.shop.round()
        assert result.refused and result.problem is not None, result
        assert "\n" not in result.problem and "\x00" not in result.problem
        assert result.waiting.receipts == sales
    finally:
        t1.close()
    assert shop_rows(pg, shop_db, "SELECT count(*) FROM shop_receipts") == [(0,)]
