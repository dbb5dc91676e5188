"""Hostile input to gift card codes and amounts (issue 24): what a scanner, a phone or a careless (or
dishonest) operator types. The CLI runs as a real process on a real data folder."""

from __future__ import annotations

import pytest

from pos.domain.giftcards import BadCode, format_code, new_code, parse_code
from tests.cli.test_cli import pos


@pytest.fixture(scope="module")
def code() -> str:
    return new_code()


@pytest.mark.parametrize(
    "typed",
    [
        lambda g: g.replace("-", "") + "\r\n",  # a scanner's line end
        lambda g: g.replace("-", "\u2013"),  # an en dash typed by a phone
        lambda g: g.replace("-", "\u2014"),
        lambda g: "\u00a0" + g + "\u00a0",  # no-break spaces pasted from a web page
    ],
    ids=["line end", "en dash", "em dash", "no-break space"],
)
def test_a_code_as_scanners_and_phones_send_it_reads_as_the_code(code, typed):
    assert parse_code(typed(format_code(code))) == code


def test_full_width_letters_read_as_their_plain_form(code):
    full = "".join(chr(ord(ch) + 0xFEE0) for ch in code)  # Ａ..Ｚ, ２..９
    assert parse_code(full) == code


def test_a_control_character_is_named_never_echoed(code):
    with pytest.raises(BadCode) as refused:
        parse_code(code[:4] + "\x1b" + code[5:])
    assert "\x1b" not in str(refused.value) and "U+001B" in str(refused.value)


def test_ten_thousand_characters_are_refused_by_their_count():
    with pytest.raises(BadCode, match="this one has 10000"):
        parse_code("A" * 10_000)


@pytest.mark.parametrize("amount", ["1e9", "1000000", "1e30", "1e400"])
def test_pos_giftcards_issue_keeps_the_counters_limit(tmp_path, amount):
    """`--amount 1e9` issued a card holding SGD 1,000,000,000.00 (the counter's line stops at
    999,999.99); 1e30 ended in 'failed unexpectedly (OverflowError)'."""
    issued = pos("--data-dir", str(tmp_path / "till"), "giftcards", "issue", "--amount", amount)
    assert issued.returncode != 0 and issued.stdout == "", issued.stdout
    (line,) = issued.stderr.strip().splitlines()
    # An exponent is no plain amount (issue 24): refused before the limit is asked.
    assert ("at most" in line or "is not an amount" in line) and "unexpectedly" not in line, line
