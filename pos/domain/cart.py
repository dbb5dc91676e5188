"""The cart a cashier builds, and its totals under the store's tax rule (see tax.py)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

from . import tax
from .catalog import Product, is_gift_card_sku
from .discounts import Discount, share
from .errors import PosError
from .money import Money

MAX_QUANTITY = 9999


class CartError(PosError, ValueError):
    pass


def parse_quantity(text: str) -> int:
    """A line's quantity as typed (the keypad or a keyboard): a whole number from 1 to MAX_QUANTITY."""
    cleaned = text.strip()
    if not (cleaned.isascii() and cleaned.isdigit()) or not 1 <= int(cleaned) <= MAX_QUANTITY:
        raise CartError(f"Type the quantity as a whole number from 1 to {MAX_QUANTITY}.")
    return int(cleaned)


@dataclass(frozen=True)
class Measure:
    """A line a scale priced: its quantity in the product's unit, in thousandths (1.250 kg is 1250),
    and the shelf price per unit. The line's price is the two multiplied, rounded once (priced_by)."""

    milli: int
    unit: str  # domain/stock.Unit's value ("kg")
    per_unit: Money

    def describe(self) -> str:
        whole, frac = divmod(self.milli, 1000)
        return f"{whole}.{frac:03d} {self.unit} @ {self.per_unit.major_text()}/{self.unit}"


def priced_by(per_unit: Money, milli: int) -> Money:
    """Price × quantity, rounded half up once to the currency's step (tax.py's rule)."""
    step = tax.rounding_step(per_unit.currency)
    return Money(tax.round_half_up(per_unit.minor * milli, 1000, step), per_unit.currency)


@dataclass
class CartLine:
    product: Product
    quantity: int
    discount: Discount | None = None
    # A line with a price of its own (a scale label, an open price, a custom amount): never merged
    # with another line of the product; `product.price` is its price. A weighed one has its measure.
    priced: bool = False
    measure: Measure | None = None

    @property
    def amount(self) -> Money:
        return self.product.price * self.quantity


@dataclass(frozen=True)
class LineTotals:
    sku: str
    name: str
    quantity: int
    unit_price: Money
    tax_rate_bp: int
    net: Money
    tax: Money
    gross: Money
    # Off this line, in the price's terms (gross if tax-inclusive, else net): its own discount,
    # and its share of the cart's. unit_price × quantity − both = the amount taxed.
    line_discount: Money | None = None
    cart_share: Money | None = None
    discount_reason: str | None = None
    measure: Measure | None = None  # weighed: the weight and price per unit (receipts print them)

    @property
    def discount(self) -> Money:
        zero = Money(0, self.unit_price.currency)
        return (self.line_discount or zero) + (self.cart_share or zero)


@dataclass(frozen=True)
class Totals:
    currency: str
    lines: tuple[LineTotals, ...]
    subtotal: Money  # sum of line nets
    tax: Money  # sum of line taxes
    total: Money  # sum of line grosses = subtotal + tax
    tax_by_rate: tuple[tuple[int, Money], ...]
    cart_discount: Money | None = None  # the whole cart's discount (shared over the lines)
    cart_discount_reason: str | None = None

    @functools.cached_property  # asked several times per scan (the cart's summary, its label, the view)
    def discount(self) -> Money:
        """Everything taken off: the lines' own discounts and the cart's."""
        return sum((line.discount for line in self.lines), Money(0, self.currency))


def compute_totals(
    lines: list[tuple[Product, int]],
    currency: str,
    inclusive: bool,
    *,
    line_discounts: list[Discount | None] | None = None,
    cart_discount: Discount | None = None,
) -> Totals:
    """Per line: the price amount, less the line's discount and its share of the cart's, then the
    tax on what is left, rounded half up (tax.py)."""
    discounts = line_discounts or [None] * len(lines)
    amounts = [product.price.minor * quantity for product, quantity in lines]
    # A gift card line takes no discount, its own or a share of the cart's: the card holds its face
    # value, so a discount on it would put more on the card than was paid for it (found by the
    # model-based test and by a hostile tester alike).
    money_kept = [is_gift_card_sku(product.sku) for product, _quantity in lines]
    own = [
        d.off(a, currency) if d and not kept else 0 for d, a, kept in zip(discounts, amounts, money_kept, strict=True)
    ]
    after_own = [a - o for a, o in zip(amounts, own, strict=True)]
    goods = [0 if kept else left for left, kept in zip(after_own, money_kept, strict=True)]
    cart_off = cart_discount.off(sum(goods), currency) if cart_discount else 0
    shares = share(cart_off, goods, currency)
    out = []
    by_rate: dict[int, int] = {}
    for (product, quantity), d, o, c, left in zip(lines, discounts, own, shares, after_own, strict=True):
        amount = left - c
        line_tax = tax.line_tax(amount, product.tax_rate_bp, inclusive, currency)
        net, gross = (amount - line_tax, amount) if inclusive else (amount, amount + line_tax)
        out.append(
            LineTotals(
                product.sku,
                product.name,
                quantity,
                product.price,
                product.tax_rate_bp,
                Money(net, currency),
                Money(line_tax, currency),
                Money(gross, currency),
                Money(o, currency) if o else None,
                Money(c, currency) if c else None,
                d.describe() if d and o else None,
            )
        )
        by_rate[product.tax_rate_bp] = by_rate.get(product.tax_rate_bp, 0) + line_tax
    subtotal = sum(line.net.minor for line in out)
    tax_total = sum(line.tax.minor for line in out)
    return Totals(
        currency,
        tuple(out),
        Money(subtotal, currency),
        Money(tax_total, currency),
        Money(subtotal + tax_total, currency),
        tuple((rate, Money(v, currency)) for rate, v in sorted(by_rate.items())),
        Money(cart_off, currency) if cart_off else None,
        cart_discount.describe() if cart_discount and cart_off else None,
    )


