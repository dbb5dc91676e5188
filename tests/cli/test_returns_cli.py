"""`pos returns take` (issue 24 item 4): the returns service's rules at the command line, as in the
window: a manager's right once cashiers exist (`--as`, the gate), cash or store credit, one line and
an exit code when refused. Real CLI processes on a real data folder (demo mode: no Stripe call)."""

from __future__ import annotations

from tests.cli.test_cli import pos
from tests.cli.test_roles import staffed  # noqa: F401 - the fixture: Ann (manager), Bob (cashier), Olu (owner)
from tests.services.test_refund_drawer import rows as db_rows
from tests.services.test_store_credit import CODE


def rows(data, sql):
    return db_rows(f"{data}/pos.sqlite3", sql)


def test_a_one_person_shop_takes_a_return_as_store_credit_and_prints_the_code(tmp_path):
    data = str(tmp_path / "till")
    done = pos("--data-dir", data, "returns", "take", "--amount", "4.50", "--item", "Mug", "--store-credit")
    assert done.returncode == 0, done.stderr
    said, code = done.stdout.splitlines()
    assert said == "Took it back: SGD 4.50 as store credit (unverified return, refund 0001)."
    assert CODE.fullmatch(code)
    assert rows(
        data, "SELECT tender_kind, amount_minor, note, approved_by, store_credit_code FROM unverified_returns"
    ) == [("store_credit", 450, "Mug", "", code)]


def test_bad_input_fails_in_one_line(tmp_path):
    data = str(tmp_path / "till")
    done = pos("--data-dir", data, "returns", "take", "--amount", "4,5O", "--item", "Mug", "--cash")
    # One line of its own (a machine with no keyring adds the till's warning about the key above it).
    assert done.returncode == 2 and done.stderr.count("error:") == 1 and "Traceback" not in done.stderr
    assert "type the amount like 4.50 (SGD)" in done.stderr
    # Issue 24 (a known gap): an exponent or an underscore was read as a number ('1e3': SGD 1000.00).
    for amount in ("1e3", "1_000", "1e30"):
        done = pos("--data-dir", data, "returns", "take", "--amount", amount, "--item", "Mug", "--cash")
        assert done.returncode == 2 and f"not {amount!r}" in done.stderr.splitlines()[-1], done.stderr
    blank = pos("--data-dir", data, "returns", "take", "--amount", "4.50", "--item", "  ", "--cash")
    assert blank.returncode == 2 and blank.stderr.splitlines()[-1] == "error: Say what the customer brought back."
    assert rows(data, "SELECT count(*) FROM unverified_returns") == [(0,)]


def test_an_amount_beyond_any_price_is_refused_in_one_line(tmp_path):
    """Found by xb: `--amount 1e30` failed "unexpectedly (OverflowError)" after the return was begun,
    and `--amount 99999999999999` gave back SGD 99,999,999,999,999.00 in cash. Now the service refuses
    what no price in the catalog can reach, at every door."""
    data = str(tmp_path / "till")
    for amount in ("99999999999999", "1000000.00"):
        for given in ("--cash", "--store-credit"):
            done = pos("--data-dir", data, "returns", "take", "--amount", amount, "--item", "Mug", given)
            # Wrong whatever the till holds: exit 2, the giftcards commands' rule (h5 found returns gave 1).
            assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
            assert done.stderr.splitlines()[-1] == (
                "error: --amount: A return without a receipt gives back at most SGD 999999.99. Nothing was given back."
            )
    assert rows(data, "SELECT count(*) FROM unverified_returns") == [(0,)]


def test_no_amount_and_a_page_long_note_are_refused_at_the_door(tmp_path):
    """Tenth session (h5's sweep): 0 and -5 gave exit 1 where an unreadable amount gave 2, and a
    20,000-character --item was taken back and printed on the slip. Now nothing or less is a mistake in
    what was typed (exit 2), and the note is a line of at most 200 characters at every door (the
    service's rule, so the window's too)."""
    data = str(tmp_path / "till")
    for amount in ("0", "-5", "0.00"):
        done = pos("--data-dir", data, "returns", "take", "--amount", amount, "--item", "Mug", "--cash")
        assert done.returncode == 2 and done.stderr.count("error:") == 1, done.stderr
        assert "must be more than zero" in done.stderr.splitlines()[-1]
    long = pos("--data-dir", data, "returns", "take", "--amount", "4.50", "--item", "M" * 201, "--cash")
    assert long.returncode == 2, long.stderr  # a typing mistake, as the amount (k3)
    assert long.stderr.splitlines()[-1] == "error: Say what the customer brought back in at most 200 characters."
    assert rows(data, "SELECT count(*) FROM unverified_returns") == [(0,)]


TAKE_CASH = ("returns", "take", "--amount", "4.50", "--item", "Mug", "--cash")


def test_a_cashier_cannot_and_a_manager_can(staffed):  # noqa: F811
    bob = pos("--data-dir", staffed, "--as", "Bob", *TAKE_CASH, stdin="1357\n")
    assert bob.returncode == 1 and bob.stderr.count("\n") == 1
    assert "Bob is a cashier and may not take back goods without a receipt" in bob.stderr
    ann = pos("--data-dir", staffed, "--as", "Ann", *TAKE_CASH, stdin="2468\n")
    assert ann.returncode == 0, ann.stderr
    assert ann.stdout == "Took it back: SGD 4.50 in cash (unverified return, refund 0001).\n"
    assert rows(staffed, "SELECT tender_kind, approved_by, refund_no FROM unverified_returns") == [("cash", "Ann", 1)]
    # h3: the record and its events named nobody as who took it back (the till's context the command
    # opens has no one signed in); now the person `--as` named, as the window names who is signed in.
    assert rows(staffed, "SELECT cashier FROM unverified_returns") == [("Ann",)]
    assert rows(
        staffed, "SELECT DISTINCT actor FROM audit_events WHERE kind LIKE 'return%' OR kind = 'unverified_return'"
    ) == [("Ann",)]
