from __future__ import annotations

from datetime import datetime, timezone

from pos.domain.cart import compute_totals
from pos.domain.catalog import Product
from pos.domain.declines import cashier_message
from pos.domain.money import Money
from pos.domain.receipt import Receipt, payment_ids, render_text, sample_receipt


def test_receipt_text_has_what_a_customer_needs():
    p = Product(sku="L", name="Café Latte", category="Coffee", price=Money(580, "SGD"), tax_rate_bp=900)
    totals = compute_totals([(p, 2)], "SGD", True)
    receipt = Receipt(
        receipt_no=42,
        till_id="T1",
        created_at=datetime(2026, 11, 26, 9, 30, tzinfo=timezone.utc),
        store_name="Kopi & Co.",
        lines=totals.lines,
        subtotal=totals.subtotal,
        tax=totals.tax,
        total=totals.total,
        tax_inclusive=True,
        payment_intent="pi_123",
        card_brand="visa",
        card_last4="4242",
        tax_by_rate=totals.tax_by_rate,
    )
    text = render_text(receipt)
    for needle in (
        "Kopi & Co.",
        "Receipt 0042",
        "2026-11-26 09:30",
        "Café Latte",
        "2 x $5.80",
        "$11.60",
        "includes tax 9%",
        "$0.96",
        "VISA **** 4242",
    ):
        assert needle in text
    # Issue 28: Stripe's PaymentIntent id means nothing on the customer's paper; the back office keeps it.
    assert "pi_123" not in text and "Payment" not in text
    assert payment_ids(receipt) == ["pi_123"]
    assert "COPY" not in text
    assert "Subtotal" not in text and "(included)" not in text  # tax inside the total: not a row above it
    assert render_text(receipt, copy=True).count("COPY") == 2
    assert all(len(line) <= 42 for line in text.splitlines())


def test_decline_words():
    assert "not enough funds" in cashier_message("insufficient_funds", "card_declined")
    assert "expired" in cashier_message("expired_card", "expired_card")
    assert "Ask for another card" in cashier_message(None, "something_new")


def test_with_tax_added_the_lines_print_before_tax_and_add_up_to_the_subtotal():
    receipt = sample_receipt("Shop", "", "", "USD", False, 825, datetime(2026, 3, 14, 9, 30))
    lines = render_text(receipt, locale="en_US").splitlines()
    assert _amount(lines, "Sample item") == "$8.00" and _amount(lines, "Another item") == "$3.00"  # before
    assert _amount(lines, "Subtotal (excl. tax)") == "$11.00" and _amount(lines, "TOTAL") == "$11.91"


def test_the_settings_preview_receipt_prints_the_store_as_typed_and_no_payment_id():
    receipt = sample_receipt("Kopi Corner", "1 Main St\nSingapore", "See you!", "SGD", True, 900, datetime(2026, 3, 14))
    text = render_text(receipt)
    assert "Kopi Corner" in text and "Singapore" in text and "See you!" in text
    assert "Card VISA **** 4242" in text and "pi_" not in text


def _amount(lines: list[str], label: str) -> str:
    [line] = [line for line in lines if line.startswith(label)]
    return line.split()[-1]


def test_the_receipts_valid_until_day_is_the_day_the_card_itself_keeps():
    """Found reading the tenth session's change: the receipt read a card's kept expiry with
    date.fromisoformat, which also takes "20271231" and "2027-W52-5", while the card reads only
    YYYY-MM-DD (`read_expiry`: anything else is no expiry). So the paper promised 31 Dec 2027 for a card
    that never expires. One rule now: a day the card keeps is printed in the locale, else the text as kept."""
    from pos.domain.giftcards import read_expiry
    from pos.domain.receipt import day_text

    assert day_text("2027-12-31", "en_SG") == "31 Dec 2027"
    for odd in ("20271231", "2027-W52-5"):
        assert read_expiry(odd) is None
        assert day_text(odd, "en_SG") == odd
