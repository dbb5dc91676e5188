"""Gift card codes and the ledger's arithmetic (domain/giftcards.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.giftcards import (
    ALPHABET,
    BadCode,
    check_character,
    Entry,
    EntryKind,
    balance,
    format_code,
    new_code,
    parse_code,
    redeemable,
)
from pos.domain.money import Money


def sgd(minor: int) -> Money:
    return Money(minor, "SGD")


def test_a_new_code_reads_back_printed_typed_in_lower_case_or_with_spaces():
    code = new_code()
    assert len(code) == 16 and set(code) <= set(ALPHABET)
    printed = format_code(code)
    assert printed.count("-") == 3
    assert parse_code(printed) == code
    assert parse_code(" " + printed.lower().replace("-", " ") + " ") == code


@given(st.data())
def test_every_single_wrong_character_and_every_swap_of_two_characters_is_refused(data):
    code = new_code()
    at = data.draw(st.integers(0, len(code) - 1))
    other = data.draw(st.sampled_from([c for c in ALPHABET if c != code[at]]))
    with pytest.raises(BadCode):
        parse_code(code[:at] + other + code[at + 1 :])
    i, j = sorted(data.draw(st.lists(st.integers(0, len(code) - 1), min_size=2, max_size=2, unique=True)))
    if code[i] != code[j]:
        with pytest.raises(BadCode):
            parse_code(code[:i] + code[j] + code[i + 1 : j] + code[i] + code[j + 1 :])


def test_the_first_and_last_characters_of_the_alphabet_swapped_are_refused_too():
    """A Luhn mod 30 check (the first version) let '2' and 'Z' (values 0 and 29) swap unseen; the
    weighted sum modulo 31 catches any two characters swapped, anywhere."""
    tried = 0
    for tail in ("3456789ABCDEF", "GHJKMNPQRSTVW", "XY23456789ABC", "DEFGHJKMNPQRS"):
        for at in range(len(tail) + 1):
            body = tail[:at] + "2Z" + tail[at:]
            check = check_character(body)
            if check is None:
                continue
            assert parse_code(body + check) == body + check
            with pytest.raises(BadCode, match="a character is wrong"):
                parse_code(tail[:at] + "Z2" + tail[at:] + check)
            tried += 1
    assert tried > 40


def test_look_alikes_wrong_lengths_and_nothing_are_refused_in_the_cashiers_words():
    code = new_code()
    with pytest.raises(BadCode, match="no 'O'"):
        parse_code("O" + code[1:])
    with pytest.raises(BadCode, match="16 characters; this one has 15"):
        parse_code(code[:-1])
    with pytest.raises(BadCode, match="Type or scan"):
        parse_code(" - ")


def test_codes_are_not_a_sequence():
    """Drawn by the OS's generator: a thousand codes share no long prefix with their neighbour."""
    codes = [new_code() for _ in range(1000)]
    assert len(set(codes)) == 1000
    assert max(len(_common(a, b)) for a, b in zip(codes, codes[1:], strict=False)) < 8


def _common(a: str, b: str) -> str:
    n = 0
    while n < len(a) and a[n] == b[n]:
        n += 1
    return a[:n]


def test_the_balance_is_the_sum_of_the_entries():
    entries = [
        Entry(EntryKind.ISSUE, sgd(5000), "a"),
        Entry(EntryKind.REDEEM, sgd(1200), "b"),
        Entry(EntryKind.CANCELLED, sgd(0), "c"),
        Entry(EntryKind.REFUND_TO_CARD, sgd(200), "d"),
        Entry(EntryKind.RELOAD, sgd(1000), "e"),
        Entry(EntryKind.EXPIRE, sgd(300), "f"),
    ]
    assert balance(entries, "SGD") == sgd(5000 - 1200 + 200 + 1000 - 300)


def test_a_redemption_takes_the_smaller_of_balance_and_due_or_what_was_asked():
    assert redeemable(sgd(2000), sgd(3550)) == sgd(2000)
    assert redeemable(sgd(5000), sgd(3550)) == sgd(3550)
    assert redeemable(sgd(5000), sgd(3550), sgd(1000)) == sgd(1000)
    with pytest.raises(ValueError, match="holds only SGD 20.00"):
        redeemable(sgd(2000), sgd(3550), sgd(2500))
    with pytest.raises(ValueError, match="owes only"):
        redeemable(sgd(5000), sgd(3550), sgd(4000))
    with pytest.raises(ValueError, match="nothing left"):
        redeemable(sgd(0), sgd(3550))
    with pytest.raises(ValueError, match="holds USD"):
        redeemable(Money(100, "USD"), sgd(3550))
