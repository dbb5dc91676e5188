"""Hostile tester k2 (issue 27, tenth session): a gift card's expiry day as the shop database holds
it, on the receipt that reloads the card and at the command line. The shop database is a door: its
rows are written by other tills, other versions, or an owner at a SQL prompt. Real PostgreSQL
(tests/helpers/pg.py), the till's real services on a real SQLite file; nothing mocked."""

from __future__ import annotations

import pytest

from pos.domain.giftcards import format_code
from pos.domain.money import Money
from pos.domain.receipt import render_text
from tests.helpers.shop import pos, till


@pytest.mark.parametrize("kept", ["31/12/2027", "2027-12-31T00:00:00+08:00", "2027-12-31\x1b[2J\x07"])
def test_finding_a_reload_of_a_shop_card_whose_day_is_not_a_calendar_day_still_gives_a_receipt(
    pg, shop_db, tmp_path, sandbox, api_key, kept
):
    """Before: since the receipt says until when a card is valid (this session), a card reloaded at
    the counter whose shop row held an expiry that is not an ISO day (the shop's own rows: another
    program, an owner's UPDATE) left a paid sale whose receipt could not be made: render_text raised
    ValueError from date.fromisoformat, on screen, on paper and at every reprint (the day is kept
    with the sale). `pos giftcards balance` printed the text raw, control characters and all. Now
    the day is printed as the shop has it, printable, and nothing stops the receipt."""
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        card = t1.gift_cards.issue(Money(1000, "SGD"), "k2-card")
        assert card.shop
        pg.query(shop_db.rsplit("/", 1)[1], f"UPDATE shop_gift_cards SET expires_on = E'{kept}' RETURNING 1")
        t1.till.new_sale()
        t1.till.sell_gift_card(Money(500, "SGD"), card.code)
        paid = t1.till.pay_cash(t1.till.amount_due())
        assert type(paid).__name__ == "Paid", paid
        kept_id = t1.receipts.receipt_id_for(paid.receipt.receipt_no, "T1")
        assert kept_id is not None
        for text in (render_text(paid.receipt), render_text(t1.receipts.reprint(kept_id).receipt, copy=True)):
            line = next(line for line in text.splitlines() if "valid until" in line)
            assert line.strip().startswith("valid until 31/12/2027") or "2027-12-31" in line, line
            assert not any(ch < " " for ch in line), repr(line)
    finally:
        t1.close()
    done = pos("giftcards", "balance", format_code(card.code), data_dir=tmp_path / "T1", shop_db=shop_db)
    assert done.returncode == 0, done.stderr
    assert not any(ch < " " for ch in done.stdout.rstrip("\n")), repr(done.stdout)
