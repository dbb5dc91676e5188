"""A receipt line is laid out by the columns the printer gives each character, not by `len`: a wide
character (CJK, kana, hangul, most emoji) takes two columns on an ESC/POS printer's 42 and on a
fixed-width screen. Before (hostile tester k3, tenth session): a Chinese product name's line came to
66 columns, so the printer wrapped its price onto a line of its own, and a returned-goods note in
Japanese reached 74 columns on the refund slip."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from pos.domain.cart import compute_totals
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.domain.receipt import Receipt, render_text
from pos.domain.refunds import RefundReceipt, render_refund_text
from pos.domain.text import center, columns, fit

WHEN = datetime(2026, 12, 6, 9, 30, tzinfo=timezone.utc)


def receipt_of(names: list[str], store: str = "Kopi & Co.") -> Receipt:
    products = [
        Product(sku=f"S{n}", name=name, category="Food", price=Money(58000, "JPY"), tax_rate_bp=1000)
        for n, name in enumerate(names)
    ]
    totals = compute_totals([(p, 1) for p in products], "JPY", True)
    return Receipt(
        receipt_no=7,
        till_id="T1",
        created_at=WHEN,
        store_name=store,
        lines=totals.lines,
        subtotal=totals.subtotal,
        tax=totals.tax,
        total=totals.total,
        tax_inclusive=True,
        payment_intent=None,
        card_brand="visa",
        card_last4="4242",
        tax_by_rate=totals.tax_by_rate,
        footer="ご来店ありがとうございました",
    )


def test_a_wide_name_keeps_its_price_on_its_line_within_the_paper():
    name = "特製豚骨ラーメン大盛り味玉チャーシュー追加"  # 21 wide characters: 42 columns alone
    text = render_text(receipt_of([name, "抹茶ラテ"], store="東京ラーメン横丁本店"), locale="ja_JP")
    lines = text.splitlines()
    assert all(columns(line) <= 42 for line in lines), [(columns(line), line) for line in lines]
    long_line = next(line for line in lines if line.startswith("特製"))
    assert long_line.endswith("58,000") and "…" in long_line  # cut, the price kept on the line
    short_line = next(line for line in lines if line.startswith("抹茶ラテ"))
    assert columns(short_line) == 42 and short_line.endswith("58,000")  # right edge where ASCII's is
    assert columns(lines[0]) <= 42 and lines[0].strip() == "東京ラーメン横丁本店"  # centred by columns
    left = len(lines[0]) - len(lines[0].lstrip())
    assert left == (42 - columns("東京ラーメン横丁本店")) // 2


def test_a_returned_goods_note_in_japanese_stays_within_the_slip():
    slip = RefundReceipt(
        refund_no=3,
        till_id="T1",
        created_at=WHEN,
        store_name="東京ラーメン横丁本店",
        receipt_no=0,
        amount=Money(1200, "JPY"),
        lines=(("特製豚骨ラーメン大盛り味玉チャーシュー追加", 1),),
        card_brand=None,
        card_last4=None,
        stripe_refund=None,
        in_cash=True,
        unverified_note="お客様が持ち帰った器と箸のセット、未使用、箱入り、保証書付き",
    )
    lines = render_refund_text(slip, locale="ja_JP").splitlines()
    assert all(columns(line) <= 42 for line in lines), [(columns(line), line) for line in lines]
    refunded = next(line for line in lines if line.startswith("REFUNDED"))
    assert columns(refunded) == 42


def test_ascii_lines_are_what_len_gave():
    """Every character one column: the same text as before, byte for byte (the snapshot tests hold it too)."""
    assert center("Kopi & Co.", 42) == "Kopi & Co.".center(42)
    assert fit("Café Latte", 4) == "Café"


@given(st.text(alphabet=st.sampled_from("aé漢字かナ한😀\u0301\u200b"), max_size=60), st.integers(0, 50))
def test_fit_never_exceeds_the_columns_nor_splits_a_wide_character(text, most):
    cut = fit(text, most)
    assert columns(cut) <= most and text.startswith(cut)
    assert columns(text) <= most or columns(cut) >= most - 1  # at most the half of one wide character left
