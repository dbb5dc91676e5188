"""Hostile tester k3 (issue 27, tenth session): `pos giftcards list` wrote a shop card's row into its
CSV as kept. The shop's row is another program's or an owner's to write (h8/k2: "1/1/2030" is taken as
no expiry), so its expiry may be anything: a cell a spreadsheet runs as a formula (`=HYPERLINK(…)`,
every other export of the till quotes it: catalog.csv_cell) and a control character (ESC, which `pos
giftcards balance` and `expire` already print printable) reached the owner's spreadsheet and terminal
raw. Now the list's cells are the other exports' (csv_cell) and the expiry is printed printable. Real
PostgreSQL (tests/helpers/pg.py), the till's real services on a real SQLite file, the sandbox for the
till's wiring; nothing mocked."""

from __future__ import annotations

import csv
import io

from pos.domain.giftcards import format_code
from pos.domain.money import Money
from tests.helpers.shop import pos, till


def test_finding_a_shop_cards_expiry_is_listed_as_a_cell_no_spreadsheet_runs_and_no_terminal_obeys(
    pg, shop_db, tmp_path, sandbox, api_key
):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        formula = t1.gift_cards.issue(Money(1000, "SGD"), "k3-formula")
        escape = t1.gift_cards.issue(Money(2000, "SGD"), "k3-escape")
    finally:
        t1.close()
    database = shop_db.rsplit("/", 1)[1]
    pg.query(
        database,
        "UPDATE shop_gift_cards SET expires_on = %s WHERE code = %s RETURNING 1",
        '=HYPERLINK("http://x.example","2030")',
        formula.code,
    )
    pg.query(
        database, "UPDATE shop_gift_cards SET expires_on = %s WHERE code = %s RETURNING 1", "\x1b[2J2030", escape.code
    )
    listed = pos("giftcards", "list", data_dir=tmp_path / "T1", shop_db=shop_db)
    assert listed.returncode == 0, listed.stderr
    assert "\x1b" not in listed.stdout
    rows = {row["code"]: row for row in csv.DictReader(io.StringIO(listed.stdout))}
    assert rows[format_code(formula.code)]["expires_on"] == "'" + '=HYPERLINK("http://x.example","2030")'
    assert rows[format_code(escape.code)]["expires_on"] == "[2J2030"
    assert rows[format_code(escape.code)]["balance_minor"] == "2000"  # a number stays a number
