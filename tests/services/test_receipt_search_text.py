"""One search box for receipts (issue 28 item 7): what the typed text is, worked out from the text."""

from __future__ import annotations

from datetime import date

import pytest

from pos.services.receipts import QueryError, ReceiptQuery, criterion, read_search

TODAY = date(2026, 3, 14)


@pytest.mark.parametrize(
    ("typed", "query"),
    [
        ("", ReceiptQuery("all")),
        ("   ", ReceiptQuery("all")),
        ("42", ReceiptQuery("number", "42")),
        ("0042", ReceiptQuery("number_or_last4", "0042")),
        ("4242", ReceiptQuery("number_or_last4", "4242")),
        ("12345", ReceiptQuery("number", "12345")),
        ("#42", ReceiptQuery("number", "42")),
        ("T1-0042", ReceiptQuery("number", "0042", till="T1")),
        ("DEMO-T1-0042", ReceiptQuery("number", "0042", till="DEMO-T1")),
        ("**** 4242", ReceiptQuery("last4", "4242")),
        ("x4242", ReceiptQuery("last4", "4242")),
        ("pi_3Abc123", ReceiptQuery("intent", "pi_3Abc123")),
        ("12.40", ReceiptQuery("amount", "12.40")),
        ("$12.4", ReceiptQuery("amount", "12.40")),
        ("S$ 1,200.00", ReceiptQuery("amount", "1200.00")),
        ("12,40", ReceiptQuery("amount", "12.40")),
        ("$12", ReceiptQuery("amount", "12.00")),
        ("2026-03-01", ReceiptQuery("dates", date_from=date(2026, 3, 1), date_to=date(2026, 3, 1))),
        ("today", ReceiptQuery("dates", date_from=TODAY, date_to=TODAY)),
        ("Yesterday", ReceiptQuery("dates", date_from=date(2026, 3, 13), date_to=date(2026, 3, 13))),
        ("2026-03-01 to 2026-03-07", ReceiptQuery("dates", date_from=date(2026, 3, 1), date_to=date(2026, 3, 7))),
        ("2026-03-07..2026-03-01", ReceiptQuery("dates", date_from=date(2026, 3, 1), date_to=date(2026, 3, 7))),
        ("2026-03-01 - today", ReceiptQuery("dates", date_from=date(2026, 3, 1), date_to=TODAY)),
    ],
)
def test_what_the_text_is(typed, query):
    assert read_search(typed, "SGD", TODAY) == query
    criterion(query, "SGD")  # and the stores take it


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("latte", "Nothing to search by in “latte”"),
        ("12.405", "“12.405” is not an amount in SGD"),
        ("2026-02-30", "“2026-02-30” is not a date"),
    ],
)
def test_what_cannot_be_searched_says_why(typed, words):
    with pytest.raises(QueryError, match=words):
        read_search(typed, "SGD", TODAY)


def test_four_digits_are_a_receipt_number_or_a_card_end():
    found = criterion(read_search("0042", "SGD", TODAY), "SGD")
    assert (found.kind, found.value) == ("number_or_last4", "0042")
