"""A reprint shows what was printed at the sale (issue 12, item 4): the store's name, address and
footer as they were then, not as the settings say today."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from pos.adapters.db.receipts import ReceiptsRepo
from pos.adapters.db.settings import SettingsRepo
from pos.domain.receipt import render_text
from pos.services.checkout import Paid


def test_a_reprint_keeps_the_store_details_of_the_sale(shop):
    settings = shop.settings
    settings.save(replace(settings.load(), store_name="Kopi Lama", address="1 Old Road", receipt_footer="Old footer"))
    shop.cart_of((shop.latte, 1))
    first = shop.till.pay("pm_card_visa")
    assert isinstance(first, Paid) and first.receipt.store_name == "Kopi Lama"
    settings.save(replace(settings.load(), store_name="Kopi Baru", address="2 New Road", receipt_footer="New footer"))
    repo = ReceiptsRepo(shop.engine, settings)
    reprint = repo.receipt(repo.receipt_id_for(1, "T1"))
    assert (reprint.store_name, reprint.store_address, reprint.footer) == ("Kopi Lama", "1 Old Road", "Old footer")
    text = render_text(reprint)
    assert "Kopi Lama" in text and "Kopi Baru" not in text and "Old footer" in text
    shop.till.new_sale()
    shop.cart_of((shop.bun, 1))
    second = shop.till.pay("pm_card_visa")
    assert isinstance(second, Paid) and second.receipt.store_name == "Kopi Baru"


def test_receipts_from_before_the_snapshot_reprint_with_todays_settings(shop):
    shop.cart_of((shop.latte, 1))
    assert isinstance(shop.till.pay("pm_card_visa"), Paid)
    conn = sqlite3.connect(shop.data_dir / "pos.sqlite3")
    with conn:  # as a receipt written before layout 3 has it
        conn.execute("UPDATE receipts SET store_name = NULL, store_address = NULL, receipt_footer = NULL")
    conn.close()
    repo = ReceiptsRepo(shop.engine)
    assert repo.receipt(repo.receipt_id_for(1, "T1")).store_name == SettingsRepo(shop.engine).load().store_name
