"""How much a refund of some units of some lines comes to, and its printed text.

Refunding k units of a line of q units whose gross is G, after r units were
refunded already, returns round(G·(r+k)/q) − round(G·r/q), rounded half up to
the currency's step: partial refunds of a line always add up to exactly G.

The tax given back is shared the same way: a line's tax T by units, and a refund
by amount takes round(T·(a+x)/A) − round(T·a/A) of the receipt's tax T, where A
is the receipt's total and a what was refunded before. Refunds of one kind add up
to exactly the tax paid; mixed on one receipt, the tax given back never exceeds
what is left of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from . import tax
from .card_amounts import card_step
from .cash import round_cash
from .errors import PosError
from .money import Money
from .text import center, columns, fit, ljust, printable
from .tender import LEDGER_KINDS, TenderKind, tender_label


@dataclass(frozen=True)
class RefundableLine:
    line_no: int
    name: str
    quantity: int
    gross_minor: int
    refunded_quantity: int
    tax_minor: int = 0
    gift_card: bool = False  # the line sold (or reloaded) a gift card: never given back as money

    @property
    def remaining_quantity(self) -> int:
        return self.quantity - self.refunded_quantity


GIFT_CARD_KEPT = "A gift card sold is not given back as money: what was paid for it stays on the card."


def gift_card_kept(lines: list[RefundableLine], chosen: dict[int, int] | None = None) -> int:
    """What the receipt's gift card lines hold, which no refund gives back (the card keeps it: a refund
    of the line as well would pay it out twice). RefundError if `chosen` picks a gift card line."""
    if chosen is not None and any(line.gift_card and chosen.get(line.line_no, 0) > 0 for line in lines):
        raise RefundError(GIFT_CARD_KEPT)
    return sum(line.gross_minor for line in lines if line.gift_card)


class RefundError(PosError, ValueError):
    """The refund asked for is not possible; the message is for the cashier."""


@dataclass(frozen=True)
class PaidPart:
    """A tender of a receipt, and how much of it refunds have given back already."""

    tender_id: int
    kind: TenderKind
    amount_minor: int
    refunded_minor: int
    card_brand: str | None = None
    card_last4: str | None = None
    # Cash: what rounding added to the cash paid (amount_minor is the cash taken, so the part paid
    # amount_minor - rounding_minor of the sale), and the cash handed back for it so far.
    rounding_minor: int = 0
    cash_back_minor: int = 0

    @property
    def remaining_minor(self) -> int:
        """What is left to refund of what this part paid of the sale."""
        return self.amount_minor - self.rounding_minor - self.refunded_minor

    @property
    def label(self) -> str:
        return tender_label(self.kind, self.card_brand, self.card_last4)


@dataclass(frozen=True)
class RefundPart:
    """One piece of a refund: this much of this tender, given back this way."""

    # None: new store credit (one code for the whole refund, whatever paid it); a store credit piece
    # with its tender goes back onto the code that paid that tender.
    tender_id: int | None
    amount_minor: int
    given_as: TenderKind  # card: through Stripe; cash: from the drawer; store credit: as a code
    cash_for_card: bool = False  # cash handed back for what a card paid (the cashier confirmed it)
    rounding_minor: int = 0  # cash: handed back less amount_minor (the store's cash rounding)

    @property
    def cash_minor(self) -> int:
        """What leaves the drawer for it (nothing for a card piece)."""
        return self.amount_minor + self.rounding_minor if self.given_as is TenderKind.CASH else 0


def cash_back(part: PaidPart, take: int, step: int, currency: str) -> int:
    """The cash handed back for `take` of `part`, by the store's cash rounding (step in minor units):
    the last of a cash part gives back exactly the cash still kept for it (a 4.53 sale paid 4.55
    gives back 4.55, so nothing of it stays in the drawer's expected cash); any other is rounded to
    the step as cash taken is, never more than the cash still kept. RefundError if it is no cash."""
    rounded = round_cash(Money(take, currency), step).minor if step > 1 else take
    if part.kind is TenderKind.CASH:
        kept = part.amount_minor - part.cash_back_minor
        cash = kept if take >= part.remaining_minor else min(rounded, kept)
    else:
        cash = rounded
    if cash <= 0:
        smallest = Money(step - step // 2, currency)
        raise RefundError(
            f"{Money(take, currency)} rounds to {Money(0, currency)} in cash: the smallest cash refund is {smallest}."
        )
    return cash


def plan_refund(
    parts: list[PaidPart],
    amount_minor: int,
    *,
    in_cash: bool = False,
    cash_step: int = 1,
    currency: str = "",
    to_store_credit: bool = False,
    store_credit_minor: int = 0,
) -> list[RefundPart]:
    """Where a refund goes back to: the tenders that paid, card parts first (the newest first, so
    the customer's money goes back the way it came, through Stripe), then cash. `in_cash` gives
    all of it back from the drawer, cash parts first, then card parts (marked cash for card); a gift
    card part still goes back onto its card.
    Cash pieces are rounded by the store's cash rounding (`cash_step`, see cash_back).

    A card piece is whole card steps of `currency` (Stripe refuses a KWD refund of 0.225: the
    three-decimal currencies' amounts end in 0, refunds too); the odd fils come from a cash part.

    `to_store_credit`: all of it as one piece of store credit (one code for the customer), exact to the
    minor unit (no cash rounding: no cash moves), whatever tenders paid.

    `store_credit_minor`: this much of it as one piece of store credit and the rest to the tenders that
    paid, as above (an exchange: the credit pays the new goods, what is over goes back the way it came)."""
    if 0 < store_credit_minor < amount_minor and not to_store_credit:
        if amount_minor > sum(p.remaining_minor for p in parts):
            raise RefundError("That is more than what is left to refund on this receipt.")
        rest = plan_refund(
            parts, amount_minor - store_credit_minor, in_cash=in_cash, cash_step=cash_step, currency=currency
        )
        return [RefundPart(None, store_credit_minor, TenderKind.STORE_CREDIT), *rest]
    if to_store_credit or store_credit_minor >= amount_minor > 0:
        if amount_minor > sum(p.remaining_minor for p in parts):
            raise RefundError("That is more than what is left to refund on this receipt.")
        return [RefundPart(None, amount_minor, TenderKind.STORE_CREDIT)]
    step = card_step(currency) if currency else 1
    cards = [p for p in reversed(parts) if p.kind is TenderKind.CARD]
    cash = [p for p in reversed(parts) if p.kind is TenderKind.CASH]
    # A gift card or store credit part goes back onto the code that paid it (a ledger entry:
    # refund_phases._back_on_card), after the cards and before the cash; the customer keeps one code.
    gifts = [p for p in reversed(parts) if p.kind in LEDGER_KINDS]
    order = cash + cards + gifts if in_cash else cards + gifts + cash
    plan, left = [], amount_minor
    for part in order:
        take = min(left, part.remaining_minor)
        # A gift card or store credit part goes back onto its code even "in cash": cash for it would
        # turn a card's balance (a stolen code's, a store credit's) into money out of the drawer.
        given = TenderKind.CASH if in_cash and part.kind not in LEDGER_KINDS else part.kind
        if given is TenderKind.CARD:
            take -= take % step
        if take <= 0:
            continue
        rounding = cash_back(part, take, cash_step, currency) - take if given is TenderKind.CASH else 0
        for_card = given is TenderKind.CASH and part.kind is TenderKind.CARD
        plan.append(RefundPart(part.tender_id, take, given, for_card, rounding))
        left -= take
    if left > 0 and left < step and amount_minor <= sum(p.remaining_minor for p in parts):
        whole = Money(amount_minor - amount_minor % step, currency)
        raise RefundError(
            f"{currency.upper()} cards take refunds in whole steps of {Money(step, currency)}: "
            f"refund {whole} to the card, or give it all in cash."
        )
    if left > 0:
        raise RefundError("That is more than what is left to refund on this receipt.")
    return plan


def _share(gross: int, units: int, quantity: int, step: int) -> int:
    numerator, denominator = gross * units, quantity * step
    whole, rest = divmod(numerator, denominator)
    return (whole + (1 if 2 * rest >= denominator else 0)) * step


def lines_amount(lines: list[RefundableLine], chosen: dict[int, int], currency: str) -> int:
    """Minor units to refund for `chosen` {line_no: units}; RefundError if more than is left."""
    by_no = {line.line_no: line for line in lines}
    step = tax.rounding_step(currency)
    if not any(units > 0 for units in chosen.values()):
        raise RefundError("Choose at least one item to refund.")
    total = 0
    for line_no, units in chosen.items():
        if units <= 0:
            continue
        line = by_no.get(line_no)
        if line is None:
            raise RefundError(f"There is no line {line_no} on this receipt.")
        if units > line.remaining_quantity:
            raise RefundError(f"{line.name}: only {line.remaining_quantity} of {line.quantity} can still be refunded.")
        before = _share(line.gross_minor, line.refunded_quantity, line.quantity, step)
        after = _share(line.gross_minor, line.refunded_quantity + units, line.quantity, step)
        total += after - before
    return total  # may be 0 (free items, or a unit's share rounding to nothing)


def lines_tax(lines: list[RefundableLine], chosen: dict[int, int], currency: str) -> int:
    """The tax inside `lines_amount` of the same choice (checked by it first)."""
    by_no = {line.line_no: line for line in lines}
    step = tax.rounding_step(currency)
    total = 0
    for line_no, units in chosen.items():
        line = by_no[line_no]
        if units > 0:
            before = _share(line.tax_minor, line.refunded_quantity, line.quantity, step)
            total += _share(line.tax_minor, line.refunded_quantity + units, line.quantity, step) - before
    return total


def amount_tax(receipt_tax: int, receipt_total: int, refunded_before: int, amount: int, currency: str) -> int:
    """The tax inside a refund of `amount` from a receipt (its share of the receipt's tax)."""
    if receipt_total <= 0:
        return 0
    step = tax.rounding_step(currency)
    before = _share(receipt_tax, refunded_before, receipt_total, step)
    return _share(receipt_tax, refunded_before + amount, receipt_total, step) - before


@dataclass(frozen=True)
class RefundReceipt:
    refund_no: int
    till_id: str
    created_at: datetime
    store_name: str
    receipt_no: int
    amount: Money
    lines: tuple[tuple[str, int], ...]  # (name, units) refunded; empty for a refund by amount
    card_brand: str | None
    card_last4: str | None
    stripe_refund: str | None  # None when given back in cash
    in_cash: bool = False
    cash_for_card: bool = False  # cash handed back for what a card paid
    rounding: Money | None = None  # cash: handed back less the amount (the store's cash rounding)
    store_credit_code: str | None = None  # given as store credit: the code the customer spends it with
    # Goods back without a receipt (services/returns.py): no receipt_no; what came back, and who approved.
    unverified_note: str | None = None
    approved_by: str = ""

    @property
    def handed_back(self) -> Money:
        """What the customer was given: the amount, plus its cash rounding."""
        return self.amount + self.rounding if self.rounding else self.amount

    @property
    def number_text(self) -> str:
        return f"{self.refund_no:04d}"


def render_refund_text(refund: RefundReceipt, *, width: int = 42, locale: str = "en_SG") -> str:
    rule = "-" * width
    out = [
        center(printable(refund.store_name), width),
        center("*** REFUND ***", width),
        rule,
        f"Refund {refund.refund_no:04d}".ljust(width - 8) + f"Till {printable(refund.till_id)}",
        *(
            ["UNVERIFIED RETURN (no receipt)", fit(f"Returned: {refund.unverified_note}", width)]
            + ([fit(f"Approved by {refund.approved_by}", width)] if refund.approved_by else [])
            if refund.unverified_note is not None
            else [f"For receipt {refund.receipt_no:04d}"]
        ),
        refund.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        rule,
    ]
    for name, units in refund.lines:
        out.append(fit(f"{units} x {printable(name)}", width))
    amount = "-" + refund.amount.format(locale)
    out.append(ljust("REFUNDED", width - columns(amount)) + amount)
    if refund.rounding:
        rounding = "-" + refund.rounding.format(locale)
        given = "-" + refund.handed_back.format(locale)
        out.append(ljust("Cash rounding", width - columns(rounding)) + rounding)
        out.append(ljust("GIVEN BACK", width - columns(given)) + given)
    if refund.store_credit_code:
        out.append("Given as store credit")
        out.append(f"Store credit code {refund.store_credit_code}")
    elif refund.in_cash:
        out.append("Given back in cash" + (" (for a card payment)" if refund.cash_for_card else ""))
    elif refund.card_brand:
        out.append(f"To card {refund.card_brand.upper()} **** {refund.card_last4}")
    # No Stripe refund id (re_…) on the customer's paper, as no pi_… on the receipt: the Receipts
    # window shows it to the back office.
    return printable("\n".join(out), multiline=True) + "\n"  # the rest from records, cleaned (domain/text.py)
