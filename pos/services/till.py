"""The till's working state: one cart, and the sale (if any) that is paying for it.

A sale is a snapshot of the cart. If the cart changes after a decline, the old
sale is abandoned (its intent cancelled) and the next payment starts a new
sale, so a changed cart never reuses an idempotency key with new parameters.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Callable, Protocol

from pos.domain.cart import Cart, CartError
from pos.domain.cash import CashError, rounding_step
from pos.domain.catalog import Product, is_gift_card_line
from pos.domain.money import Money
from pos.domain.receipt import Receipt
from pos.domain.tender import Tender

from .checkout import Cancelled, ChargeResult, Checkout, Failed, OnReader, Paid, PartPaid, Pending, VoidResult
from .giftcards import GiftCardError
from .tenders.gift_card import Checked
from .requests import ProcessOnReader
from .sales import SaleRecord, SaleStanding, StorageError, VoidNote
from .states import SaleState

# A tender that starts the sale with it (cash: one transaction): the sale's id (None: nothing written)
# and what the tender did.
FirstTender = Callable[[Cart], tuple[int | None, ChargeResult]]


class CatalogLookup(Protocol):
    def get(self, product_id: int) -> Product | None: ...
    def find_code(self, code: str) -> Product | None: ...


class Till:
    def __init__(
        self,
        checkout: Checkout,
        currency: str,
        tax_inclusive: bool,
        *,
        cart: Cart | None = None,
        cash_rounding: str = "",
    ):
        """`cart`: the counter's cart, carried over when the till is rebuilt (a key change)."""
        self.checkout = checkout
        self.cart = cart if cart is not None else Cart(currency.upper(), tax_inclusive)
        self.cash_rounding = cash_rounding
        self.apply_store_terms(currency, tax_inclusive, cash_rounding)
        self._sale_id: int | None = None
        self._sale_version: int | None = None
        self.paying = False  # a payment is under way; recovery leaves this till's sales alone meanwhile
        self._carry_over: list[tuple[Product, int]] = []  # items still to pay after an earlier receipt
        self.activation_messages: list[str] = []  # gift cards the last receipt sold that wait for their ledger

    @property
    def sale_id(self) -> int | None:
        return self._sale_id

    def pay(
        self, payment_method: str | ProcessOnReader, progress: Callable[[str], None] = lambda _m: None
    ) -> ChargeResult:
        """Charge the cart (runs off the UI thread). Safe to call again after any outcome."""
        self.paying = True
        try:
            return self._pay(payment_method, progress)
        finally:
            self.paying = False

    def pay_on_reader(
        self,
        amount: Money,
        reader_id: str,
        progress: Callable[[str], None] = lambda _m: None,
        stop: threading.Event | None = None,
        tipping: bool = False,
    ) -> ChargeResult:
        """Hand `amount` (all that is due, or a part) to the card reader and wait for the customer
        (who may add a tip on it when `tipping`, a store setting).

        Runs off the UI thread. No webhook reaches a desktop till, so it asks Stripe with backoff
        (0.25 s growing to 1 s) until the customer has paid, declined or cancelled; setting `stop`
        cancels the reader's wait (a tap that beat it still pays, and then this returns Paid)."""
        stop = stop or threading.Event()
        reader = ProcessOnReader(reader_id, tipping)
        self.paying = True
        try:
            result = self.pay_card(amount, reader, progress)
            delay = 0.25
            while isinstance(result, OnReader):
                progress(result.message)
                stopping = stop.wait(delay)
                result = self._reader_again(amount, reader, progress, stopping)
                delay = min(delay * 1.5, 1.0)  # a tap shows within a second; ~2 GETs a second at most
            return result
        finally:
            self.paying = False

    def _reader_again(
        self, amount: Money, reader: ProcessOnReader, progress: Callable[[str], None], stopping: bool
    ) -> ChargeResult:
        if self._sale_id is None:
            return Failed("The sale was closed while the reader waited. Nothing more was charged.")
        sale_id = self._sale_id
        if _split(self.checkout.sale(sale_id)):
            return self._after(self.checkout.charge_part(sale_id, amount, reader, progress, watch=True, stop=stopping))
        return self._after(self.checkout.charge(sale_id, reader, progress, watch=True, stop=stopping))

    def _pay(self, payment_method: str | ProcessOnReader, progress: Callable[[str], None]) -> ChargeResult:
        ready = self._sale_for(self.cart, on_reader=isinstance(payment_method, ProcessOnReader))
        if not isinstance(ready, SaleStanding):
            return ready
        assert self._sale_id is not None
        if _split(ready.sale):  # being paid in parts: a card for what is left is one more part
            return self._after(self.checkout.charge_part(self._sale_id, ready.due, payment_method, progress))
        result = self.checkout.charge(self._sale_id, payment_method, progress)
        if isinstance(result, Cancelled):
            self._sale_id = None
        return self._after(result)

    def apply_store_terms(self, currency: str, tax_inclusive: bool, cash_rounding: str = "") -> None:
        """The store's currency, tax mode and cash rounding, from the next empty cart (a cart being rung
        up keeps its own)."""
        self.cash_rounding = cash_rounding
        if self.cart.is_empty():
            self.cart.currency, self.cart.tax_inclusive = currency.upper(), tax_inclusive

    # -- paying in parts: cash and card parts -------------------------------------------
    @property
    def rounding_step(self) -> int:
        """The cash rounding in minor units of the cart's currency (1: none)."""
        try:
            return rounding_step(self.cash_rounding, self.cart.currency)
        except CashError:
            return 1  # the settings refuse such a choice; an older one is read as no rounding

    def standing(self) -> SaleStanding | None:
        """The open sale as it stands (one read of its row and parts), or None with no sale."""
        return None if self._sale_id is None else self.checkout.standing(self._sale_id)

    def total(self) -> Money:
        """The sale's total: as journaled once paying began (a restored sale's cart may differ), else the cart's."""
        if self._sale_id is not None and self._sale_version == self.cart.version:
            sale = self.checkout.sale(self._sale_id)
            return Money(sale.total_minor, sale.currency)
        return self.cart.totals().total

    def amount_due(self) -> Money:
        """What the customer still owes: the cart's total, less what tenders already paid of its sale."""
        return self._due(self.standing())

    def _due(self, standing: SaleStanding | None) -> Money:
        # Items added while a card part's answer was out, the part then found paid: the sale owes its
        # rest too (its items cannot change; tenders are refused until the cart is the sale's).
        if standing is not None and (self._sale_version == self.cart.version or standing.tenders):
            return standing.due
        return self.cart.totals().total

    def tenders(self) -> tuple[Tender, ...]:
        """The parts paid so far of the sale being paid."""
        standing = self.standing()
        return () if standing is None else standing.tenders

    @property
    def part_paid(self) -> bool:
        """Part of the cart's sale is paid: the cart cannot change any more, only be paid or voided."""
        return bool(self.tenders())

    def pay_cash(self, tendered: Money) -> ChargeResult:
        """Cash handed over: settles the sale with change, or pays part of it."""

        def first(cart: Cart) -> tuple[int | None, ChargeResult]:
            # No sale yet: it starts with its cash, in one transaction.
            return self.checkout.start_cash_sale(cart, tendered, self.rounding_step)

        return self._tender(lambda sale_id: self.checkout.take_cash(sale_id, tendered, self.rounding_step), first)

    def pay_gift_card(self, code: str, asked: Money | None = None) -> ChargeResult:
        """A gift card (code typed or scanned) for the smaller of its balance and what is due, or `asked`."""
        if any(is_gift_card_line(line.product) for line in self.cart.lines):
            # A card bought with a card (or with store credit) would turn one into the other, or credit into
            # money the customer walks off with on a new card: the card lines are paid in cash or by card.
            return Failed(
                "A gift card cannot be bought with a gift card or store credit: take cash or a card for it. "
                "Nothing was taken from the card."
            )
        return self._tender(lambda sale_id: self.checkout.redeem_gift_card(sale_id, code, asked))

    def pay_card(
        self, amount: Money, payment_method: str | ProcessOnReader, progress: Callable[[str], None] = lambda _m: None
    ) -> ChargeResult:
        """A card for the whole amount due (the one-card sale) or for part of it (its own PaymentIntent)."""
        standing = self.standing()  # the sale's row, read once for this Pay
        one_card = standing is None or not (standing.tenders or _split(standing.sale))
        if amount == self._due(standing) and one_card:
            return self.pay(payment_method, progress)
        return self._tender(lambda sale_id: self.checkout.charge_part(sale_id, amount, payment_method, progress))

    def _tender(
        self,
        take: Callable[[int], ChargeResult],
        first: Callable[[Cart], tuple[int | None, ChargeResult]] | None = None,
    ) -> ChargeResult:
        """One tender for the cart's sale (started now if there is none yet, or by `first` with its tender)."""
        self.paying = True
        try:
            ready = self._sale_for(self.cart, first=first)
            if not isinstance(ready, SaleStanding):
                return ready
            assert self._sale_id is not None
            return self._after(take(self._sale_id))
        finally:
            self.paying = False

    def void_sale(self, reason: str = "voided by the cashier", record: VoidNote | None = None) -> VoidResult:
        """Give back every paid part (card parts through Stripe) and close the sale; the cart stays.
        `record`: the void's record, written in the transaction that closes the sale."""
        if self._sale_id is None:
            return VoidResult(True, "Nothing was paid.")
        self.paying = True
        try:
            result = self.checkout.void(self._sale_id, reason, record)
        finally:
            self.paying = False
        if isinstance(result.result, Paid):
            # The sale turned out paid (a lost answer went through): its receipt issues the gift cards
            # it sold, as any receipt does (the model test found one left owed).
            self._after(result.result)
        if result.voided:
            self._sale_id = None
        return result

    def _sale_for(
        self,
        cart: Cart,
        on_reader: bool = False,
        first: FirstTender | None = None,
    ) -> ChargeResult | SaleStanding:
        """The sale paying for the cart as it is now, as it stands: the open one, or a new one (else
        what stops the payment).

        A one-card sale's intent is for a reader or for a named payment method: paying the other way
        cancels it and starts a new sale (a sale paid in parts gives each card part its own intent)."""
        standing = self.standing()  # the one read of the sale's row for this payment
        if standing is not None and self._sale_version == cart.version:
            sale = standing.sale
            if sale.create.on_reader != on_reader and sale.state is not SaleState.SPLIT and not standing.tenders:
                self._sale_version = None  # settled below like a changed cart
        if standing is not None and self._sale_version != cart.version:
            if standing.tenders:
                return Failed(
                    "Part of this sale is paid already, so its items cannot change. Take the rest, or void "
                    "the sale to start again."
                )
            earlier = self.checkout.abandon(standing.sale.id, "the cart changed or is paid another way")
            if isinstance(earlier, Pending):
                return earlier  # the earlier payment may still go through: no second one yet
            if isinstance(earlier, PartPaid):
                # A card part whose answer was lost went through: it is recorded now, so the sale
                # keeps its items like any sale paid in part.
                return Failed(
                    f"A card part of {earlier.tender.amount} for this sale went through after all and is "
                    f"recorded; {earlier.due} is still to pay. Its items cannot change: take the rest, or "
                    "void the sale to start again."
                )
            self._sale_id = None
            if isinstance(earlier, Paid):
                # The earlier cart turned out to be paid after all: show that receipt, never charge twice,
                # and keep what was added since for the next sale.
                self._carry_over = self._beyond(earlier.receipt)
                # Its receipt is written now, so the gift cards it sold are owed now: issued as any
                # receipt's are (this Paid returns before the payment that found it reaches `_after`).
                return self._after(Paid(earlier.receipt, earlier=True))
            standing = None
        if standing is None and first is not None:
            sale_id, result = first(cart)  # CheckoutError: nothing was taken
            if sale_id is not None:
                self._sale_id, self._sale_version = sale_id, cart.version
            return self._after(result)
        if standing is None:
            sale = self.checkout.start_sale(cart, on_reader)  # CheckoutError: nothing was charged
            self._sale_id, self._sale_version = sale.id, cart.version
            standing = SaleStanding(sale, (), Money(sale.total_minor, sale.currency))
        return standing

    def _after(self, result: ChargeResult) -> ChargeResult:
        if isinstance(result, Failed) and result.sale_closed:
            self._sale_id = None
        if isinstance(result, Paid) and self.checkout.gift_cards is not None:
            # The cards this sale sold are owed from its receipt on; issued now (or by recovery, once).
            self.activation_messages = self.checkout.gift_cards.activate_after(result.receipt)
            # Each card sold is stamped with its expiry day as it is issued (just now): the receipt
            # shown and printed says until when it is valid.
            return replace(result, receipt=self.checkout.gift_cards.with_expiry(result.receipt))
        return result

    def check_gift_card(self, code: str, due: Money) -> Checked:
        """What the card holds and would pay of `due`; GiftCardError (cashier's words) if it cannot be used."""
        gift = self.checkout.gift_cards
        if gift is None:
            raise GiftCardError("This till takes no gift cards.")
        return gift.check(code, due)

    def sell_gift_card(self, amount: Money, code: str = "") -> None:
        """A line selling a new gift card holding `amount` (or, with `code`, reloading that card);
        GiftCardError (cashier's words) if it cannot be sold."""
        gift = self.checkout.gift_cards
        if gift is None:
            raise GiftCardError("This till sells no gift cards.")
        line = gift.reload_line(code, amount) if code else gift.sell_line(amount)
        try:
            self.cart.add(line, 1)
        except CartError as exc:
            raise GiftCardError(str(exc)) from None

    def restore_split_sale(self, catalog: CatalogLookup) -> str | None:
        """After a restart: a sale this till was paying in parts comes back to the counter, owing the rest.

        Only onto an idle till (empty cart, no sale). Returns what to tell the cashier, or None.
        """
        if self._sale_id is not None or not self.cart.is_empty():
            return None
        try:
            open_sales = self.checkout.reopenable()
        except StorageError:
            return None
        for standing in reversed(open_sales):
            sale, due = standing.sale, standing.due
            self._load_lines(sale.id, catalog)
            self._sale_id, self._sale_version = sale.id, self.cart.version
            paid = sum((t.amount for t in standing.tenders), Money(0, sale.currency))
            if sale.state is SaleState.VOIDING:
                return f"A sale being voided was reopened ({paid} paid): void it again to give the paid parts back."
            return f"A sale paid in part was reopened: {paid} paid, {due} still to pay. Take the rest, or void it."
        return None

    def label_with_receipt(self, receipt: Receipt) -> None:
        """Best effort, after the sale: the receipt number on the paid intent (for the dashboard)."""
        self.checkout.label_with_receipt(receipt)

    def owns(self, sale_id: int) -> bool:
        """Whether this sale is the till's own right now (being paid, the open sale of the cart, or a
        card part of it between two tenders)."""
        if self.paying or sale_id == self._sale_id:
            return True
        return self._sale_id is not None and self.checkout.sale(sale_id).order_id == self._sale_id

    def keeps_from_recovery(self, sale_id: int) -> bool:
        """Whether card recovery leaves this sale alone now: the till's own, except a card part of its
        open sale that an earlier run began and left `started` (its held confirm may have gone out before
        a crash). While no payment is under way recovery settles that part as it settles any sale a gone
        process left, so the rest can be paid in cash (hostile pass g1: cash was refused until a card
        Pay or a void settled it)."""
        if not self.owns(sale_id):
            return False
        if self.paying or sale_id == self._sale_id:
            return True
        return self.checkout.started_here(sale_id)

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
        return self.checkout.parked_sales()

    def unfinished_sales(self) -> list[SaleRecord]:
        return self.checkout.unfinished_sales()

    def resume(self, sale_id: int, catalog: CatalogLookup) -> list[str]:
        """Put a parked sale's items back in the cart; returns what could not be (no longer sold)."""
        problems = self._load_lines(sale_id, catalog)
        parked = self.checkout.sale(sale_id)
        if self.cart.totals().total.minor != parked.total_minor:
            # Discounts are not carried over, and prices may have changed since it was parked.
            was = Money(parked.total_minor, parked.currency)
            problems.append(f"The parked sale came to {was}; discounts or prices differ now, so check the cart.")
        self.checkout.resume_parked(sale_id)
        return problems

    def _load_lines(self, sale_id: int, catalog: CatalogLookup) -> list[str]:
        items, missing = [], []
        for product_id, sku, quantity in self.checkout.sale_lines(sale_id):
            product = catalog.get(product_id) if product_id else None
            product = product or catalog.find_code(sku)
            if product is None or not product.active:
                missing.append(sku)
            else:
                items.append((product, quantity))
        return self.load_cart(items) + [f"{sku}: no longer sold" for sku in missing]

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


def _split(sale: SaleRecord) -> bool:
    """Being paid in parts (a card for what is left is one more part). A sale being voided takes no
    payment: its tenders refuse it (Checkout._ready_for_parts)."""
    return sale.state in (SaleState.SPLIT, SaleState.VOIDING)
