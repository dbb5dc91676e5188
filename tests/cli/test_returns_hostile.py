"""Hostile input to `pos returns take` (issue 24): a huge amount and a control character in what was
brought back. Real CLI processes on a real data folder."""

from __future__ import annotations

import pytest

from tests.cli.test_cli import pos
from tests.cli.test_returns_cli import rows


# As plain decimals: since Money.parse takes only those (e2), "1e9" is refused as no amount (exit 2).
@pytest.mark.parametrize("amount", ["1000000000.00", "1" + "0" * 30])
def test_a_return_without_a_receipt_is_bounded(tmp_path, amount):
    """1e9 gave a store credit of SGD 1,000,000,000.00; 1e30 ended in 'failed unexpectedly
    (OverflowError)'. No single item is priced above 999,999.99: no return gives back more."""
    data = str(tmp_path / "till")
    done = pos("--data-dir", data, "returns", "take", "--amount", amount, "--item", "Mug", "--store-credit")
    # Exit 2 since the tenth session: an amount no return may give is wrong whatever the till holds.
    assert done.returncode == 2 and done.stdout == "", done.stdout
    assert done.stderr.splitlines()[-1] == (
        "error: --amount: A return without a receipt gives back at most SGD 999999.99. Nothing was given back."
    )
    assert rows(data, "SELECT count(*) FROM unverified_returns") == [(0,)]


def test_a_control_character_in_what_was_brought_back_is_refused(tmp_path):
    """`--item $'Mug\\x1bp\\x00'` was kept with the ESC in the till's records (the door skipped the rule
    every other door that takes text keeps)."""
    data = str(tmp_path / "till")
    done = pos("--data-dir", data, "returns", "take", "--amount", "4.50", "--item", "Mug\x1bp", "--store-credit")
    assert done.returncode == 2 and done.stdout == ""  # a typing mistake: exit 2 since the tenth session
    assert "control character (ESC)" in done.stderr.splitlines()[-1]
    assert rows(data, "SELECT count(*) FROM unverified_returns") == [(0,)]
