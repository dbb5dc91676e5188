"""The shop report reads the tenders the tills sync by kind (issue 24 item 2): a till's day with a
sale of every kind (tests/backoffice/test_tender_kinds.py: gift card and store-credit parts written as
their rows until those tenders are taken at the counter) reaches a real PostgreSQL shop database, and
`pos shop report` shows the same by_tender as the till's own `pos report`, every kind with money."""

from __future__ import annotations

import json
from datetime import date

from tests.backoffice.test_tender_kinds import KINDS, check_by_tender, sell_every_kind
from tests.helpers.shop import pos, till


def test_the_shop_report_reads_every_tender_kind_by_its_own_rows(pg, shop_db, tmp_path, sandbox, api_key):
    context = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        refunded = sell_every_kind(context, sandbox, api_key)
        assert context.shop.round().complete
    finally:
        context.close()
    data, today = tmp_path / "T1", date.today().isoformat()
    result = pos("shop", "report", "--date", today, "--format", "json", data_dir=data, shop_db=shop_db)
    assert result.returncode == 0, result.stderr
    shop = json.loads(result.stdout)
    mine = json.loads(pos("report", "--date", today, "--format", "json", data_dir=data, shop_db=shop_db).stdout)
    exported = json.loads(pos("receipts", "export", "--format", "json", data_dir=data, shop_db=shop_db).stdout)
    for report in (shop, shop["by_till"]["T1"]):
        check_by_tender(report, exported, refunded)
        assert report["by_tender"] == mine["by_tender"]
        for key in ("cash_sales_minor", "card_sales_minor", "cash_refunds_minor", "card_refunds_minor"):
            assert report[key] == mine[key], key
    text = pos("shop", "report", "--date", today, data_dir=data, shop_db=shop_db).stdout
    assert text.count("Gift card sales (1)") == 2 and text.count("Store credit sales (1)") == 2  # the shop, T1
    assert list(shop["by_tender"]) == list(KINDS)
