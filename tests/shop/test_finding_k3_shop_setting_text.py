"""Hostile tester k3 (issue 27, tenth session): a shop-wide setting's row at the shop is another
program's or an owner's to write (as a gift card's expiry is, h8/k2), and the till read its text by
accident of Python's parsing. A yes/no setting was yes only for "1": an owner's `UPDATE shop_settings
SET value = 'true' WHERE key = 'tax_inclusive'` (PostgreSQL's own spelling) was taken as NO, and every
till switched its prices to tax on top, without a word. A whole number was read by `int()`, which takes
"1_5" as 15 and " 15" as 15. Now a row the till cannot read as the till writes it ("1"/"0", ASCII
digits) is set aside, named in the status and by `pos sync`, as the other rows the till cannot take.
Real PostgreSQL (tests/helpers/pg.py), the till's real services on a real SQLite file; nothing mocked."""

from __future__ import annotations

import pytest

from tests.helpers.shop import shop_rows, till


@pytest.mark.parametrize(
    ("key", "value"),
    [("tax_inclusive", "true"), ("tax_inclusive", "f"), ("reader_tipping", "yes"), ("idle_lock_minutes", "1_5")],
)
def test_finding_a_shop_setting_the_till_cannot_read_as_it_writes_is_set_aside_not_guessed(
    pg, shop_db, tmp_path, sandbox, api_key, key, value
):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        assert t1.shop.round().complete
        before = getattr(t1.settings, key)
        shop_rows(
            pg,
            shop_db,
            "INSERT INTO shop_settings (key, value, version, edited_by, edited_at) VALUES"
            f" ('{key}', '{value}', 9301, 'sql', '') ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
            " version = excluded.version",
        )
        result = t1.shop.round()
        assert result.problem is None, result
        assert f"setting {key} = {value!r}: not a value this setting takes" in result.pulled.set_aside, result
        assert getattr(t1.settings, key) == before
    finally:
        t1.close()
