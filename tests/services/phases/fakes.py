"""An in-memory journal and a scripted gateway: the phase tables' cells run in microseconds.

The integration tests run the same phases against the real SQLite journal and the `stripe` client
over HTTP to the sandbox; here the point is the table itself, cell by cell. So:

- `MemoryJournal` implements the sale journal port (`services.sales.Journal`) as the phases use it,
  with the same state rules as `adapters/db/journal.py` (which state each call moves a sale from and
  to, attempt numbers, the idempotency key each attempt gets). It is a plain class with dicts:
  a new machine's journal (c3's gift-card redemption) subclasses it or sits beside it.
- `MemoryRefundJournal` does the same for `services.refund_journal.RefundJournal`.
- `ScriptedGateway` implements `services.gateway.PaymentGateway`: each test scripts, per call, the
  answer (a value, or an exception to raise); every call is recorded with its idempotency key, and a
  call the test did not script fails the test (the machine asked something it should not have).

Journal methods the phases never call (the sale's cart, cash tenders, reports) are left out on
purpose: the tables must not need them, and an AttributeError here says one started to.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from pos.domain.money import Money
from pos.domain.receipt import Receipt
from pos.domain.refunds import RefundReceipt
from pos.domain.tender import Tender, TenderKind
from pos.services import sales
from pos.services.gateway import Intent, RefundInfo
from pos.services.outcomes import Paid, PartPaid
from pos.services.refund_journal import RefundBasis, RefundRecord
from pos.services.requests import CreateIntent, PaymentRequest, ProcessOnReader
from pos.services.sales import AttemptRecord, JournalIntegrityError, SaleRecord, StorageError
from pos.services.states import UNFINISHED, AttemptState, IntentStatus, RefundState, SaleState, TenderState

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
CURRENCY = "EUR"


# -- the sale journal ---------------------------------------------------------------------------
@dataclass
class MemoryJournal:
    sales: dict[int, SaleRecord] = field(default_factory=dict)
    attempts: dict[int, AttemptRecord] = field(default_factory=dict)
    attempt_notes: dict[int, dict[str, Any]] = field(default_factory=dict)  # decline code, message
    receipts: dict[int, Receipt] = field(default_factory=dict)  # sale id -> its receipt
    part_tenders: dict[int, tuple[Tender, TenderState]] = field(default_factory=dict)  # part id -> its tender

    # -- setting a cell up: a sale at a recovery point ---------------------------------------------
    def add_sale(
        self,
        state: SaleState,
        *,
        total_minor: int = 1250,
        payment_intent: str | None = None,
        created_at: datetime = NOW,
        order_id: int | None = None,
        on_reader: bool = False,
    ) -> SaleRecord:
        sale_id = len(self.sales) + 1
        key = f"sale{sale_id}"
        record = SaleRecord(
            id=sale_id,
            sale_key=key,
            till_id="T1",
            state=state,
            currency=CURRENCY,
            total_minor=total_minor,
            create=CreateIntent(Money(total_minor, CURRENCY), key, "T1", on_reader),
            payment_intent=payment_intent,
            created_at=created_at.isoformat(),
            order_id=order_id,
        )
        self.sales[sale_id] = record
        return record

    def add_attempt(self, sale: SaleRecord, request: PaymentRequest) -> AttemptRecord:
        """An attempt journaled as sent whose answer never came back (the sale's state is left as set)."""
        state = sale.state
        attempt = self.begin_attempt(sale, request)
        self._set(sale.id, state=state)
        return attempt

    def add_paid_part(self, order: SaleRecord, intent: Intent) -> SaleRecord:
        part = self.add_sale(
            SaleState.PAID, total_minor=intent.amount - intent.tip, payment_intent=intent.id, order_id=order.id
        )
        self.part_tenders[part.id] = (_card_tender(intent), TenderState.PAID)
        return part

    def _set(self, sale_id: int, **changes: Any) -> SaleRecord:
        self.sales[sale_id] = replace(self.sales[sale_id], **changes)
        return self.sales[sale_id]

    # -- the port ----------------------------------------------------------------------------------
    def record_intent(self, sale_id: int, intent_id: str) -> SaleRecord:
        if self.sales[sale_id].state is SaleState.STARTED:
            self._set(sale_id, payment_intent=intent_id, state=SaleState.INTENT_CREATED)
        return self.sales[sale_id]

    def begin_attempt(self, sale: SaleRecord, request: PaymentRequest) -> AttemptRecord:
        on_reader = isinstance(request, ProcessOnReader)
        number = max((a.attempt_no for a in self.attempts.values() if a.sale_id == sale.id), default=0) + 1
        key = (sales.reader_key if on_reader else sales.confirm_key)(sale.sale_key, number)
        attempt = AttemptRecord(len(self.attempts) + 1, sale.id, number, key, request, AttemptState.SENT)
        self.attempts[attempt.id] = attempt
        self._set(sale.id, state=SaleState.READER_SENT if on_reader else SaleState.CONFIRM_SENT)
        return attempt

    # Held points are written at once here: the phases' tables are the same either way; what holding
    # saves (a commit) and risks (a crash while held) is shown on SQLite (tests/services/test_flushes.py).
    def hold_intent(self, sale: SaleRecord, intent_id: str) -> SaleRecord:
        return self.record_intent(sale.id, intent_id)

    def hold_attempt(self, sale: SaleRecord, request: PaymentRequest) -> AttemptRecord:
        return self.begin_attempt(sale, request)

    def flush(self) -> None:
        pass

    def holding(self) -> bool:
        return False

    def started_here(self, sale_id: int) -> bool:
        return True  # nothing is held here, so a `started` sale never had a confirm out

    def open_attempt(self, sale_id: int) -> AttemptRecord | None:
        sent = [a for a in self.attempts.values() if a.sale_id == sale_id and a.state is AttemptState.SENT]
        return max(sent, key=lambda a: a.attempt_no, default=None)

    def record_attempt(
        self,
        attempt_id: int,
        state: AttemptState,
        *,
        decline_code: str | None = None,
        message: str | None = None,
        charge_id: str | None = None,
    ) -> None:
        attempt = self.attempts[attempt_id] = replace(self.attempts[attempt_id], state=state)
        self.attempt_notes[attempt_id] = {"decline_code": decline_code, "message": message, "charge_id": charge_id}
        if self.sales[attempt.sale_id].state in (SaleState.CONFIRM_SENT, SaleState.READER_SENT):
            self._set(attempt.sale_id, state=SaleState.INTENT_CREATED)

    def _card_paid(self, sale: SaleRecord, intent: Intent) -> None:
        if intent.status is not IntentStatus.SUCCEEDED:
            raise JournalIntegrityError(f"sale {sale.id}: intent {intent.id} is {intent.status}")
        if (intent.amount - intent.tip, intent.currency.upper()) != (sale.total_minor, sale.currency):
            raise JournalIntegrityError(f"sale {sale.id}: intent {intent.id} is for another amount")
        for attempt in self.attempts.values():
            if attempt.sale_id == sale.id and attempt.state is AttemptState.SENT:
                self.attempts[attempt.id] = replace(attempt, state=AttemptState.SUCCEEDED)
        self._set(sale.id, state=SaleState.PAID)

    def finish_paid(self, sale_id: int, intent: Intent) -> Receipt:
        if sale_id not in self.receipts:
            sale = self.sales[sale_id]
            self._card_paid(sale, intent)
            self.receipts[sale_id] = _receipt(sale, (_card_tender(intent),), intent.id)
        return self.receipts[sale_id]

    def finish_part(self, part_id: int, intent: Intent) -> Paid | PartPaid:
        part = self.sales[part_id]
        if part.state is not SaleState.PAID:
            self._card_paid(part, intent)
            self.part_tenders[part_id] = (_card_tender(intent), TenderState.PAID)
            order = self.sales[_order_id(part)]
            if order.state is SaleState.SPLIT and self._due(order) <= 0:
                self.receipts[order.id] = _receipt(order, self._tenders(order), None)
        return self.part_result(part_id)

    def part_result(self, part_id: int) -> Paid | PartPaid:
        order = self.sales[_order_id(self.sales[part_id])]
        if order.id in self.receipts:
            return Paid(self.receipts[order.id])
        if part_id not in self.part_tenders:
            raise JournalIntegrityError(f"card part {part_id} is paid but has no tender")
        return PartPaid(self.part_tenders[part_id][0], Money(self._due(order), order.currency))

    def begin_return(self, part_id: int) -> SaleRecord:
        part = self.sales[part_id]
        if part.state is SaleState.PAID and part.is_part:
            self._set(part_id, state=SaleState.RETURN_SENT)
        return self.sales[part_id]

    def finish_return(self, part_id: int, refund_id: str) -> None:
        if self.sales[part_id].state is SaleState.RETURN_SENT:
            self._set(part_id, state=SaleState.RETURNED, note=f"given back by Stripe refund {refund_id}")
            self.part_tenders[part_id] = (self.part_tenders[part_id][0], TenderState.RETURNED)

    def close_sale(self, sale_id: int, state: SaleState, note: str) -> None:
        if state not in (SaleState.ABANDONED, SaleState.PARKED, SaleState.SPLIT):
            raise ValueError(f"a sale is closed as abandoned, parked or split, not {state}")
        if self.sales[sale_id].state in UNFINISHED:
            self._set(sale_id, state=state, note=note)
        for attempt in self.attempts.values():
            if attempt.sale_id == sale_id and attempt.state is AttemptState.SENT:
                self.attempts[attempt.id] = replace(attempt, state=AttemptState.FAILED)

    def note(self, sale_id: int, note: str) -> None:
        self._set(sale_id, note=note)

    def sale(self, sale_id: int) -> SaleRecord:
        return self.sales[sale_id]

    def receipt_for_sale(self, sale_id: int) -> Receipt | None:
        return self.receipts.get(sale_id)

    # -- what a split sale still owes ------------------------------------------------------------
    def _tenders(self, order: SaleRecord) -> tuple[Tender, ...]:
        return tuple(
            tender
            for part_id, (tender, state) in self.part_tenders.items()
            if self.sales[part_id].order_id == order.id and state is TenderState.PAID
        )

    def _due(self, order: SaleRecord) -> int:
        return order.total_minor - sum(t.amount.minor for t in self._tenders(order))


def _order_id(part: SaleRecord) -> int:
    if part.order_id is None:
        raise JournalIntegrityError(f"sale {part.id} is not a card part")
    return part.order_id


def _card_tender(intent: Intent) -> Tender:
    currency = intent.currency.upper()
    return Tender(
        TenderKind.CARD,
        Money(intent.amount - intent.tip, currency),
        tendered=Money(intent.amount, currency),
        payment_intent=intent.id,
        card_brand=intent.card_brand,
        card_last4=intent.card_last4,
    )


def _receipt(sale: SaleRecord, tenders: tuple[Tender, ...], payment_intent: str | None) -> Receipt:
    total = Money(sale.total_minor, sale.currency)
    return Receipt(
        receipt_no=sale.id,
        till_id=sale.till_id,
        created_at=NOW,
        store_name="Shop",
        lines=(),
        subtotal=total,
        tax=Money(0, sale.currency),
        total=total,
        tax_inclusive=True,
        payment_intent=payment_intent,
        tenders=tenders,
    )


# -- the refund journal ---------------------------------------------------------------------------
@dataclass
class MemoryRefundJournal:
    refunds: dict[int, RefundRecord] = field(default_factory=dict)
    receipts: dict[int, RefundReceipt] = field(default_factory=dict)  # refund id -> its numbered receipt
    failing_writes: bool = False  # the disk refuses writes: finish and fail raise StorageError

    def add_refund(
        self,
        state: RefundState = RefundState.SENT,
        *,
        request: Any = None,
        amount_minor: int = 500,
        created_at: datetime = NOW,
        given_as: Any = None,
    ) -> RefundRecord:
        refund_id = len(self.refunds) + 1
        record = RefundRecord(
            id=refund_id,
            refund_key=f"refund{refund_id}",
            receipt_id=7,
            state=state,
            amount_minor=amount_minor,
            currency=CURRENCY,
            request=request,
            created_at=created_at.isoformat(),
            given_as=given_as,
        )
        self.refunds[refund_id] = record
        if state is RefundState.SUCCEEDED:
            self._number(record, None)
        return record

    def basis(self, receipt_id: int) -> RefundBasis:
        return RefundBasis(receipt_id, 42, "T1", CURRENCY, 1250, 0, None, ())

    def finish_refund(
        self, refund_id: int, stripe_refund: str | None, store_credit_code: str | None = None
    ) -> RefundReceipt:
        if self.failing_writes:
            raise StorageError("The disk is full.")
        record = self.refunds[refund_id]
        if record.state is RefundState.SENT:
            self.refunds[refund_id] = replace(
                record, state=RefundState.SUCCEEDED, stripe_refund=stripe_refund, refund_no=len(self.receipts) + 1
            )
            self._number(self.refunds[refund_id], stripe_refund, store_credit_code)
        return self.receipts[refund_id]

    def _number(self, record: RefundRecord, stripe_refund: str | None, store_credit_code: str | None = None) -> None:
        self.receipts[record.id] = RefundReceipt(
            refund_no=len(self.receipts) + 1,
            till_id="T1",
            created_at=NOW,
            store_name="Shop",
            receipt_no=42,
            amount=Money(record.amount_minor, record.currency),
            lines=(),
            card_brand=None,
            card_last4=None,
            stripe_refund=stripe_refund,
            in_cash=record.given is TenderKind.CASH,
            store_credit_code=store_credit_code,
        )

    def fail_refund(self, refund_id: int, message: str) -> None:
        if self.failing_writes:
            raise StorageError("The disk is full.")
        if self.refunds[refund_id].state is RefundState.SENT:
            self.refunds[refund_id] = replace(self.refunds[refund_id], state=RefundState.FAILED, message=message)

    def refund_receipt(self, refund_id: int) -> RefundReceipt:
        return self.receipts[refund_id]


# -- the gateway ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    method: str
    args: tuple[Any, ...]
    key: str | None  # the idempotency key, for a call that changes something


# Calls that change something at Stripe, and where their idempotency key is among the arguments.
_KEYED = {
    "create_payment_intent": 1,
    "confirm_payment_intent": 2,
    "cancel_payment_intent": 1,
    "label_payment_intent": 2,
    "create_refund": 1,
    "process_on_reader": 2,
    "cancel_reader_action": 1,
}


class Unscripted(AssertionError):
    """The machine made a call the test did not script: it asked Stripe something it should not have."""


class ScriptedGateway:
    """`gateway.script("confirm_payment_intent", intent, OutcomeUnknown("timeout"))`: the next calls
    of that method answer in that order (an exception is raised). `calls` is everything asked."""

    endpoint = "scripted"

    def __init__(self) -> None:
        self._answers: dict[str, deque[Any]] = defaultdict(deque)
        self.calls: list[Call] = []

    def script(self, method: str, *answers: Any) -> ScriptedGateway:
        if not hasattr(self, method):
            raise AttributeError(f"the gateway port has no {method}")
        self._answers[method].extend(answers)
        return self

    def unanswered(self) -> dict[str, int]:
        """Scripted answers no call took (a cell expected a call that never came)."""
        return {m: len(a) for m, a in self._answers.items() if a}

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    def _answer(self, method: str, *args: Any) -> Any:
        position = _KEYED.get(method)
        self.calls.append(Call(method, args, args[position] if position is not None else None))
        if not self._answers[method]:
            raise Unscripted(f"unscripted call {method}{args}")
        answer = self._answers[method].popleft()
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def create_payment_intent(self, request: Any, idempotency_key: str) -> Intent:
        return self._answer("create_payment_intent", request, idempotency_key)

    def confirm_payment_intent(self, intent_id: str, request: Any, idempotency_key: str) -> Intent:
        return self._answer("confirm_payment_intent", intent_id, request, idempotency_key)

    def retrieve_payment_intent(self, intent_id: str) -> Intent:
        return self._answer("retrieve_payment_intent", intent_id)

    def cancel_payment_intent(self, intent_id: str, idempotency_key: str) -> Intent:
        return self._answer("cancel_payment_intent", intent_id, idempotency_key)

    def label_payment_intent(self, intent_id: str, request: Any, idempotency_key: str) -> Intent:
        return self._answer("label_payment_intent", intent_id, request, idempotency_key)

    def find_payment_intents(self, sale_key: str) -> list[Intent]:
        return self._answer("find_payment_intents", sale_key)

    def create_refund(self, request: Any, idempotency_key: str) -> RefundInfo:
        return self._answer("create_refund", request, idempotency_key)

    def list_refunds(self, intent_id: str) -> list[RefundInfo]:
        return self._answer("list_refunds", intent_id)

    def process_on_reader(self, reader_id: str, intent_id: str, idempotency_key: str, tipping: bool = False) -> Any:
        return self._answer("process_on_reader", reader_id, intent_id, idempotency_key)

    def retrieve_reader(self, reader_id: str) -> Any:
        return self._answer("retrieve_reader", reader_id)

    def cancel_reader_action(self, reader_id: str, idempotency_key: str) -> Any:
        return self._answer("cancel_reader_action", reader_id, idempotency_key)

    def show_cart(self, reader_id: str, cart: Any) -> Any:
        return self._answer("show_cart", reader_id, cart)


def intent(status: IntentStatus, amount: int = 1250, *, id: str = "pi_1", decline_code: str | None = None) -> Intent:
    """An intent as the gateway would answer it."""
    return Intent(
        id=id,
        status=status,
        amount=amount,
        currency=CURRENCY.lower(),
        amount_received=amount if status is IntentStatus.SUCCEEDED else 0,
        card_brand="visa",
        card_last4="4242",
        decline_code=decline_code,
    )
