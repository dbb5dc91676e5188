"""EMV receipts (issue 25, item 5): a card read by a reader prints what card networks require on a
custom receipt (Stripe, "Provide receipts": https://docs.stripe.com/terminal/features/receipts)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pos.domain.cart import compute_totals
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.domain.receipt import Receipt, render_text
from pos.domain.tender import CardPresentReceipt, Tender, TenderKind

EMV = CardPresentReceipt(
    application_name="Visa Credit",
    aid="A0000000031010",
    read_method="contact_emv",
    verification="online_pin",
    authorization_code="123456",
    account_type="credit",
    arc="3030",
    tvr="0080008000",
    tsi="6800",
)


def a_reader_receipt(emv: CardPresentReceipt | None) -> Receipt:
    p = Product(sku="L", name="Café Latte", category="Coffee", price=Money(580, "SGD"), tax_rate_bp=900)
    totals = compute_totals([(p, 1)], "SGD", True)
    tender = Tender(
        TenderKind.CARD,
        totals.total,
        payment_intent="pi_1",
        card_brand="visa",
        card_last4="4242",
        card_present=emv,
    )
    return Receipt(
        receipt_no=9,
        till_id="T1",
        created_at=datetime(2026, 12, 6, 9, 30, tzinfo=timezone.utc),
        store_name="Kopi & Co.",
        lines=totals.lines,
        subtotal=totals.subtotal,
        tax=totals.tax,
        total=totals.total,
        tax_inclusive=True,
        payment_intent="pi_1",
        card_brand="visa",
        card_last4="4242",
        tenders=(tender,),
    )


def test_a_reader_payment_prints_every_field_stripe_lists():
    text = render_text(a_reader_receipt(EMV))
    for needle in (
        "Application",
        "Visa Credit",
        "AID",
        "A0000000031010",
        "Entry",
        "Chip",
        "Verification",
        "PIN",
        "Auth code",
        "123456",
        "Account",
        "Credit",
        "ARC",
        "3030",
        "TVR",
        "0080008000",
        "TSI",
        "6800",
    ):
        assert needle in text, needle
    assert "Signature" not in text  # verified by PIN: nothing to sign
    assert all(len(line) <= 42 for line in text.splitlines())
    narrow = render_text(a_reader_receipt(EMV), width=32)  # 58 mm paper
    assert "A0000000031010" in narrow and all(len(line) <= 32 for line in narrow.splitlines())


@pytest.mark.parametrize(
    ("read_method", "words"),
    [
        ("contactless_emv", "Contactless"),
        ("contact_emv", "Chip"),
        ("magnetic_stripe_track2", "Swipe"),
        ("magnetic_stripe_fallback", "Swipe (chip failed)"),
    ],
)
def test_the_read_method_in_words(read_method, words):
    emv = CardPresentReceipt(read_method=read_method)
    assert emv.read_method_words == words
    row = next(line for line in render_text(a_reader_receipt(emv)).splitlines() if line.strip().startswith("Entry"))
    assert row.rstrip().endswith(words)


@pytest.mark.parametrize(
    ("method", "words", "signs"),
    [
        ("online_pin", "PIN", False),
        ("offline_pin", "PIN", False),
        ("signature", "Signature", True),
        ("offline_pin_and_signature", "PIN and signature", True),
        ("none", "None", False),
    ],
)
def test_the_cardholder_verification_and_a_line_to_sign(method, words, signs):
    emv = CardPresentReceipt(aid="A0000000031010", verification=method)
    text = render_text(a_reader_receipt(emv))
    row = next(line for line in text.splitlines() if line.strip().startswith("Verification"))
    assert row.rstrip().endswith(words)
    assert ("Cardholder signature" in text) is signs
    if signs:
        assert "Signature: ____" in text


def test_kept_as_json_and_read_back_the_same():
    assert CardPresentReceipt.from_json(EMV.to_json()) == EMV
    assert CardPresentReceipt.from_json(None) is None


def test_a_card_typed_in_online_prints_no_emv_rows():
    text = render_text(a_reader_receipt(None))
    assert "AID" not in text and "Auth code" not in text