@dataclass
class Cart:
    currency: str
    tax_inclusive: bool = True
    lines: list[CartLine] = field(default_factory=list)
    # Bumped on every change, so a sale started from this cart knows if it went stale.
    version: int = 0
    discount: Discount | None = None  # on the whole cart
    # The totals as of a version (and currency and tax mode, set outside the version by the store's
    # terms): a scan asked for them three times, the cart panel, the counter's event and the amount
    # due each computing every line again (issue 27 item 5). Every change bumps the version.
    _totals: tuple[tuple[int, str, bool], Totals] | None = field(default=None, repr=False, compare=False)

    def _line_for(self, sku: str) -> CartLine | None:
        return next((line for line in self.lines if line.product.sku == sku and not line.priced), None)

    def add_priced(self, product: Product, price: Money, measure: Measure | None = None) -> CartLine:
        """A line at a price of its own (a scale label's, an open price typed, a custom amount): a new
        line every time, one of it."""
        if price.currency != self.currency.upper():
            raise CartError(f"{product.name} is priced in {price.currency}, the till in {self.currency}")
        if price.minor <= 0:
            raise CartError("the price must be more than zero")
        line = CartLine(replace(product, price=price), 1, priced=True, measure=measure)
        self.lines.append(line)
        self.version += 1
        return line

    def add(self, product: Product, quantity: int = 1) -> CartLine:
        if product.price.currency != self.currency.upper():
            raise CartError(f"{product.name} is priced in {product.price.currency}, the till in {self.currency}")
        line = self._line_for(product.sku)
        if line is None:
            self._check_quantity(quantity)
            line = CartLine(product, quantity)
            self.lines.append(line)
        else:
            self._check_quantity(line.quantity + quantity)
            line.quantity += quantity
        self.version += 1
        return line

    def set_quantity(self, index: int, quantity: int) -> None:
        if quantity == 0:
            self.remove(index)
            return
        self._check_quantity(quantity)
        self.lines[index].quantity = quantity
        self.version += 1

    def remove(self, index: int) -> None:
        del self.lines[index]
        self.version += 1

    def clear(self) -> None:
        self.lines.clear()
        self.discount = None
        self.version += 1

    @staticmethod
    def _check_quantity(quantity: int) -> None:
        if not 1 <= quantity <= MAX_QUANTITY:
            raise CartError(f"quantity must be between 1 and {MAX_QUANTITY}")

    def is_empty(self) -> bool:
        return not self.lines

    def discount_line(self, index: int, discount: Discount | None) -> None:
        """Give (or, with None, take away) one line's discount."""
        self.lines[index].discount = discount
        self.version += 1

    def discount_cart(self, discount: Discount | None) -> None:
        self.discount = discount
        self.version += 1

    def discounts_snapshot(self) -> tuple[tuple[Discount | None, ...], Discount | None]:
        """The discounts as they are, to put back if a larger one is not approved."""
        return tuple(line.discount for line in self.lines), self.discount

    def restore_discounts(self, snapshot: tuple[tuple[Discount | None, ...], Discount | None]) -> None:
        lines, cart = snapshot
        for line, discount in zip(self.lines, lines, strict=False):  # lines added since keep theirs
            line.discount = discount
        self.discount = cart
        self.version += 1

    def discount_share_bp(self) -> int:
        """Everything taken off as a share of the price before discounts, in basis points."""
        totals = self.totals()
        # Of the goods only: a gift card line (never discounted) would dilute the share under the limit.
        before = sum(line.unit_price.minor * line.quantity for line in totals.lines if not is_gift_card_sku(line.sku))
        return (totals.discount.minor * 10000) // before if before else 0

    def totals(self) -> Totals:
        key = (self.version, self.currency, self.tax_inclusive)
        kept = self._totals
        if kept is not None and kept[0] == key:
            return kept[1]
        totals = self._compute_totals()
        self._totals = (key, totals)
        return totals

    def _compute_totals(self) -> Totals:
        totals = compute_totals(
            [(line.product, line.quantity) for line in self.lines],
            self.currency,
            self.tax_inclusive,
            line_discounts=[line.discount for line in self.lines],
            cart_discount=self.discount,
        )
        if not any(line.measure for line in self.lines):
            return totals
        lines = tuple(replace(t, measure=c.measure) for t, c in zip(totals.lines, self.lines, strict=True))
        return replace(totals, lines=lines)
