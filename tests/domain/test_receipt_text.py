from __future__ import annotations

from datetime import datetime, timezone

from pos.domain.cart import compute_totals
from pos.domain.catalog import Product
from pos.domain.declines import cashier_message
from pos.domain.money import Money
from pos.domain.receipt import Receipt, payment_ids, render_text


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
        "Tax 9% (included)",
        "$0.96",
        "VISA **** 4242",
    ):
        assert needle in text
    # Issue 28: Stripe's PaymentIntent id means nothing on the customer's paper; the back office keeps it.
    assert "pi_123" not in text and "Payment" not in text
    assert payment_ids(receipt) == ["pi_123"]
    assert "COPY" not in text
    assert render_text(receipt, copy=True).count("COPY") == 2
    assert all(len(line) <= 42 for line in text.splitlines())


def test_decline_words():
    assert "not enough funds" in cashier_message("insufficient_funds", "card_declined")
    assert "expired" in cashier_message("expired_card", "expired_card")
    assert "Ask for another card" in cashier_message(None, "something_new")
