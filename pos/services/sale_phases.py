"""A sale's phases: the one place that decides what to do from each recovery point.

Checkout (charge a payment method), recovery (settle what a crash or timeout
left) and a changed cart (abandon the earlier sale) all run these phases
through `phases.settle`; they differ only in their `Goal`, which picks a column
of the table below when the intent is not (or not yet) paid.

    recovery point   CHARGE                          PARK (recovery)        ABANDON (cart changed)
    started          create (same key)               find the intent:       close, nothing to cancel
                                                     create (same key, <23 h) or search
    intent_created   journal a confirm, send it      look the intent up     look the intent up
    confirm_sent     look up; resend the same        look the intent up     look the intent up
                     confirm if it never landed

    intent status    CHARGE                          PARK                   ABANDON
    succeeded        receipt                         receipt                receipt
    requires_payment_method /
    requires_confirmation      declined              cancel, park cart      cancel, drop cart
    requires_action  cancel (3D Secure), keep cart   cancel, park cart      cancel, drop cart
    processing       pending                         pending                pending
    canceled         closed                          closed                 closed

A sale paid in parts (cash, several cards) first runs SPLIT, which is ABANDON
closing the sale as `split` instead: its own intent is cancelled (or found
paid: then the card paid it all). Each card part is then a sale row of its own
(`order_id` set, no lines) running CHARGE from `started`; its `succeeded`
records the part's tender, and the receipt when the parts cover the total.
Voiding a sale with paid card parts first journals the sale as `voiding` (from then on a part
found paid, by a lost answer or a tap that beat the cancel, records its tender but never the
receipt), then runs VOID on each part, and closes the sale once every part is given back:

    recovery point   VOID (a paid card part)            PARK (recovery)
    paid             journal the return, then ask       the part stands (its sale
                     Stripe for a refund (part's key)   resumes owing the rest)
    return_sent      ask again with the same key (<23 h), else find the refund
                     among the intent's refunds by its metadata
    returned         done

A sale paid on a card reader (Stripe Terminal, its intent `card_present`) hands the intent to
the reader instead of confirming it; the customer's tap pays it at Stripe:

    recovery point   CHARGE (send / watch / stop)            PARK, ABANDON, SPLIT, VOID
    intent_created   journal the hand-off, send it           as above
    reader_sent      ask Stripe: the intent, then the reader's action for it
      intent paid / cancelled / processing: as above (receipt, closed, pending)
      action in progress   waiting (OnReader); stop: cancel   cancel the action, then the intent
                           the action, then ask again          decides (paid: receipt)
      action failed        a decline (the cart is kept; the next press sends a new hand-off)
      no action for it     never reached the reader, or the reader moved on: nothing was charged

Every call that changes something at Stripe carries a key derived from the sale
and its journaled request, so any phase may run again and Stripe answers once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Callable

from pos.domain.card_amounts import card_minimum
from pos.domain.declines import cashier_message, reader_message
from pos.domain.money import Money

from . import sales
from .crashpoints import crash_point
from .gateway import (
    GatewayError,
    Intent,
    NotAuthorized,
    OutcomeUnknown,
    PaymentDeclined,
    PaymentGateway,
    ProviderUnavailable,
    RequestRejected,
)
from .outcomes import Cancelled, Closed, Declined, Failed, OnReader, Paid, PartPaid, Pending, SaleResult
from .phases import Next, Phases
from .requests import ConfirmIntent, CreateRefund, PaymentRequest, ProcessOnReader
from .sales import KEY_WINDOW, AttemptRecord, Journal, JournalIntegrityError, SaleRecord
from .states import AttemptState, IntentStatus, ReaderActionStatus, SaleState

log = logging.getLogger(__name__)

CHECKING = "Checking whether the payment went through…"
PRESENT_CARD = "Waiting for the customer: tap, insert or swipe the card on the reader."
PROCESSING = "Processing the card…"
NOT_CHARGED = "Nothing was charged."
NEVER_CREATED = "no payment was ever created"

Step = Next[SaleRecord] | SaleResult
Progress = Callable[[str], None]


class Goal(StrEnum):
    CHARGE = "charge"  # take the payment with a payment method (checkout)
    PARK = "park"  # settle what was left: a receipt if paid, else cancel and keep the cart (recovery)
    ABANDON = "abandon"  # the cart changed: a receipt if paid, else cancel and drop the sale
    SPLIT = "split"  # paid in parts from now on: a receipt if paid, else cancel and keep the sale open
    VOID = "void"  # a voided sale's paid card part: give it back through Stripe


class SalePhases(Phases[SaleRecord, SaleResult]):
    def __init__(
        self,
        journal: Journal,
        gateway: PaymentGateway,
        goal: Goal,
        *,
        confirm: PaymentRequest | None = None,
        progress: Progress = lambda _m: None,
        now: datetime | None = None,
        reason: str = "",
        watch: bool = False,
        stop: bool = False,
    ):
        """`confirm`: how CHARGE pays, a payment method or a card reader. With a reader, `watch` asks
        what the reader is doing without sending the intent again, and `stop` cancels its action."""
        if (goal is Goal.CHARGE) != (confirm is not None):
            raise ValueError("a payment method is what CHARGE takes, and only CHARGE")
        # How ABANDON and SPLIT close a sale whose intent is not paid.
        self._release = SaleState.SPLIT if goal is Goal.SPLIT else SaleState.ABANDONED
        self.journal, self.gateway, self.goal = journal, gateway, goal
        self.confirm, self.progress = confirm, progress
        self.now = now or datetime.now(timezone.utc)
        self.reason = reason  # why an ABANDON closes the sale (the journal's note)
        self.watch, self.stop = watch or stop, stop
        self._found: Intent | None = None
        self._cancelled_on_reader = False

    def _current_intent(self, sale: SaleRecord) -> Intent:
        found, self._found = self._found, None
        if found is not None and found.id == sale.payment_intent:
            return found
        return self.gateway.retrieve_payment_intent(_intent_id(sale))

    def phase(self, record: SaleRecord) -> Callable[[SaleRecord], Step]:
        return {
            SaleState.STARTED: self._from_started,
            SaleState.INTENT_CREATED: self._from_intent_created,
            SaleState.CONFIRM_SENT: self._from_confirm_sent,
            SaleState.READER_SENT: self._from_reader_sent,
            SaleState.PAID: self._from_paid,
            SaleState.ABANDONED: self._from_closed,
            SaleState.PARKED: self._from_closed,
            SaleState.SPLIT: self._from_closed,
            SaleState.VOIDING: self._from_closed,
            SaleState.RETURN_SENT: self._from_return_sent,
            SaleState.RETURNED: self._from_closed,
        }[record.state]

    # -- phases, one per recovery point -----------------------------------------------
    def _from_started(self, sale: SaleRecord) -> Step:
        if self.goal in (Goal.ABANDON, Goal.SPLIT, Goal.VOID) and self.journal.started_here(sale.id):
            # Begun by this run, which writes whatever it holds before any read: `started` means no intent
            # id and no confirm, so nothing can have been charged.
            return self._close(sale, self._release, self.reason)
        if self.goal is not Goal.CHARGE:
            # Recovery, or a sale an earlier run began (a card part reopened after a restart, voided or
            # replaced by another amount): its intent's id and confirm were held in memory (issue 27) and
            # lost with that run, so the confirm may have gone out. Look the intent up first (hostile pass
            # g1: a void closed such a part unasked and kept the money its card had paid).
            intent = self._find_intent(sale)
            if intent is None:
                if self.now - datetime.fromisoformat(sale.created_at) < SEARCH_LAG:
                    # The confirm may have gone out while the intent's id was held (checkout writes it
                    # with the answer), and search may not show an intent that new yet: ask again later.
                    raise NotFoundYet(f"sale {sale.id}: Stripe's search does not show its payment yet")
                if self.goal is Goal.PARK:
                    return self._close(sale, self._parked(sale), NEVER_CREATED)
                return self._close(sale, self._release, self.reason)
            # Not kept for the next phase: a create replayed under its key answers as it did the first
            # time, and a confirm sent while the intent's id was held (checkout) may have paid it since.
            return Next(self.journal.record_intent(sale.id, intent.id))
        try:
            intent = self.gateway.create_payment_intent(sale.create, sales.create_key(sale.sale_key))
        except PaymentDeclined as exc:  # not expected on create, but never lose it
            return Declined(cashier_message(exc.decline_code, exc.code), exc.decline_code)
        except RequestRejected as exc:
            note = _rejection_message(exc, sale)
            self.journal.close_sale(sale.id, SaleState.ABANDONED, note)
            return Failed(f"{note} {NOT_CHARGED}", sale_closed=True)
        except GatewayError as exc:
            # No confirm has been sent, so no money can have moved; the same key makes a retry safe.
            return Failed(f"{gateway_message(exc)} {NOT_CHARGED} Try again.")
        crash_point("after_create_sent")
        # Held, not committed (issue 27 item 1): written with the answer's transaction. A crash before
        # then leaves the sale `started`, and recovery finds the intent by this same create (same key)
        # or by search, then looks at what it is: paid (receipt), else cancelled and the cart parked.
        sale = self.journal.hold_intent(sale, intent.id)
        crash_point("after_intent_recorded")
        return Next(sale)

    def _from_intent_created(self, sale: SaleRecord) -> Step:
        if self.confirm is None:
            return self._act_on(sale, None, self._current_intent(sale))
        if self.watch:
            # Nothing is on the reader for this sale (declined or stopped meanwhile): nothing to watch.
            return Declined(f"{reader_message('not_waiting')} {NOT_CHARGED}", "not_waiting")
        # Recovery point confirm_sent or reader_sent, held like the intent's id: its key is derived from
        # the sale's and the attempt's number, so nothing needs to be on disk for the confirm to be safe.
        attempt = self.journal.hold_attempt(sale, self.confirm)
        if isinstance(attempt.request, ProcessOnReader):
            crash_point("after_reader_recorded")
            return self._send_to_reader(sale, attempt, attempt.request)
        crash_point("after_confirm_recorded")
        return self._send_confirm(sale, attempt)

    def _from_confirm_sent(self, sale: SaleRecord) -> Step:
        """A confirm went out and its answer was never journaled (crash, timeout, lost answer)."""
        if self.goal is not Goal.CHARGE:
            return self._act_on(sale, None, self._current_intent(sale))
        attempt = self.journal.open_attempt(sale.id)
        if attempt is None:
            return self._from_intent_created(sale)
        self.progress(CHECKING)
        result = self._look_up(sale, attempt)
        if isinstance(result, Declined):
            # That earlier confirm was declined: go on with the payment method offered now.
            return Next(self.journal.sale(sale.id))
        return result

    def _from_paid(self, sale: SaleRecord) -> Step:
        if sale.is_part:
            if self.goal is Goal.VOID:
                return Next(self.journal.begin_return(sale.id))  # recovery point: return_sent
            return self.journal.part_result(sale.id)
        receipt = self.journal.receipt_for_sale(sale.id)
        if receipt is None:
            raise JournalIntegrityError(f"sale {sale.id} is paid but has no receipt")
        return Paid(receipt)

    def _from_return_sent(self, sale: SaleRecord) -> Step:
        """Give a voided sale's paid card part back: the same refund, with the same key, until answered."""
        intent_id = _intent_id(sale)
        charged = charged_for(self.journal, sale)
        request = CreateRefund(
            intent_id,
            charged,
            "requested_by_customer",
            sale.sale_key,
            None,
            sale.till_id,
        )
        try:
            if self.now - datetime.fromisoformat(sale.created_at) < KEY_WINDOW:
                refund_id = self.gateway.create_refund(request, sales.return_key(sale.sale_key)).id
            else:  # past Stripe's key window: find it by its metadata, or make it now
                found = [
                    r
                    for r in self.gateway.list_refunds(intent_id)
                    if (r.metadata or {}).get("refund_key") == sale.sale_key
                ]
                refund_id = (
                    found[0].id if found else self.gateway.create_refund(request, sales.return_key(sale.sale_key)).id
                )
        except GatewayError as exc:
            if self.goal is Goal.PARK:
                raise  # recovery reports it and tries again on its next round
            return Pending(
                f"Stripe could not be asked to give back {charged} to the card just now "
                f"({exc}). The till keeps trying by itself; do not give it back another way."
            )
        crash_point("after_return_sent")
        self.journal.finish_return(sale.id, refund_id)
        return Closed(SaleState.RETURNED, f"given back by Stripe refund {refund_id}")

    def _from_closed(self, sale: SaleRecord) -> Step:
        if self.goal is Goal.CHARGE:
            return Failed(f"This sale was closed ({sale.note or sale.state}). {NOT_CHARGED}", sale_closed=True)
        return Closed(sale.state, sale.note or "")

    # -- a card reader ----------------------------------------------------------------------
    def _from_reader_sent(self, sale: SaleRecord) -> Step:
        """The intent was handed (or was about to be) to a reader: Stripe's intent, then the reader, decide."""
        attempt = self.journal.open_attempt(sale.id)
        if attempt is None or not isinstance(attempt.request, ProcessOnReader):
            raise JournalIntegrityError(f"sale {sale.id} is on a reader but has no open reader attempt")
        return self._on_reader(sale, attempt, attempt.request)

    def _send_to_reader(self, sale: SaleRecord, attempt: AttemptRecord, request: ProcessOnReader) -> Step:
        try:
            self.gateway.process_on_reader(
                request.reader_id, _intent_id(sale), attempt.idempotency_key, request.tipping
            )
            crash_point("after_reader_sent")
        except RequestRejected as exc:
            if exc.code in ("terminal_reader_busy", "terminal_reader_timeout"):
                # Busy with this very payment (an earlier hand-off), or it may have reached the reader
                # before the time ran out: what the reader holds decides.
                return self._on_reader(sale, attempt, request, refused=exc.code)
            message = reader_message(exc.code) if exc.code in _READER_REFUSALS else f"Stripe refused it: {exc}"
            self.journal.record_attempt(attempt.id, AttemptState.FAILED, decline_code=exc.code, message=message)
            return Failed(f"{message} {NOT_CHARGED}")
        except (ProviderUnavailable, NotAuthorized) as exc:
            self.journal.record_attempt(attempt.id, AttemptState.FAILED, message=str(exc))
            return Failed(f"{gateway_message(exc)} {NOT_CHARGED} Try again.")
        except GatewayError:
            return self._on_reader(sale, attempt, request)  # no answer: look before anything else
        return OnReader(PRESENT_CARD, request.reader_id)

    def _on_reader(
        self, sale: SaleRecord, attempt: AttemptRecord, request: ProcessOnReader, refused: str | None = None
    ) -> Step:
        try:
            intent = self._current_intent(sale)
            if not intent.status.awaits_payment:
                return self._act_on(sale, attempt, intent)  # paid, cancelled or processing
            reader = self.gateway.retrieve_reader(request.reader_id)
        except GatewayError as exc:
            if self.goal is not Goal.CHARGE:
                raise  # recovery and the cart's other moves report it and come back
            if self.stop:
                return Pending(
                    f"{gateway_message(exc)} The card reader could not be stopped yet: if the customer "
                    "taps now, the payment still counts. The till keeps checking."
                )
            return OnReader(f"{CHECKING} ({gateway_message(exc)})", request.reader_id)
        action = reader.acting_for(intent.id)
        if action is not None and action.status is not ReaderActionStatus.FAILED:
            if self.goal is Goal.CHARGE and not self.stop:
                waiting = PROCESSING if action.status is ReaderActionStatus.SUCCEEDED else PRESENT_CARD
                return OnReader(waiting, request.reader_id)
            return self._stop_reader(sale, attempt, request, intent)
        if action is not None:  # failed: declined, or cancelled on the reader or at the till
            code = action.failure_code
            message = reader_message(code, intent.decline_code)
            self.journal.record_attempt(attempt.id, AttemptState.DECLINED, decline_code=code, message=message)
        else:  # the hand-off never reached the reader, or the reader has moved on: nothing was charged
            code = refused or "not_waiting"
            message = reader_message(code)
            self.journal.record_attempt(attempt.id, AttemptState.FAILED, decline_code=code, message=message)
        if self.goal is not Goal.CHARGE:
            return Next(self.journal.sale(sale.id))  # intent_created: the goal's own column decides
        if code in ("canceled", "customer_canceled", "not_waiting") or code in _READER_REFUSALS:
            return Declined(f"{message} {NOT_CHARGED}", code)
        return Declined(message, intent.decline_code or code)

    def _stop_reader(self, sale: SaleRecord, attempt: AttemptRecord, request: ProcessOnReader, intent: Intent) -> Step:
        """Cancel the reader's wait for this intent; a tap that beat the cancel still pays the sale."""
        if self._cancelled_on_reader:
            # Cancelled once already and the reader still holds it: do not loop; report and come back.
            if self.goal is not Goal.CHARGE:
                raise ReaderStillBusy(f"reader {request.reader_id} still holds sale {sale.id}'s payment")
            return Pending("The card reader has not stopped yet. If the customer taps now, the payment still counts.")
        self._cancelled_on_reader = True
        try:
            self.gateway.cancel_reader_action(
                request.reader_id, sales.reader_cancel_key(sale.sale_key, attempt.attempt_no)
            )
        except RequestRejected:
            pass  # nothing in progress any more: the customer finished first, or it failed
        crash_point("after_reader_cancelled")
        self._found = None
        return self._on_reader(sale, attempt, request)

    # -- the calls and what their answers mean ------------------------------------------
    def _send_confirm(self, sale: SaleRecord, attempt: AttemptRecord, resent: bool = False) -> Step:
        try:
            if not isinstance(attempt.request, ConfirmIntent):
                raise JournalIntegrityError(f"sale {sale.id}: a confirm attempt holds {attempt.request!r}")
            intent = self.gateway.confirm_payment_intent(_intent_id(sale), attempt.request, attempt.idempotency_key)
            crash_point("after_confirm_sent")
        except PaymentDeclined as exc:
            crash_point("after_confirm_sent")
            code = exc.decline_code or exc.code
            message = cashier_message(exc.decline_code, exc.code)
            self.journal.record_attempt(
                attempt.id, AttemptState.DECLINED, decline_code=code, message=message, charge_id=exc.charge_id
            )
            return Declined(message, code)
        except (ProviderUnavailable, NotAuthorized) as exc:
            # Stripe said it did not process this confirm.
            self.journal.record_attempt(attempt.id, AttemptState.FAILED, message=str(exc))
            return Failed(f"{gateway_message(exc)} {NOT_CHARGED} Try again.")
        except GatewayError:  # no answer, a 5xx, or a refusal that may hide an earlier success
            if resent:
                return self._unknown(sale)
            self.progress(CHECKING)
            return self._look_up(sale, attempt)
        return self._act_on(sale, attempt, intent)

    def _look_up(self, sale: SaleRecord, attempt: AttemptRecord) -> Step:
        """Learn what became of a confirm; if it never landed, resend it with the same key."""
        try:
            intent = self.gateway.retrieve_payment_intent(_intent_id(sale))
        except GatewayError:
            return self._unknown(sale)
        if intent.status in (IntentStatus.REQUIRES_PAYMENT_METHOD, IntentStatus.REQUIRES_CONFIRMATION):
            # Either the confirm was declined or it never arrived. The same key and request make
            # Stripe replay its answer if it had one, or process the confirm now if not.
            return self._send_confirm(sale, attempt, resent=True)
        return self._act_on(sale, attempt, intent)

    def _act_on(self, sale: SaleRecord, attempt: AttemptRecord | None, intent: Intent) -> Step:
        status = intent.status
        if status is IntentStatus.SUCCEEDED:
            result = self._paid(sale, intent)
            crash_point("after_receipt_saved")
            if self.goal is Goal.VOID and sale.is_part:
                return Next(self.journal.sale(sale.id))  # paid after all: give it back too
            return result
        if status is IntentStatus.CANCELED:
            closed = self._close(sale, self._release, "payment intent was cancelled")
            if self.goal is Goal.CHARGE:
                return Failed(f"This payment was cancelled. {NOT_CHARGED}", sale_closed=True)
            return closed
        if status.awaits_payment:
            return self._not_paid(sale, attempt, intent)
        if status is IntentStatus.PROCESSING and self.goal is Goal.CHARGE:
            return Pending(
                "The card payment is still processing. The till will check again; "
                "do not take another payment for this sale."
            )
        if self.goal in (Goal.ABANDON, Goal.SPLIT, Goal.VOID):
            return Pending("The previous payment is still processing. Wait for it before taking another payment.")
        self.journal.note(sale.id, f"payment is {status}; checking again later")
        return Pending(f"The payment is {status}; the till will check again.")

    def _not_paid(self, sale: SaleRecord, attempt: AttemptRecord | None, intent: Intent) -> SaleResult:
        """The intent can still be paid: a decline for the cashier, else cancel it and close the sale."""
        if self.goal is Goal.PARK:
            return self._cancel(sale, self._parked(sale), "payment not completed; intent cancelled")
        if self.goal in (Goal.ABANDON, Goal.SPLIT, Goal.VOID):
            return self._cancel(sale, self._release, self.reason)
        if intent.status is IntentStatus.REQUIRES_ACTION:
            if attempt is not None:
                self.journal.record_attempt(
                    attempt.id, AttemptState.REQUIRES_ACTION, message="needs 3D Secure authentication"
                )
            why = "This card needs 3D Secure authentication, which this till cannot do."
            note = f"{why} The payment was cancelled."
            result = self._cancel(sale, SaleState.ABANDONED, note, why=why)
            return Cancelled(f"{note} {NOT_CHARGED} Use another card.") if isinstance(result, Closed) else result
        message = cashier_message(intent.decline_code, intent.error_code)
        if attempt is not None:
            self.journal.record_attempt(
                attempt.id, AttemptState.DECLINED, decline_code=intent.decline_code, message=message
            )
        return Declined(message, intent.decline_code)

    def _cancel(self, sale: SaleRecord, closed_as: SaleState, note: str, why: str = "") -> SaleResult:
        """Cancel the sale's intent (same key every time), then close the sale; a receipt if it was paid."""
        try:
            try:
                intent = self.gateway.cancel_payment_intent(_intent_id(sale), sales.cancel_key(sale.sale_key))
            except RequestRejected:
                intent = self.gateway.retrieve_payment_intent(_intent_id(sale))
                if intent.status is IntentStatus.SUCCEEDED:
                    return self._paid(sale, intent)
                if intent.status is not IntentStatus.CANCELED:
                    raise
        except GatewayError as exc:
            if self.goal is Goal.PARK:
                raise  # recovery reports it and tries again on its next round
            # Not cancelled yet: the sale stays open and recovery cancels its intent later. Only an
            # intent that never got past requires_action or a decline reaches here: no money moved.
            self.journal.note(sale.id, f"could not cancel yet: {exc}")
            return Failed(
                f"{why} Stripe could not be asked to cancel the payment just now, but nothing was "
                "charged. The till cancels it by itself; you can use another card.".strip()
            )
        return self._close(sale, closed_as, note)

    def _paid(self, sale: SaleRecord, intent: Intent) -> Paid | PartPaid:
        """The intent succeeded: the receipt, or for a card part its tender (and the receipt if it was the last)."""
        if sale.is_part:
            return self.journal.finish_part(sale.id, intent)
        return Paid(self.journal.finish_paid(sale.id, intent))

    @staticmethod
    def _parked(sale: SaleRecord) -> SaleState:
        """Recovery keeps a cart to resume; a card part has no cart of its own (its sale stays open)."""
        return SaleState.ABANDONED if sale.is_part else SaleState.PARKED

    def _close(self, sale: SaleRecord, state: SaleState, note: str) -> Closed:
        self.journal.close_sale(sale.id, state, note)
        return Closed(state, note)

    def _unknown(self, sale: SaleRecord) -> SaleResult:
        self.journal.note(sale.id, "outcome unknown: waiting to check with Stripe")
        return Pending(
            "Could not reach Stripe to learn whether the payment went through. Do NOT take "
            "another payment for this sale: press Charge again to check once the connection is "
            "back (the till also checks by itself)."
        )

    # -- finding an intent whose id was never journaled ------------------------------------
    def _find_intent(self, sale: SaleRecord) -> Intent | None:
        if self.now - datetime.fromisoformat(sale.created_at) < KEY_WINDOW:
            # The same key and request: Stripe replays the intent if the create had landed, or
            # creates it now (to be cancelled at once) if it had not. Either way we learn its id.
            try:
                return self.gateway.create_payment_intent(sale.create, sales.create_key(sale.sale_key))
            except RequestRejected:
                # Stripe will not take this request again (e.g. a journal written before an API
                # version removed a parameter): look the sale up instead. No confirm was ever sent.
                pass
        return self._search(sale)

    def _search(self, sale: SaleRecord) -> Intent | None:
        """Find the sale's intent by its metadata. Search lags behind writes (Stripe documents under a
        minute, longer in outages), so what it returns is only a list of ids: each is retrieved, which is
        current. Since checkout holds the intent's id until the confirm's answer (issue 27), a `started`
        sale's confirm may have been sent: the caller parks a sale search cannot find only once it is
        older than SEARCH_LAG (past the 23 h key window it always is)."""
        hits = self.gateway.find_payment_intents(sale.sale_key)
        found = [self.gateway.retrieve_payment_intent(hit.id) for hit in hits]
        if not found:
            return None
        return next((i for i in found if i.status is IntentStatus.SUCCEEDED), found[0])


