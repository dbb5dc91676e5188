"""Hostile tester k2 (issue 27, tenth session), left over: a gift card's expiry at the shop database
that is not a calendar day (another program's row, an owner's UPDATE: "1/1/2030") was judged expired
or not by comparing strings (`Card.expired`, and `expire_due`'s SQL `expires_on <= today`): "1/1/2030"
sorts before "2026-12-06", so a card no reading of whose day has come was refused at the counter and
emptied by `pos giftcards expire`. Decided in the customer's and the owner's interest: a day that
cannot be read is taken as no expiry, and every door that reads it says so (a warning logged, `pos
giftcards balance` naming the day). Real PostgreSQL (tests/helpers/pg.py), the till's real services on
a real SQLite file, the sandbox for the till's wiring; nothing mocked."""

from __future__ import annotations

import json
import logging

import pytest

from pos.domain.catalog import Product
from pos.domain.giftcards import format_code
from pos.domain.money import Money
from pos.services.outcomes import PartPaid
from tests.helpers.shop import pos, till


@pytest.mark.parametrize("kept", ["1/1/2030", "01.01.2030", "2030-02-30"])
def test_finding_a_shop_card_whose_expiry_cannot_be_read_is_not_refused_as_expired_by_a_string_accident(
    pg, shop_db, tmp_path, sandbox, api_key, kept, caplog
):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        card = t1.gift_cards.issue(Money(1000, "SGD"), "k2-unreadable")
        assert card.shop
        pg.query(shop_db.rsplit("/", 1)[1], f"UPDATE shop_gift_cards SET expires_on = '{kept}' RETURNING 1")
    finally:
        t1.close()
    code = format_code(card.code)
    folder = tmp_path / "T1"
    said = pos("giftcards", "balance", code, data_dir=folder, shop_db=shop_db)
    assert said.returncode == 0, said.stderr
    assert said.stdout == (
        f'{code}: SGD 10.00 (its expiry day "{kept}" is not a calendar day (YYYY-MM-DD), so it is taken as '
        "no expiry; correct the card's row in the shop database)\n"
    )
    as_json = json.loads(pos("giftcards", "balance", code, "--format", "json", data_dir=folder, shop_db=shop_db).stdout)
    assert as_json["expires_on"] == kept and as_json["expiry_unreadable"] is True
    done = pos("giftcards", "expire", data_dir=folder, shop_db=shop_db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("No gift card past its expiry day holds money"), done.stdout

    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        cake = t1.catalog.save(Product("CAKE", "Cake", "Food", Money(4500, "SGD"), 900))
        t1.till.new_sale()
        t1.till.cart.add(cake, 1)
        with caplog.at_level(logging.WARNING, logger="pos.adapters.db.giftcards"):
            spent = t1.till.pay_gift_card(card.code)
        assert isinstance(spent, PartPaid) and spent.tender.amount == Money(1000, "SGD"), spent
        assert any(f'expiry day "{kept}" is not a calendar day' in r.getMessage() for r in caplog.records)
    finally:
        t1.close()
