"""A receipt as data, and its printed text (monospace, for a screen or 80 mm paper)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from . import currency as currencies
from . import tax
from .cart import LineTotals
from .cart_summary import line_amount
from .giftcards import read_expiry, sold_card
from .money import Money
from .tender import CardPresentReceipt, Tender, TenderKind
from .text import center, columns, fit, printable


@dataclass(frozen=True)
class Receipt:
    receipt_no: int
    till_id: str
    created_at: datetime
    store_name: str
    lines: tuple[LineTotals, ...]
    subtotal: Money
    tax: Money
    total: Money
    tax_inclusive: bool
    payment_intent: str | None  # a sale paid by one card; None when paid in cash or in parts
    card_brand: str | None = None
    card_last4: str | None = None
    store_address: str = ""
    footer: str = ""
    refunded: Money | None = None
    tax_by_rate: tuple[tuple[int, Money], ...] = field(default=())
    cart_discount: Money | None = None  # shared over the lines (each line's amount is after it)
    cart_discount_reason: str | None = None
    tenders: tuple[Tender, ...] = field(default=())  # how it was paid, in the order the parts were taken
    # The expiry day (ISO) of each gift card the sale sold or reloaded that has one, by code: stamped
    # when the card is activated, after the payment, so a receipt built with the sale has none yet.
    cards_valid_until: tuple[tuple[str, str], ...] = field(default=())

    @property
    def rounding(self) -> Money:
        """Cash rounding: what the customer paid less the total (negative: paid a little less)."""
        return sum((t.rounding for t in self.tenders if t.rounding), Money(0, self.total.currency))

    @property
    def card_payments(self) -> tuple[Tender, ...]:
        return tuple(t for t in self.tenders if t.kind is TenderKind.CARD)

    @property
    def discount(self) -> Money:
        return sum((line.discount for line in self.lines), Money(0, self.total.currency))

    @property
    def number_text(self) -> str:
        return format_receipt_no(self.receipt_no)


def payment_ids(receipt: Receipt) -> list[str]:
    """The Stripe PaymentIntent ids that paid a receipt, in the order its card parts were taken: kept
    for the back office (a dispute, Stripe's dashboard), never printed on the customer's receipt."""
    ids = [t.payment_intent for t in receipt.tenders if t.payment_intent]
    if not ids and receipt.payment_intent:
        ids = [receipt.payment_intent]
    return list(dict.fromkeys(ids))


def _emv_rows(emv: CardPresentReceipt, width: int) -> list[str]:
    """A reader payment's EMV fields, and a line to sign when the cardholder verified by signature."""
    rows = [_row(f"  {label}", value, width) for label, value in emv.lines()]
    if emv.needs_signature:
        rows += ["", "  Signature: " + "_" * max(8, width - 14), "  Cardholder signature"]
    return rows


def format_receipt_no(number: int) -> str:
    return f"{number:04d}"


DAY_TEXT_MAX = 32  # a day kept as text that is not one is cut here (a receipt line of its own)


def day_text(iso_day: str, locale: str) -> str:
    """A calendar day as the store's locale writes it ("6 Dec 2027" in en_SG, "06.12.2027" in de_DE)."""
    # Babel's dates are imported on first use: only a receipt that sold a card with an expiry needs them.
    from babel.core import UnknownLocaleError
    from babel.dates import format_date

    # The gift card's own rule of what is a day (`read_expiry`): date.fromisoformat alone also takes
    # "20271231", which the card itself reads as no expiry, so the paper would promise a day never kept.
    day = read_expiry(iso_day)
    if day is None:
        # Not a calendar day: the card's row at the shop is another program's or an owner's to write.
        # Said as it is kept, printable, rather than a paid sale left with no receipt (nor reprint).
        return printable(str(iso_day))[:DAY_TEXT_MAX]
    try:
        return format_date(day, format="medium", locale=locale)
    except (UnknownLocaleError, ValueError, OSError):
        return format_date(day, format="medium", locale="en")  # a locale whose data is not shipped


def _row(left: str, right: str, width: int) -> str:
    """`left` and `right` on one line of `width` columns (a wide character is two: domain/text.py)."""
    used = columns(left) + columns(right)
    if used + 1 > width:
        return f"{fit(left, width - columns(right) - 2)}… {right}"
    return f"{left}{' ' * (width - used)}{right}"


def render_text(receipt: Receipt, *, width: int = 42, copy: bool = False, locale: str = "en_SG") -> str:
    def fmt(amount: Money) -> str:
        return amount.format(locale)

    rule = "-" * width
    out: list[str] = []
    valid_until = dict(receipt.cards_valid_until)
    if copy:
        out.append(center("*** COPY ***", width))
    out.append(center(printable(receipt.store_name), width))
    for address_line in printable(receipt.store_address, multiline=True).splitlines():
        out.append(center(address_line, width))
    out.append(rule)
    out.append(_row(f"Receipt {receipt.number_text}", f"Till {printable(receipt.till_id)}", width))
    out.append(receipt.created_at.strftime("%Y-%m-%d %H:%M:%S"))
    out.append(rule)
    for line in receipt.lines:
        # Where tax is added, each line before tax, so the lines add up to the subtotal (cart_summary.py).
        out.append(_row(printable(line.name), fmt(line_amount(line, receipt.tax_inclusive)), width))
        if line.measure:  # weighed: the weight and the price per unit
            whole, frac = divmod(line.measure.milli, 1000)
            out.append(f"  {whole}.{frac:03d} {line.measure.unit} @ {fmt(line.measure.per_unit)}/{line.measure.unit}")
        if line.quantity != 1 or line.discount.minor:
            out.append(f"  {line.quantity} x {fmt(line.unit_price)}")
        if line.line_discount:
            reason = printable(line.discount_reason or "discount")
            out.append(_row(f"  less {reason}", "-" + fmt(line.line_discount), width))
        if valid_until and (sold := sold_card(line.sku)) is not None and sold[0] in valid_until:
            out.append(f"  valid until {day_text(valid_until[sold[0]], locale)}")
    if receipt.cart_discount:
        # Already shared over the lines above: shown so the customer sees what it came to.
        reason = printable(receipt.cart_discount_reason or "discount")
        out.append(_row(f"Incl. {reason} on the sale", "-" + fmt(receipt.cart_discount), width))
    if receipt.discount.minor:
        out.append(_row("You saved", fmt(receipt.discount), width))
    out.append(rule)
    rates = receipt.tax_by_rate or ((None, receipt.tax),)
    if receipt.tax_inclusive:
        # As the cart shows it (cart_summary.py): the lines add up to the total, and the tax inside
        # it follows, per rate: never a "Subtotal (net) / Tax (included)" pair that reads as tax on top.
        out.append(_row("TOTAL", fmt(receipt.total), width))
        for rate, amount in rates:
            if amount.minor:
                label = "  includes tax" if rate is None else f"  includes tax {tax.format_rate(rate)}%"
                out.append(_row(label, fmt(amount), width))
    else:
        out.append(_row("Subtotal (excl. tax)", fmt(receipt.subtotal), width))
        for rate, amount in rates:
            out.append(_row("Tax" if rate is None else f"Tax {tax.format_rate(rate)}%", fmt(amount), width))
        out.append(_row("TOTAL", fmt(receipt.total), width))
    out.append(rule)
    if receipt.rounding.minor:
        out.append(_row("Cash rounding", fmt(receipt.rounding), width))
        out.append(_row("TO PAY", fmt(receipt.total + receipt.rounding), width))
    if receipt.tenders:
        for tender in receipt.tenders:
            out.append(_row(tender.label, fmt(tender.amount), width))
            if tender.kind is TenderKind.CASH and tender.change and tender.tendered:
                out.append(_row("  Tendered", fmt(tender.tendered), width))
                out.append(_row("  Change", fmt(tender.change), width))
            if tender.tip and tender.tendered:
                out.append(_row("  Tip", fmt(tender.tip), width))
                out.append(_row("  Charged to card", fmt(tender.tendered), width))
            if tender.card_present:
                out.extend(_emv_rows(tender.card_present, width))
    else:  # a receipt built without its tenders (one card, as every sale was before cash)
        if receipt.card_brand:
            out.append(_row(f"Card {receipt.card_brand.upper()} **** {receipt.card_last4}", fmt(receipt.total), width))
    # No Stripe PaymentIntent id (pi_…) on the customer's paper: it means nothing to them, and a refund
    # finds the payment from the receipt's number (the record keeps the id; the Receipts window shows it).
    if receipt.refunded and receipt.refunded.minor:
        out.append(_row("Refunded", "-" + fmt(receipt.refunded), width))
    if receipt.footer:
        out.append(rule)
        out.extend(center(line, width) for line in printable(receipt.footer, multiline=True).splitlines())
    if copy:
        out.append(center("*** COPY ***", width))
    # Whatever else came from a record (a tender's label, a payment id) is cleaned here: the text
    # goes to a screen, a PDF and the printer, and only the builder's own line breaks are kept.
    return printable("\n".join(out), multiline=True) + "\n"


def sample_receipt(
    store_name: str,
    address: str,
    footer: str,
    currency: str,
    tax_inclusive: bool,
    tax_rate_bp: int,
    when: datetime,
    till_id: str = "T1",
) -> Receipt:
    """A made-up card sale of two items, for Settings' Receipt page to show the receipt's top and
    bottom as they will print with the store's details as typed (nothing is recorded)."""
    from .cart import compute_totals
    from .catalog import Product

    step = 10 ** max(currencies.exponent(currency), 2)  # 4.00 SGD, 400 JPY, 4.000 KWD
    items = [
        (Product("SAMPLE-1", "Sample item", "", Money(4 * step, currency), tax_rate_bp), 2),
        (Product("SAMPLE-2", "Another item", "", Money(3 * step, currency), tax_rate_bp), 1),
    ]
    totals = compute_totals(items, currency, tax_inclusive)
    card = Tender(TenderKind.CARD, totals.total, card_brand="visa", card_last4="4242")
    return Receipt(
        receipt_no=1,
        till_id=till_id,
        created_at=when,
        store_name=store_name,
        lines=totals.lines,
        subtotal=totals.subtotal,
        tax=totals.tax,
        total=totals.total,
        tax_inclusive=tax_inclusive,
        payment_intent=None,
        store_address=address,
        footer=footer,
        tax_by_rate=totals.tax_by_rate,
        tenders=(card,),
    )