# Refusals of a hand-off that mean the reader cannot take it now: nothing was charged.
_READER_REFUSALS = (
    "terminal_reader_offline",
    "terminal_reader_busy",
    "terminal_reader_timeout",
    "terminal_reader_hardware_fault",
)


# How long Stripe's search may lag behind a new intent: documented under a minute, longer in outages.
# A sale younger than this that search cannot find is asked about again, never parked as never created.
SEARCH_LAG = timedelta(hours=1)


class NotFoundYet(GatewayError):
    """Search cannot see a young sale's intent yet: recovery asks again on its next round."""


class ReaderStillBusy(GatewayError):
    """A reader kept a payment in progress after it was asked to cancel it: try again later."""


def _intent_id(sale: SaleRecord) -> str:
    """The sale's PaymentIntent id, on paths only reached once it has been recorded."""
    if sale.payment_intent is None:
        raise JournalIntegrityError(f"sale {sale.id} has no PaymentIntent recorded")
    return sale.payment_intent


def gateway_message(exc: Exception) -> str:
    if isinstance(exc, NotAuthorized):
        return f"{exc} (check Settings)."  # refused by Stripe, or not readable from the keyring
    if isinstance(exc, ProviderUnavailable):
        return "Stripe is busy right now."
    if isinstance(exc, OutcomeUnknown):
        return "Could not reach Stripe (network error or timeout)."
    return "Stripe could not take the payment."


def _rejection_message(exc: RequestRejected, sale: SaleRecord) -> str:
    if exc.code == "amount_too_small":
        return f"A card payment must be at least {card_minimum(sale.currency)} (Stripe's minimum): {exc}"
    if exc.code == "amount_too_large":
        return f"The total is more than a card payment can take: {exc}"
    return f"Stripe refused the payment: {exc}"


def charged_for(journal: Journal, part: SaleRecord) -> Money:
    """What a paid card part's intent was charged, as its tender records it: the part and a tip the
    customer added on a reader. A voided sale's part gives all of it back (the sale never happened)."""
    paid = journal.part_result(part.id)
    return paid.tender.charged if isinstance(paid, PartPaid) else Money(part.total_minor, part.currency)
