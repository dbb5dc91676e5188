"""Periods by sequence, not by clock (issue 11, finding 4).

Reproduced before the fix: after a Z, the clock set back a day hid the next 5 sales from
every Z (SGD 9.00 missing), the X report showed 0, date searches listed receipts under
the wrong day, and a sale started while the clock was fast was skipped by recovery.
The clock is the stored timestamps' clock (`raw.clock`), moved as a misset computer's would be.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from pos.adapters.db import raw
from pos.adapters.db.receipts import ReceiptQuery, ReceiptsRepo
from pos.adapters.db.reports import ReportsRepo
from pos.services import sales
from pos.services.checkout import Paid
from pos.services.recovery import recover
from tests.invariants import check_invariants


@pytest.fixture
def clock(monkeypatch):
    offset = {"by": timedelta(0)}
    real = raw.clock
    monkeypatch.setattr(raw, "clock", lambda: real() + offset["by"])

    def set_offset(delta: timedelta) -> None:
        offset["by"] = delta

    return set_offset


def sell(shop, count, product=None):
    for _ in range(count):
        shop.till.new_sale()
        shop.cart_of((product or shop.bun, 1))
        assert isinstance(shop.till.pay("pm_card_visa"), Paid)


def test_a_clock_set_back_after_a_z_hides_no_sale(shop, clock):
    reports = ReportsRepo(shop.engine)
    sell(shop, 3)
    first = reports.close_day("T1", "SGD")
    assert first.sales_count == 3 and first.receipt_numbers == (1, 3)
    clock(-timedelta(days=1))
    sell(shop, 5)
    x = reports.x_report("T1", "SGD")
    assert x.sales_count == 5 and x.gross_minor == 5 * 320 and x.receipt_numbers == (4, 8)
    second = reports.close_day("T1", "SGD")
    assert second.sales_count == 5 and second.receipt_numbers == (4, 8)
    # The period shown is the one the records carry: a day before the first Z's.
    assert second.period_end < first.period_start
    total = sum(r.total.minor for r in ReceiptsRepo(shop.engine).page(ReceiptQuery("all"), "SGD"))
    assert first.gross_minor + second.gross_minor == total == 8 * 320
    assert reports.x_report("T1", "SGD").sales_count == 0


def test_a_clock_set_forward_then_corrected_pulls_nothing_into_a_closed_day(shop, clock):
    reports = ReportsRepo(shop.engine)
    clock(timedelta(days=1))
    sell(shop, 2)
    closed = reports.close_day("T1", "SGD")
    assert closed.sales_count == 2
    clock(timedelta(0))
    sell(shop, 1)
    assert reports.x_report("T1", "SGD").sales_count == 1
    assert reports.close_day("T1", "SGD").receipt_numbers == (3, 3)


def test_date_search_follows_the_receipts_own_day(shop, clock):
    sell(shop, 1)  # today
    clock(-timedelta(days=1))
    sell(shop, 1)  # yesterday, by a clock set back: a higher id
    repo = ReceiptsRepo(shop.engine)
    today = datetime.now().astimezone().date()
    yesterday = today - timedelta(days=1)
    on = lambda day: [r.receipt_no for r in repo.page(ReceiptQuery("dates", date_from=day, date_to=day), "SGD")]  # noqa: E731
    assert on(today) == [1] and on(yesterday) == [2]


def test_recovery_does_not_skip_a_sale_from_a_fast_clock(shop, clock):
    clock(timedelta(hours=3))
    sale = shop.checkout.start_sale(shop.cart_of((shop.latte, 1)))
    intent = shop.gateway.create_payment_intent(sale.create, sales.create_key(sale.sale_key))
    shop.journal.record_intent(sale.id, intent.id)
    shop.stripe.v1.payment_intents.confirm(intent.id, {"payment_method": "pm_card_visa"})  # the charge went through
    clock(timedelta(0))  # the clock is corrected; the sale looks "from the future"
    results = recover(shop.journal, shop.gateway)
    assert [r.outcome for r in results] == ["receipt_saved"]
    check_invariants(shop.data_dir / "pos.sqlite3", shop.stripe)


def test_the_store_time_zone_decides_calendar_days(shop, monkeypatch):
    noon_utc = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
    monkeypatch.setattr(raw, "clock", lambda: noon_utc)
    sell(shop, 1)
    east = ReportsRepo(shop.engine, "Pacific/Kiritimati")  # UTC+14: already the 28th
    west = ReportsRepo(shop.engine, "Pacific/Pago_Pago")  # UTC-11: still the 27th
    assert east.for_date(date(2026, 11, 28), "T1", "SGD").sales_count == 1
    assert east.for_date(date(2026, 11, 27), "T1", "SGD").sales_count == 0
    assert west.for_date(date(2026, 11, 27), "T1", "SGD").sales_count == 1
    assert east.for_date(date(2026, 11, 28), "T1", "SGD").by_hour[2] == 320  # 02:00 on Kiritimati


def test_the_till_id_changes_only_after_a_z_and_numbering_stays_unique(shop):
    from dataclasses import replace

    from pos.adapters.db.settings import SettingsError

    repo = shop.settings  # the repo whose settings the till reads
    sell(shop, 2)
    with pytest.raises(SettingsError) as caught:
        repo.save(replace(repo.load(), till_id="T2"))
    assert "Close the day (Z report)" in str(caught.value) and "2 receipt(s)" in str(caught.value)
    ReportsRepo(shop.engine).close_day("T1", "SGD")
    repo.save(replace(repo.load(), till_id="T2"))

    sell(shop, 1)
    rows = list(ReceiptsRepo(shop.engine).export_rows())
    assert [(r["till_id"], r["receipt_no"]) for r in rows] == [("T1", 1), ("T1", 2), ("T2", 1)]


def test_a_date_search_pages_by_time_without_gaps_or_repeats(shop, clock):
    sell(shop, 60)
    clock(-timedelta(hours=1))  # later sales, earlier clock: ids and times disagree
    sell(shop, 60)
    repo = ReceiptsRepo(shop.engine)
    today = datetime.now().astimezone().date()
    query = ReceiptQuery("dates", date_from=today - timedelta(days=1), date_to=today)
    first = repo.page(query, "SGD", limit=50)
    seen = list(first)
    while len(seen) < 120:
        page = repo.page(query, "SGD", before_id=seen[-1].id, limit=50)
        assert page, "a page came back empty before every receipt was listed"
        seen += page
    assert sorted(r.receipt_no for r in seen) == list(range(1, 121))
    times = [r.created_at for r in seen]
    assert times == sorted(times, reverse=True)
    assert repo.page(query, "SGD", before_id=seen[-1].id) == []
