"""The counter: one Qt-free service for the sale being rung up and paid.

It owns the cart, the open sale, its tenders and the approvals asked for it (a discount above the
store's limit, a void after Pay), and after every change it tells its subscribers what changed
(counter_events.py): the main window, the payment dialog and any later display redraw from those
events; none of them writes a record or checks a business rule. The steps that used to live in the
window live here: a void's record in the void's own transaction, a half-paid sale restored after
recovery, the discount limit, the receipt printed with the drawer opened first for cash.

`Till` (till.py) stays the sale's engine (one sale per cart version, exactly-once payments); the
counter wraps it, so a key change that rebuilds the till keeps the counter and its subscribers.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any, Callable, Iterator

from pos.domain.cart import Cart
from pos.domain.catalog import Product
from pos.domain.discounts import Discount
from pos.domain.money import Money
from pos.domain.receipt import Receipt
from pos.domain.staff import Permission
from pos.domain.tender import Tender, TenderKind

from .checkout import ChargeResult, CheckoutError, VoidResult
from .counter_events import (
    CartChanged,
    CounterEvent,
    Paid as PaidEvent,
    PartPaid as PartPaidEvent,
    ReceiptChosen,
    Resumed,
    SignedIn,
    SignedOut,
    Subscriber,
    Voided,
)
from .exchanges import ExchangeResult, exchange
from .outcomes import Paid, PartPaid
from .receipt_choice import ReceiptChoice, jobs_when_chosen, jobs_when_paid, run_jobs
from .requests import ProcessOnReader
from .receipt_printing import NotPrinted, Printing, PrintResult
from .refunds import Refunds
from .sales import SaleRecord, VoidNote
from .settings import StoreSettings
from .settlement import Settled, settle_unfinished
from .staff import Staff, VoidKind
from .tenders.gift_card import Checked
from .till import CatalogLookup, Till

log = logging.getLogger(__name__)

VOID_RECORD_REASON = "sale voided: paid parts given back"


class Counter:
    def __init__(
        self,
        till: Till,
        staff: Staff,
        settings: Callable[[], StoreSettings],
        catalog: CatalogLookup,
        refunds: Refunds | None = None,
    ):
        self._till = till
        self.staff = staff
        self._settings = settings
        self._catalog = catalog
        self._refunds = refunds
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()
        self._void_approved_by = ""  # the manager who approved voiding the open sale, if one had to
        self._taking = 0  # payments running now (on workers): nobody signs out or locks in the middle of one
        # A customer display is showing (the window says so): the customer chooses print or no receipt.
        self.customer_chooses_receipt = False
        self._choosing: Receipt | None = None  # the paid sale whose receipt the customer is choosing for

    # -- subscribers ------------------------------------------------------------------------
    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """`subscriber(event)` after every change, on the thread that made it; returns the unsubscribe."""
        with self._lock:
            self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)

        return unsubscribe

    def emit(self, event: CounterEvent) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber(event)
            except Exception:  # noqa: BLE001 - one broken view never stops the sale or the other views
                log.exception("a counter subscriber failed on %s", type(event).__name__)

    # -- the till underneath --------------------------------------------------------------------
    @property
    def till(self) -> Till:
        return self._till

    def use(self, till: Till, refunds: Refunds | None = None) -> None:
        """A key change rebuilt the sales services around the same cart: follow them."""
        self._till = till
        self._refunds = refunds or self._refunds

    @property
    def cart(self) -> Cart:
        return self._till.cart

    @property
    def sale_id(self) -> int | None:
        return self._till.sale_id

    @property
    def rounding_step(self) -> int:
        return self._till.rounding_step

    @property
    def part_paid(self) -> bool:
        return self._till.part_paid

    def total(self) -> Money:
        return self._till.total()

    def amount_due(self) -> Money:
        return self._till.amount_due()

    def tenders(self) -> tuple[Tender, ...]:
        return self._till.tenders()

    # -- the cart ---------------------------------------------------------------------------------
    def add(self, product: Product, quantity: int = 1) -> None:
        """CartError (for the cashier) when it cannot be added."""
        self._till.cart.add(product, quantity)
        self.cart_changed(f"Added {product.name}.")

    def sell_gift_card(self, amount: Money, code: str = "") -> None:
        """A gift card (a new one, or a reload of `code`) as a cart line; issued when the sale is paid."""
        self._till.sell_gift_card(amount, code)
        self.cart_changed()

    def discount_cart(self, discount: Discount) -> None:
        self._till.cart.discount_cart(discount)
        self.cart_changed()

    def cart_changed(self, why: str = "") -> None:
        """Say the cart changed (a panel that edits its lines calls this after each edit)."""
        totals = self._till.cart.totals()
        if totals.lines:
            with self._lock:
                self._choosing = None  # the next customer is here: no choice made is no receipt
        self.emit(CartChanged(len(self._till.cart.lines), totals.total, why, totals, self._till.cart.tax_inclusive))

    def clear(self) -> None:
        self._till.cart.clear()
        self.cart_changed()

    def apply_store_terms(self) -> None:
        """Saved store settings: the next empty cart takes the currency, tax mode and cash rounding."""
        settings = self._settings()
        self._till.apply_store_terms(settings.currency, settings.tax_inclusive, settings.cash_rounding)
        self.cart_changed()

    # -- approvals --------------------------------------------------------------------------------
    def discount_needs_approval(self) -> str | None:
        """What a manager must approve about the cart's discounts now (above the store's limit, for a
        cashier who may not give that alone), or None."""
        share = self._till.cart.discount_share_bp()
        limit = self._settings().discount_limit_bp
        if share <= limit or not self.staff.needs_approval(Permission.DISCOUNT_ABOVE_LIMIT):
            return None
        return f"a discount of {share / 100:g}% (the limit is {limit / 100:g}%)"

    def refuse_discount(self, before: object) -> None:
        """The discount was not approved: the earlier discounts come back."""
        self._till.cart.restore_discounts(before)  # type: ignore[arg-type]  # the cart's own snapshot
        self.cart_changed("The discount was not approved; the earlier discounts stand.")

    def change_is_a_void(self) -> bool:
        """Removing a line or clearing the cart after Pay was pressed is a void (a reason, recorded,
        a manager's approval when the cashier may not do it alone); before Pay it is just done."""
        return self._till.sale_id is not None

    def record_void(self, kind: VoidKind, amount: Money, reason: str, approved_by: str = "") -> None:
        """A line removed or the cart cleared after Pay: StaffError/StorageError when not recorded."""
        self.staff.record_void(kind, amount, reason, self._till.sale_id, approved_by)

    def approve_void(self, approved_by: str) -> str:
        """Voiding the open sale was approved (by a manager, or "" when the cashier may alone): kept
        for the void's record; returns who approved."""
        self._void_approved_by = approved_by
        return approved_by

    # -- paying (each runs off the UI thread) -------------------------------------------------------
    def pay(
        self, payment_method: str | ProcessOnReader, progress: Callable[[str], None] = lambda _m: None
    ) -> ChargeResult:
        with self._payment():
            result = self._till.pay(payment_method, progress)
        return self._told(result)  # told once the payment has ended

    def pay_card(
        self, amount: Money, payment_method: str | ProcessOnReader, progress: Callable[[str], None] = lambda _m: None
    ) -> ChargeResult:
        with self._payment():
            result = self._till.pay_card(amount, payment_method, progress)
        return self._told(result)  # told once the payment has ended

    def pay_on_reader(self, amount: Money, reader_id: str, *args: Any, **options: Any) -> ChargeResult:
        """`Till.pay_on_reader` (progress, stop, tipping: what the reader asks), told to the subscribers."""
        with self._payment():
            result = self._till.pay_on_reader(amount, reader_id, *args, **options)
        return self._told(result)  # told once the payment has ended

    def pay_cash(self, tendered: Money) -> ChargeResult:
        with self._payment():
            result = self._till.pay_cash(tendered)
        return self._told(result)  # told once the payment has ended

    def pay_gift_card(self, code: str, asked: Money | None = None) -> ChargeResult:
        """Redeem a gift card (or store credit) as a part of the sale: `Till.pay_gift_card`, told."""
        with self._payment():
            result = self._till.pay_gift_card(code, asked)
        return self._told(result)  # told once the payment has ended

    def exchange(self, receipt_id: int, lines: dict[int, int], give_back: bool = True) -> ExchangeResult:
        """Take back lines of a receipt for the goods in the cart, in one sale (services/exchanges.py)."""
        if self._refunds is None:
            return ExchangeResult("This till cannot take goods back.")
        return exchange(self, self._refunds, receipt_id, lines, give_back)

    @property
    def activation_messages(self) -> list[str]:
        """The gift cards the last receipt sold that wait for their ledger (the shop away), in the
        cashier's words: the window says them with the receipt (each is issued at a later receipt or
        start, once)."""
        return list(self._till.activation_messages)

    def check_gift_card(self, code: str, due: Money) -> Checked:
        return self._till.check_gift_card(code, due)

    @contextlib.contextmanager
    def _payment(self) -> Iterator[None]:
        with self._lock:
            self._taking += 1
        try:
            yield
        finally:
            with self._lock:
                self._taking -= 1

    @property
    def taking_payment(self) -> bool:
        """A payment is running (its answer not back yet): the till neither signs out nor locks now."""
        return self._taking > 0

    def _told(self, result: ChargeResult) -> ChargeResult:
        if isinstance(result, PartPaid):
            sale_id = self._till.sale_id
            if sale_id is not None:
                self.emit(PartPaidEvent(sale_id, result.tender, result.due))
        elif isinstance(result, Paid):
            cash = any(t.kind is TenderKind.CASH for t in result.receipt.tenders)
            chooses = self.customer_chooses_receipt
            with self._lock:
                self._choosing = result.receipt if chooses else None
            self.emit(PaidEvent(result.receipt, cash, jobs_when_paid(result.receipt, chooses), chooses))
        return result

    def choose_receipt(self, choice: ReceiptChoice, lapsed: bool = False) -> ReceiptChosen | None:
        """The customer chose on the customer display (or, `lapsed`, nobody chose in time: no
        receipt, so the next customer cannot print this one's): the receipt's jobs, told to every
        subscriber (the cashier's window prints, the display thanks). None when no receipt waits
        for a choice (already chosen, or the next sale began)."""
        with self._lock:
            receipt, self._choosing = self._choosing, None
        if receipt is None:
            return None
        if lapsed:
            choice = ReceiptChoice.NONE
        chosen = ReceiptChosen(receipt, choice, jobs_when_chosen(choice), lapsed)
        self.emit(chosen)
        return chosen

    def void_sale(self, reason: str = "voided by the cashier") -> VoidResult:
        """Give back every paid part and close the sale, its void recorded in the same transaction."""
        sale_id, total = self._till.sale_id, self._till.total()
        record = VoidNote(total, VOID_RECORD_REASON, self._void_approved_by)
        result = self._till.void_sale(reason, record)
        if result.voided:
            self._void_approved_by = ""
            if sale_id is not None:
                self.emit(Voided(sale_id, result.message, result.cash))
        elif isinstance(result.result, Paid):
            self._told(result.result)  # the card had gone through: its receipt is written
        return result

    def new_sale(self) -> None:
        """After a receipt: an empty cart (or the items an earlier receipt did not cover), the store's
        terms as saved meanwhile."""
        self._till.new_sale()
        self._void_approved_by = ""
        self.apply_store_terms()

    def label_with_receipt(self, receipt: Receipt) -> None:
        self._till.label_with_receipt(receipt)

    # -- parked sales and recovery ---------------------------------------------------------------
    def parked_sales(self) -> list[SaleRecord]:
        return self._till.parked_sales()

    def resume(self, sale_id: int) -> Resumed:
        problems = self._till.resume(sale_id, self._catalog)
        resumed = Resumed(
            sale_id,
            f"Resumed sale {sale_id}." + (" Not added: " + "; ".join(problems) if problems else ""),
            tuple(problems),
        )
        self.emit(resumed)
        self.cart_changed()
        return resumed

    def recover(self) -> Settled:
        """Settle what a crash or a lost answer left (on a worker): the same as `pos recover`."""
        if self._refunds is None:
            raise LookupError("this counter has no refunds service to recover with")
        return settle_unfinished(self._till, self._refunds)

    def restore_split_sale(self) -> str | None:
        """After recovery, on an idle counter: a sale this till was paying in parts when it stopped
        comes back, owing the rest. Returns what to tell the cashier, or None."""
        restored = self._till.restore_split_sale(self._catalog)
        if restored:
            self.emit(Resumed(self._till.sale_id, restored))
            self.cart_changed()
        return restored

    # -- who is at the till --------------------------------------------------------------------
    def signed_in(self) -> None:
        current = self.staff.current
        if current is not None:
            self.emit(SignedIn(current.name, str(current.role)))

    def sign_out(self, locked: bool = False) -> None:
        """CheckoutError while a payment is being taken: whoever started it sees it through."""
        if self.taking_payment:
            raise CheckoutError("A payment is being taken: finish it before signing out.")
        current = self.staff.current
        self.staff.sign_out()
        if current is not None:
            self.emit(SignedOut(current.name, locked))


def print_sale(printing: Printing, receipt: Receipt) -> PrintResult:
    """The receipt on the printer (on a worker). A sale paid (partly) in cash opens the drawer first,
    through the same printer, in the same job: the drawer-before-print rule (receipt_choice.py)."""
    result = run_jobs(printing, receipt, jobs_when_paid(receipt, customer_chooses=False))
    return result or NotPrinted("Nothing was printed.")  # never: the receipt is always a job here
