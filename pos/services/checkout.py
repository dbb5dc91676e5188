"""Checkout: take a cart to a paid, numbered receipt through a PaymentIntent, exactly once.

Starting a sale journals the cart and the request to create its intent before
any Stripe call; charging and abandoning run the sale's phases
(`sale_phases.py`) through the one driver (`phases.settle`), the same code
recovery runs after a crash. An answer that never arrived is never guessed: the
intent is looked up first.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
import uuid
from collections import defaultdict
from typing import Callable

from pos.domain.card_amounts import card_problem, part_problem
from pos.domain.cart import Cart
from pos.domain.cash import CashError, take_cash
from pos.domain.errors import PosError
from pos.domain.money import Money
from pos.domain.receipt import Receipt
from pos.domain.tender import TenderKind

from . import sales
from .crashpoints import crash_point
from .gateway import GatewayError, PaymentGateway
from .giftcards import GiftCardError
from .outcomes import Cancelled, ChargeResult, Closed, Declined, Failed, OnReader, Paid, PartPaid, Pending
from .phases import settle
from .requests import ConfirmIntent, CreateIntent, LabelIntent, PaymentRequest, ProcessOnReader
from .sale_phases import NOT_CHARGED, Goal, SalePhases, charged_for, gateway_message
from .sales import Journal, SaleChanged, SaleRecord, SaleStanding, StorageError, VoidNote
from .states import SaleState
from .tenders.gift_card import GiftCardPayments

__all__ = [
    "Cancelled",
    "ChargeResult",
    "Checkout",
    "CheckoutError",
    "Declined",
    "Failed",
    "OnReader",
    "Paid",
    "PartPaid",
    "Pending",
    "VoidResult",
]

log = logging.getLogger(__name__)


class CheckoutError(PosError):
    """A sale could not be started; the message is for the cashier."""


@dataclass(frozen=True)
class VoidResult:
    voided: bool
    message: str  # for the cashier: what went back to which card, the cash to hand back
    result: ChargeResult | None = None  # what stopped it, when it was not voided
    cash: Money | None = None  # the cash to hand back (the drawer opens for it)


class Checkout:
    def __init__(
        self,
        journal: Journal,
        gateway: PaymentGateway,
        till_id: Callable[[], str],
        gift_cards: GiftCardPayments | None = None,
    ):
        self.journal = journal
        self.gateway = gateway
        self.gift_cards = gift_cards  # None: a till wired without gift cards (the tests' bare Checkout)
        self._till_id = till_id  # asked at each new sale: the store's till id can change after a Z
        self._locks: dict[int, threading.Lock] = defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()

    def current_till_id(self) -> str:
        return self._till_id()

    # -- what the till reads of its sales (the journal stays the checkout's own) -------------
    def standing(self, sale_id: int) -> SaleStanding:
        """The sale's row, its paid parts and what it owes, in one read."""
        return self.journal.standing(sale_id)

    def sale(self, sale_id: int) -> SaleRecord:
        return self.journal.sale(sale_id)

    def reopenable(self) -> list[SaleStanding]:
        """This till's sales left paid in part or being voided (a restart between two tenders), newest
        last; a start with nothing paid and no card part out is left as it is."""
        kept = []
        for sale in self.journal.split_sales(self.current_till_id()):
            standing = self.journal.standing(sale.id)
            if standing.tenders or self.journal.unfinished_part(sale.id) is not None:
                kept.append(standing)
        return kept

    def sale_lines(self, sale_id: int) -> list[tuple[int | None, str, int]]:
        return self.journal.sale_lines(sale_id)

    def parked_sales(self) -> list[SaleRecord]:
        return self.journal.parked_sales()

    def unfinished_sales(self) -> list[SaleRecord]:
        return self.journal.unfinished_sales()

    def resume_parked(self, sale_id: int) -> None:
        self.journal.resume_parked(sale_id)

    def started_here(self, sale_id: int) -> bool:
        """This run began the sale (or card part): on disk, `started` then means no confirm went out."""
        return self.journal.started_here(sale_id)

    def payment_lock(self, sale_id: int) -> threading.Lock:
        """The lock a payment on this sale holds: a card part's is its sale's (charge_part settles an
        earlier part under it), so recovery settling a part never overlaps a payment of the rest."""
        order = self.journal.sale(sale_id).order_id
        return self.sale_lock(order if order is not None else sale_id)

    def sale_lock(self, sale_id: int) -> threading.Lock:
        """Held while a sale is being charged; recovery takes it too, so the two never overlap."""
        with self._locks_guard:
            return self._locks[sale_id]

    # -- starting --------------------------------------------------------------
    def start_sale(self, cart: Cart, on_reader: bool = False) -> SaleRecord:
        """Record the sale (cart snapshot, amount, the request that creates its intent) before any Stripe call.

        `on_reader`: its intent is paid on a card reader (card_present), not with a named payment method."""
        if cart.is_empty():
            raise CheckoutError("The cart is empty.")
        totals = cart.totals()
        if totals.total.minor < 0:
            raise CheckoutError("The total cannot be less than zero.")
        # A sale of 0.00 (a 100 % discount) starts too: it ends as a receipt through take_cash.
        create = CreateIntent(totals.total, uuid.uuid4().hex, self._till_id(), on_reader)
        try:
            sale = self.journal.begin_sale(totals, cart.tax_inclusive, create, [line.product.id for line in cart.lines])
            crash_point("after_sale_recorded")
            return sale
        except StorageError as exc:
            raise CheckoutError(f"{exc} {NOT_CHARGED}") from exc

    def start_cash_sale(self, cart: Cart, tendered: Money, rounding_step: int) -> tuple[int | None, ChargeResult]:
        """A sale paid in cash from the start: the sale, its cash tender and (when the cash settles it) its
        receipt in one transaction (issue 27 item 1: one commit, where starting it first cost two more).
        Returns the sale's id (None when nothing was written) and what the cash did."""
        if cart.is_empty():
            raise CheckoutError("The cart is empty.")
        totals = cart.totals()
        if totals.total.minor < 0:
            raise CheckoutError("The total cannot be less than zero.")
        try:
            payment = take_cash(totals.total, tendered, rounding_step)
        except CashError as exc:
            return None, Failed(str(exc))
        problem = None if payment.settles else part_problem(payment.due, payment.applied)
        if problem:
            return None, Failed(f"{problem} The cash was not taken.")
        create = CreateIntent(totals.total, uuid.uuid4().hex, self._till_id(), False)
        try:
            sale, result = self.journal.begin_cash_sale(
                totals, cart.tax_inclusive, create, [line.product.id for line in cart.lines], payment
            )
        except StorageError as exc:
            return None, Failed(f"{exc} The cash was not recorded: give it back or try again.")
        crash_point("after_cash_recorded")
        return sale.id, result

    # -- charging --------------------------------------------------------------
    def charge(
        self,
        sale_id: int,
        payment_method: str | ProcessOnReader,
        progress: Callable[[str], None] = lambda _m: None,
        *,
        watch: bool = False,
        stop: bool = False,
    ) -> ChargeResult:
        """Charge the sale's total to a payment method, or hand it to a card reader. Safe to call again.

        On a reader the result is `OnReader` while the customer has not paid yet: `watch` asks again
        (nothing is sent anew), `stop` cancels the reader's wait (a tap that beat it still pays)."""
        with self.sale_lock(sale_id):
            try:
                sale = self.journal.sale(sale_id)
                too_small = card_problem(Money(sale.total_minor, sale.currency))
                if sale.state is SaleState.STARTED and too_small:
                    # Checked before Stripe hears of it: no intent to cancel; closed as Stripe's refusal would.
                    self.journal.close_sale(sale_id, SaleState.ABANDONED, too_small)
                    return Failed(f"{too_small} {NOT_CHARGED}", sale_closed=True)
                phases = SalePhases(
                    self.journal,
                    self.gateway,
                    Goal.CHARGE,
                    confirm=_request(payment_method),
                    progress=progress,
                    watch=watch,
                    stop=stop,
                )
                result = settle(phases, sale)
                self.journal.flush()  # what the phases held and no answer wrote (on a reader, say)
            except StorageError as exc:
                return self._storage_failed(sale_id, exc)
            except Exception as exc:  # noqa: BLE001 - the cashier must learn whether money moved, whatever broke
                log.exception("unexpected failure while charging sale %s", sale_id)
                return self._storage_failed(sale_id, exc, unexpected=True)
            if isinstance(result, Closed):  # not reached when charging: the phases say why in a Failed
                return Failed(f"This sale was closed ({result.note}). {NOT_CHARGED}", sale_closed=True)
            return result

    def label_with_receipt(self, receipt: Receipt) -> None:
        """Add the receipt number to each paid intent's metadata, so Stripe's dashboard shows it.

        Best effort and after the fact: the sale is complete without it, so a failure is only logged.
        """
        for tender in receipt.card_payments:
            if tender.payment_intent is None:
                continue
            sale = self.journal.sale_for_intent(tender.payment_intent)
            if sale is None:
                continue
            try:
                self.gateway.label_payment_intent(
                    tender.payment_intent, LabelIntent(receipt.number_text), sales.receipt_label_key(sale.sale_key)
                )
            except GatewayError as exc:
                log.warning("could not add receipt %s to %s: %s", receipt.number_text, tender.payment_intent, exc)

    # -- paying in parts: cash, and card parts --------------------------------------------
    def take_cash(self, sale_id: int, tendered: Money, rounding_step: int) -> ChargeResult:
        """Cash for the sale: it settles the sale (with change) or pays part of it. Nothing goes to Stripe,
        but a card payment begun for this sale is settled first, so cash never pays what a card did."""
        with self.sale_lock(sale_id):
            try:
                ready = self._ready_for_parts(sale_id)
                if ready is not None:
                    return ready
                payment = take_cash(self.journal.due(sale_id), tendered, rounding_step)
                problem = None if payment.settles else part_problem(payment.due, payment.applied)
                if problem:
                    return Failed(f"{problem} The cash was not taken.")
                result = self.journal.take_cash(sale_id, payment)
                crash_point("after_cash_recorded")
                return result
            except (CashError, SaleChanged) as exc:
                return Failed(str(exc))
            except StorageError as exc:
                return Failed(f"{exc} The cash was not recorded: give it back or try again.")

    def charge_part(
        self,
        sale_id: int,
        amount: Money,
        payment_method: str | ProcessOnReader,
        progress: Callable[[str], None] = lambda _m: None,
        *,
        watch: bool = False,
        stop: bool = False,
    ) -> ChargeResult:
        """Charge part of the sale to a card: its own PaymentIntent, keys and phases (a card part)."""
        request = _request(payment_method)
        on_reader = isinstance(request, ProcessOnReader)
        with self.sale_lock(sale_id):
            try:
                ready = self._ready_for_parts(sale_id)
                if ready is not None:
                    return ready
                if not (watch or stop):
                    # Before any part is taken: an amount Stripe would refuse, or one that would leave
                    # a rest no card can pay, is refused here with what would work.
                    due = self.journal.due(sale_id)
                    problem = card_problem(amount) or (part_problem(due, amount) if amount <= due else None)
                    if problem:
                        return Failed(f"{problem} {NOT_CHARGED}")
                part = self.journal.unfinished_part(sale_id)
                if (watch or stop) and part is None:
                    return Declined(f"Nothing is waiting on the card reader. {NOT_CHARGED}", "not_waiting")
                earlier_run = (
                    part is not None and part.state is SaleState.STARTED and not self.journal.started_here(part.id)
                )
                if part is not None and (
                    part.total_minor != amount.minor or part.create.on_reader != on_reader or earlier_run
                ):
                    # An earlier card part for another amount or paid another way (declined, say): cancel it.
                    # So too a part an earlier run began and left `started`: its held attempt was lost with
                    # that run, so its next attempt would take number 1 again, a key its lost confirm may
                    # have used with another card (hostile pass g1). Looked up, then paid or cancelled.
                    try:
                        left = settle(
                            SalePhases(self.journal, self.gateway, Goal.ABANDON, reason="another amount"), part
                        )
                    except GatewayError as exc:  # a part an earlier run began is looked up at Stripe first
                        return Failed(
                            f"{gateway_message(exc)} A card part begun before the till restarted may have gone "
                            "through; the till must check it with Stripe first: try again. Nothing more was charged."
                        )
                    if isinstance(left, (Paid, PartPaid, Pending)):
                        return left
                    part = None
                if part is None:
                    create = CreateIntent(amount, uuid.uuid4().hex, self.journal.sale(sale_id).till_id, on_reader)
                    part = self.journal.begin_part(sale_id, create)
                    crash_point("after_part_recorded")
                phases = SalePhases(
                    self.journal,
                    self.gateway,
                    Goal.CHARGE,
                    confirm=request,
                    progress=progress,
                    watch=watch,
                    stop=stop,
                )
                result = settle(phases, part)
                self.journal.flush()  # what the phases held and no answer wrote (on a reader, say)
            except SaleChanged as exc:
                return Failed(str(exc))
            except StorageError as exc:
                return self._storage_failed(sale_id, exc)
            except Exception as exc:  # noqa: BLE001 - the cashier must learn whether money moved, whatever broke
                log.exception("unexpected failure while charging a part of sale %s", sale_id)
                return self._storage_failed(sale_id, exc, unexpected=True)
            if isinstance(result, Closed):
                return Failed(f"This card payment was closed ({result.note}). {NOT_CHARGED}")
            if isinstance(result, Failed) and result.sale_closed:
                # Only the card part's own row closed (Stripe refused it, say): the sale and its paid
                # parts stay, owing what they owed. Never let the till drop them.
                return replace(result, sale_closed=False)
            return result

    def redeem_gift_card(self, sale_id: int, code: str, asked: Money | None = None) -> ChargeResult:
        """A gift card for what is due, or `asked` of it (services/tenders/gift_card.py): the card's ledger
        debited once through the redemption's phases, the sale paid in parts from then on."""
        if self.gift_cards is None:
            return Failed("This till takes no gift cards.")
        with self.sale_lock(sale_id):
            try:
                ready = self._ready_for_parts(sale_id)
                if ready is not None:
                    return ready
                result = self.gift_cards.redeem(sale_id, code, asked)
            except StorageError as exc:
                return Failed(f"{exc} Nothing was taken from the card.")
            if isinstance(result, Closed):
                return Failed(f"{result.note} Take the card again or another tender.")
            return result

    def _ready_for_parts(self, sale_id: int) -> ChargeResult | None:
        """Bring the sale to being paid in parts: its own card payment, if one was begun, is cancelled
        (or turns out paid: then that is the result). None when the sale is ready for a tender."""
        sale = self.journal.sale(sale_id)
        if sale.state is SaleState.SPLIT:
            return None
        if sale.state is SaleState.VOIDING:
            return Failed(
                f"This sale is being voided: press Void sale again to finish giving the paid parts back. {NOT_CHARGED}"
            )
        if sale.state is SaleState.STARTED:
            # No intent id was journaled, so no confirm was sent: nothing was charged to cancel.
            if self.journal.split(sale_id).state is SaleState.SPLIT:
                return None
            sale = self.journal.sale(sale_id)
        if not sale.state.unfinished:
            return Failed(f"This sale was closed ({sale.note or sale.state}). {NOT_CHARGED}", sale_closed=True)
        try:
            result = settle(SalePhases(self.journal, self.gateway, Goal.SPLIT, reason="paid in parts"), sale)
        except GatewayError as exc:
            return Failed(
                f"{gateway_message(exc)} The card payment begun for this sale must be cancelled first; try again."
            )
        if isinstance(result, Closed) and result.state is SaleState.SPLIT:
            return None
        if isinstance(result, Closed):
            return Failed(f"This sale was closed ({result.note}). {NOT_CHARGED}", sale_closed=True)
        return result  # Paid (the card went through after all), Pending, Failed

    def void(self, sale_id: int, reason: str, record: VoidNote | None = None) -> VoidResult:
        """Void a sale paid in part: open card payments cancelled, paid card parts given back through
        Stripe (each exactly once), then the cash is handed back and the sale closed, with the void's
        `record` written in that same transaction (a crash leaves both or neither)."""
        with self.sale_lock(sale_id):
            sale = self.journal.sale(sale_id)
            if sale.state not in (SaleState.SPLIT, SaleState.VOIDING):
                result = self.abandon_locked(sale_id, reason)
                if isinstance(result, (Paid, Pending)):
                    return VoidResult(
                        False, "The card payment went through or may still; it cannot be voided here.", result
                    )
                if record is not None:  # nothing moved: the abandon closed it, the record follows
                    self.journal.record_void(sale_id, record)
                return VoidResult(True, "The sale was voided. Nothing had been paid.")
            if self.gift_cards is not None:
                # A gift card part whose answer was lost: recorded (then given back below) or given up first.
                redeemed = self.gift_cards.settle_open(sale_id)
                if isinstance(redeemed, Failed):
                    return VoidResult(False, f"{redeemed.message} The sale stays open.", redeemed)
            # Journaled first: whatever order the parts' answers come in, none completes the sale now.
            self.journal.begin_void(sale_id)
            returned: list[Money] = []
            for part in self.journal.parts(sale_id):
                if part.state in (SaleState.ABANDONED, SaleState.PARKED, SaleState.RETURNED):
                    continue
                try:
                    given = settle(SalePhases(self.journal, self.gateway, Goal.VOID, reason=reason), part)
                except GatewayError as exc:
                    return VoidResult(False, f"{gateway_message(exc)} The sale stays open; try again.")
                if isinstance(given, (Pending, Failed)):
                    # A card part not settled yet: the sale stays open (and its cash in the drawer) until it is.
                    return VoidResult(False, f"{given.message} The sale stays open.", given)
                if isinstance(given, Closed) and given.state is SaleState.RETURNED:
                    returned.append(charged_for(self.journal, part))
            on_cards: list[Money] = []
            if self.gift_cards is not None:
                try:
                    on_cards = self.gift_cards.give_back(sale_id, reason)
                except GiftCardError as exc:
                    return VoidResult(False, f"{exc} The gift card part was not given back; the sale stays open.")
            cash = sum(
                (t.amount for t in self.journal.tenders(sale_id) if t.kind is TenderKind.CASH), Money(0, sale.currency)
            )
            try:
                self.journal.close_voided(sale_id, f"voided: {reason}", record)
            except SaleChanged as exc:
                return VoidResult(False, str(exc))
            said = [f"{amount} given back to the card" for amount in returned]
            said += [f"{amount} back on the gift card" for amount in on_cards]
            if cash:
                said.append(f"hand back {cash} in cash")
            return VoidResult(True, "The sale was voided" + (": " + "; ".join(said) if said else "") + ".", cash=cash)

    # -- leaving a sale ----------------------------------------------------------
    def abandon(self, sale_id: int, reason: str = "the cart changed") -> ChargeResult | None:
        """Close an unfinished sale, cancelling its intent.

        Returns Paid if it turned out paid, Pending if money may still move (the till must not
        start another payment yet), None when the sale is closed or left to recovery safely.
        """
        with self.sale_lock(sale_id):
            return self.abandon_locked(sale_id, reason)

    def abandon_locked(self, sale_id: int, reason: str) -> ChargeResult | None:
        sale = self.journal.sale(sale_id)
        try:
            # A card part whose answer was lost may have been charged: settle it before the sale is let
            # go, or the till moves on to a new sale and the charged part waits for the next restart.
            if self.gift_cards is not None:
                # A gift card part whose answer was lost may have debited the card: settled the same way.
                redeemed = self.gift_cards.settle_open(sale_id)
                if isinstance(redeemed, (Paid, PartPaid)):
                    return redeemed
                if isinstance(redeemed, Failed):
                    return Pending(f"{redeemed.message} Do NOT let the customer go until the card is checked.")
            part = self.journal.unfinished_part(sale_id)
            if part is not None:
                sale = part
                left = settle(SalePhases(self.journal, self.gateway, Goal.ABANDON, reason=reason), part)
                if isinstance(left, (Paid, PartPaid, Pending)):
                    return left
                sale = self.journal.sale(sale_id)
            result = settle(SalePhases(self.journal, self.gateway, Goal.ABANDON, reason=reason), sale)
        except GatewayError as exc:
            if sale.state in (SaleState.CONFIRM_SENT, SaleState.READER_SENT) or (
                sale.state is SaleState.STARTED and not self.journal.started_here(sale.id)
            ):
                # The last confirm's outcome is unknown (or an earlier run began the sale and its held
                # confirm may have gone out): a new payment now could charge twice.
                return Pending(
                    "Could not reach Stripe to learn whether the previous payment went "
                    "through. Do NOT take another payment until the till can check it."
                )
            # No confirm is in flight, so no money can move; recovery cancels it later.
            log.warning("could not cancel sale %s now: %s", sale_id, exc)
            return None
        return result if isinstance(result, (Paid, Pending)) else None

    def _storage_failed(self, sale_id: int, exc: Exception, unexpected: bool = False) -> ChargeResult:
        try:
            sale: SaleRecord | None = self.journal.sale(sale_id)
        except Exception:  # noqa: BLE001 - even an unreadable journal must yield a cashier's message
            sale = None
        reason = "Something unexpected went wrong in the till (details are in its log)." if unexpected else str(exc)
        if sale is None or self.journal.holding() or sale.state in (SaleState.CONFIRM_SENT, SaleState.READER_SENT):
            # A confirm (or a card on a reader) may be out, or the journal cannot say: assume the money may have moved.
            return Failed(
                f"The payment may have gone through, but the till could not finish it: {reason} "
                "Do NOT charge again. The till checks with Stripe and saves the receipt as soon as "
                "it can.",
                money_may_have_moved=True,
            )
        return Failed(f"{reason} {NOT_CHARGED}")


def _request(payment_method: str | ProcessOnReader) -> PaymentRequest:
    """A payment method's name (a test method such as `pm_card_visa`), or a card reader."""
    return payment_method if isinstance(payment_method, ProcessOnReader) else ConfirmIntent(payment_method)
