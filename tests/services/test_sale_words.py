"""The status line of a sale just paid (services/sale_words.py): the sale's words and the printer's
answer for its receipt, whichever comes first, are both in the line and each once. Before, the window
read another part's last print (DrawerDesk.last_print) to join them, and an answer that came after
the sale's words replaced them."""

from __future__ import annotations

from pos.services.receipt_printing import NotPrinted, Printed
from pos.services.sale_words import Piece, SaleWords

PAID = "Paid 12.50 — receipt T1-0042 saved."
PRINTED = Printed("Receipt T1-0042 printed.")
OFF = NotPrinted("Receipt T1-0042 was saved but not printed: the printer is off. Reprint it from Receipts.")


def test_the_printers_answer_after_the_sales_words_joins_them():
    words = SaleWords()
    assert words.say("T1-0042", Piece.SALE, PAID).text == PAID
    line = words.printed("T1-0042", PRINTED)
    assert line.text == f"{PAID} Receipt T1-0042 printed." and not line.error


def test_the_printers_answer_before_the_sales_words_is_kept_and_said_with_them():
    words = SaleWords()
    assert words.printed("T1-0042", OFF).text == OFF.message  # said at once: the sale's words are not there yet
    line = words.say("T1-0042", Piece.SALE, PAID)
    assert line.text == f"{PAID} {OFF.message}" and line.error


def test_a_piece_said_again_replaces_itself():
    words = SaleWords()
    words.printed("T1-0042", PRINTED)
    words.say("T1-0042", Piece.SALE, PAID)
    line = words.say("T1-0042", Piece.SALE, PAID)  # the receipt dialog closed: the sale's words again
    assert line.text.count(PAID) == 1 and line.text.count("printed.") == 1


def test_the_customers_choice_sits_between_the_sale_and_the_printer():
    words = SaleWords()
    words.say("T1-0042", Piece.SALE, PAID)
    words.printed("T1-0042", PRINTED)
    line = words.say("T1-0042", Piece.CHOICE, "The customer chose: print my receipt.")
    assert line.text == f"{PAID} The customer chose: print my receipt. Receipt T1-0042 printed."


def test_an_older_receipts_late_answer_does_not_hide_the_sale_at_the_counter():
    words = SaleWords()
    words.say("T1-0042", Piece.SALE, PAID)
    later = "Paid 3.00 — receipt T1-0043 saved."
    words.say("T1-0043", Piece.SALE, later)
    line = words.printed("T1-0042", OFF)
    assert line.text == f"{later} {OFF.message}" and line.error
    # The newer receipt's own answer then joins its line; the older one's is not said again.
    assert words.printed("T1-0043", Printed("Receipt T1-0043 printed.")).text == f"{later} Receipt T1-0043 printed."
