"""The till's working state: one cart, and the sale (if any) that is paying for it.

A sale is a snapshot of the cart. If the cart changes after a decline, the old
sale is abandoned (its intent cancelled) and the next payment starts a new
sale, so a changed cart never reuses an idempotency key with new parameters.
"""

from __future__ import annotations

from typing import Callable, Protocol

from pos.domain.cart import Cart, CartError
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.domain.receipt import Receipt

from .checkout import Cancelled, ChargeResult, Checkout, Failed, Paid, Pending
from .sales import SaleRecord


class CatalogLookup(Protocol):
    def get(self, product_id: int) -> Product | None: ...
    def find_code(self, code: str) -> Product | None: ...


class Till:
    def __init__(self, checkout: Checkout, currency: str, tax_inclusive: bool, *, cart: Cart | None = None):
        """`cart`: the counter's cart, carried over when the till is rebuilt (a key change)."""
        self.checkout = checkout
        self.cart = cart if cart is not None else Cart(currency.upper(), tax_inclusive)
        self.apply_store_terms(currency, tax_inclusive)
        self._sale_id: int | None = None
        self._sale_version: int | None = None
        self.paying = False  # a payment is under way; recovery leaves this till's sales alone meanwhile
        self._carry_over: list[tuple[Product, int]] = []  # items still to pay after an earlier receipt

    @property
    def sale_id(self) -> int | None:
        return self._sale_id

    def pay(self, payment_method: str, progress: Callable[[str], None] = lambda _m: None) -> ChargeResult:
        """Charge the cart (runs off the UI thread). Safe to call again after any outcome."""
        self.paying = True
        try:
            return self._pay(payment_method, progress)
        finally:
            self.paying = False

    def _pay(self, payment_method: str, progress: Callable[[str], None]) -> ChargeResult:
        if self._sale_id is not None and self._sale_version != self.cart.version:
            earlier = self.checkout.abandon(self._sale_id, "the cart changed before payment")
            if isinstance(earlier, Pending):
                return earlier  # the earlier payment may still go through: no second one yet
            self._sale_id = None
            if isinstance(earlier, Paid):
                # The earlier cart turned out to be paid after all: show that receipt, never charge twice,
                # and keep what was added since for the next sale.
                self._carry_over = self._beyond(earlier.receipt)
                return Paid(earlier.receipt, earlier=True)
        if self._sale_id is None:
            sale = self.checkout.start_sale(self.cart)
            self._sale_id, self._sale_version = sale.id, self.cart.version
        result = self.checkout.charge(self._sale_id, payment_method, progress)
        if isinstance(result, Cancelled) or (isinstance(result, Failed) and result.sale_closed):
            self._sale_id = None
        return result

    def apply_store_terms(self, currency: str, tax_inclusive: bool) -> None:
        """The store's currency and tax mode, from the next empty cart (a cart being rung up keeps its own)."""
        if self.cart.is_empty():
            self.cart.currency, self.cart.tax_inclusive = currency.upper(), tax_inclusive

    def label_with_receipt(self, receipt: Receipt) -> None:
        """Best effort, after the sale: the receipt number on the paid intent (for the dashboard)."""
        self.checkout.label_with_receipt(receipt)

    def owns(self, sale_id: int) -> bool:
        """Whether this sale is the till's own right now (being paid, or the open sale of the cart)."""
        return self.paying or sale_id == self._sale_id

    def new_sale(self) -> None:
        """After a receipt: no sale, and an empty cart (or the items an earlier receipt did not cover)."""
        carry, self._carry_over = self._carry_over, []
        self.load_cart(carry)

    def _beyond(self, receipt: Receipt) -> list[tuple[Product, int]]:
        """The cart's items less what the receipt already paid for (by SKU and quantity)."""
        paid: dict[str, int] = {}
        for printed in receipt.lines:
            paid[printed.sku] = paid.get(printed.sku, 0) + printed.quantity
        left = []
        for line in self.cart.lines:
            quantity = line.quantity - paid.pop(line.product.sku, 0)
            if quantity > 0:
                left.append((line.product, quantity))
        return left

    # -- parked sales ---------------------------------------------------------------
    def parked_sales(self) -> list[SaleRecord]:
        return self.checkout.journal.parked_sales()

    def unfinished_sales(self) -> list[SaleRecord]:
        return self.checkout.journal.unfinished_sales()

    def resume(self, sale_id: int, catalog: CatalogLookup) -> list[str]:
        """Put a parked sale's items back in the cart; returns what could not be (no longer sold)."""
        items, missing = [], []
        for product_id, sku, quantity in self.checkout.journal.sale_lines(sale_id):
            product = catalog.get(product_id) if product_id else None
            product = product or catalog.find_code(sku)
            if product is None or not product.active:
                missing.append(sku)
            else:
                items.append((product, quantity))
        problems = self.load_cart(items) + [f"{sku}: no longer sold" for sku in missing]
        parked = self.checkout.journal.sale(sale_id)
        if self.cart.totals().total.minor != parked.total_minor:
            # Discounts are not carried over, and prices may have changed since it was parked.
            was = Money(parked.total_minor, parked.currency)
            problems.append(f"The parked sale came to {was}; discounts or prices differ now, so check the cart.")
        self.checkout.journal.resume_parked(sale_id)
        return problems

    def load_cart(self, items: list[tuple[Product, int]]) -> list[str]:
        """Replace the cart with these items; returns what could not be added."""
        self.cart.clear()
        self._sale_id = None
        problems = []
        for product, quantity in items:
            try:
                self.cart.add(product, quantity)
            except CartError as exc:
                problems.append(f"{product.name}: {exc}")
        return problems
