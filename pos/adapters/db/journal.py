"""The payment journal in SQLite: every recovery point of a sale is one committed transaction, except
the two a card sale's checkout holds (the intent's id and the confirm attempt: `hold_intent`,
`hold_attempt`), which are written at the start of the sale's next transaction (issue 27 item 1).

SQLAlchemy Core statements over schema.py's tables (decision 0010), built once at module level: the
journal sits on the payment path, and a statement built once is compiled once (SQLAlchemy's cache),
so each recovery point costs little more than its fsync. Those a sale runs every time are compiled
once more, for the driver, and run on its cursor inside the same Core transaction (compiled.py,
decision 0010's tenth-session addendum): card 21 statements a sale, cash 12, none through
Connection.execute's per-statement machinery.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass, replace
from collections.abc import Mapping, Sequence
from typing import Any, Iterator

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import NoResultFound

from pos.domain.cart import Totals
from pos.domain.cash import CashPayment
from pos.domain.giftcards import sold_card
from pos.domain.money import Money
from pos.domain.receipt import Receipt
from pos.domain.tender import Tender, TenderKind
from pos.services import sales
from pos.services.gateway import Intent
from pos.services.outcomes import Paid, PartPaid
from pos.services.requests import CreateIntent, PaymentRequest, ProcessOnReader, payment_request_from_json
from pos.services.sales import AttemptRecord, JournalIntegrityError, SaleChanged, SaleRecord, SaleStanding, VoidNote
from pos.services.states import UNFINISHED, AttemptState, IntentStatus, SaleState, TenderState

from . import audit, core, stock
from . import compiled as cx
from . import schema as tables
from .cashiers import write_void
from .receipts import add_receipt_row
from .raw import now_iso
from .receipts import tender_from_row, build_receipt, read_tenders
from .settings import SettingsRepo

_Row = Mapping[str, Any]  # a row by column name (a Core RowMapping, or compiled.py's dict)
_s, _l, _a, _t, _r = tables.sales, tables.sale_lines, tables.card_attempts, tables.tenders, tables.receipts
_gs, _gr = tables.gift_card_sales, tables.gift_card_redemptions

# Built once (decision 0010). Update statements set the columns their parameters name; the where
# clause's own parameters are named apart (sid, was, aid) so they never collide with a column.
_SALE = select(_s).where(_s.c.id == bindparam("sid"))
_SALE_FOR_INTENT = select(_s).where(_s.c.payment_intent == bindparam("intent_id"))
_SALE_TILL = select(_s.c.till_id).where(_s.c.id == bindparam("sid"))
_SALES_IN = select(_s).where(_s.c.state.in_(bindparam("states", expanding=True))).order_by(_s.c.id)
_PARTS = select(_s).where(_s.c.order_id == bindparam("sid")).order_by(_s.c.id)
_UNFINISHED_PART = (
    select(_s).where(_s.c.order_id == bindparam("sid"), _s.c.state.in_(UNFINISHED)).order_by(_s.c.id.desc()).limit(1)
)
_SPLIT_SALES = (
    select(_s)
    .where(_s.c.till_id == bindparam("till_id"), _s.c.state.in_((SaleState.SPLIT, SaleState.VOIDING)))
    .order_by(_s.c.id)
)
_ADD_SALE = insert(_s)
_SET_SALE = update(_s).where(_s.c.id == bindparam("sid"))
_MOVE_SALE = update(_s).where(_s.c.id == bindparam("sid"), _s.c.state == bindparam("was"))
# A sale paid in parts (order_id NULL) or one of its card parts (order_id set) moving on.
_MOVE_ORDER = _MOVE_SALE.where(_s.c.order_id.is_(None))
_MOVE_PART = _MOVE_SALE.where(_s.c.order_id.is_not(None))
_CLOSE_UNFINISHED = update(_s).where(_s.c.id == bindparam("sid"), _s.c.state.in_(UNFINISHED))
_CLOSE_VOIDED = update(_s).where(_s.c.id == bindparam("sid"), _s.c.state.in_((SaleState.SPLIT, SaleState.VOIDING)))
_ANSWERED = update(_s).where(
    _s.c.id == bindparam("sid"), _s.c.state.in_((SaleState.CONFIRM_SENT, SaleState.READER_SENT))
)
_ADD_LINES = insert(_l)
_LINES_TO_PARK = (
    select(_l.c.product_id, _l.c.sku, _l.c.quantity).where(_l.c.sale_id == bindparam("sid")).order_by(_l.c.line_no)
)
# Every column: the receipt's transaction reads its sale's lines once, for its discount, the gift
# cards it owes, its audit digest and the receipt shown (issue 27).
_LINES = select(_l).where(_l.c.sale_id == bindparam("sid")).order_by(_l.c.line_no)
_LAST_ATTEMPT_NO = select(func.max(_a.c.attempt_no)).where(_a.c.sale_id == bindparam("sid"))
_ADD_ATTEMPT = insert(_a)
_OPEN_ATTEMPT = (
    select(_a)
    .where(_a.c.sale_id == bindparam("sid"), _a.c.state == AttemptState.SENT)
    .order_by(_a.c.attempt_no.desc())
    .limit(1)
)
_ATTEMPT_SALE = select(_a.c.sale_id).where(_a.c.id == bindparam("aid"))
_SET_ATTEMPT = update(_a).where(_a.c.id == bindparam("aid"))
_SETTLE_ATTEMPTS = update(_a).where(_a.c.sale_id == bindparam("sid"), _a.c.state == AttemptState.SENT)
_TENDER = select(_t).where(_t.c.id == bindparam("tid"))
_PART_TENDER = select(_t.c.id).where(_t.c.part_sale_id == bindparam("sid"))
_PAID_TENDERS = (
    select(_t).where(_t.c.sale_id == bindparam("sid"), _t.c.state == TenderState.PAID).order_by(_t.c.part_no)
)
_PAID_SUM = select(func.coalesce(func.sum(_t.c.amount_minor - _t.c.rounding_minor), 0)).where(
    _t.c.sale_id == bindparam("sid"), _t.c.state == TenderState.PAID
)
_KEPT_CARDS = select(func.count()).where(
    _t.c.sale_id == bindparam("sid"), _t.c.kind == TenderKind.CARD, _t.c.state == TenderState.PAID
)
_LAST_PART_NO = select(func.max(_t.c.part_no)).where(_t.c.sale_id == bindparam("sid"))
# The tender's row as written (every column), in the statement that writes it.
_ADD_TENDER = insert(_t).returning(*_t.c)
_SET_TENDER = update(_t).where(_t.c.id == bindparam("tid"))
_RETURN_PART_TENDER = update(_t).where(_t.c.part_sale_id == bindparam("sid"))
_HAND_BACK_CASH = update(_t).where(
    _t.c.sale_id == bindparam("sid"), _t.c.kind == TenderKind.CASH, _t.c.state == TenderState.PAID
)
_RECEIPT_OF_SALE = select(_r).where(_r.c.sale_id == bindparam("sid"))
_LAST_RECEIPT_ID = select(func.max(_r.c.id))
_LAST_RECEIPT_NO = select(func.max(_r.c.receipt_no)).where(_r.c.till_id == bindparam("till_id"))
# The pages a sale's receipt will be written to (the receipts table's last leaf, this till's number
# index), read in one statement: the two reads above as subqueries.
_RECEIPT_PAGES = select(_LAST_RECEIPT_ID.scalar_subquery(), _LAST_RECEIPT_NO.scalar_subquery())
_OWE_GIFT_CARD = insert(_gs).values(state="owed", shop=False)
_OPEN_REDEMPTION = (
    select(_gr.c.id).where(_gr.c.sale_id == bindparam("sid"), _gr.c.state.in_(("started", "debited"))).limit(1)
)


# The payment path's statements, run on the driver's cursor in the same transaction (compiled.py:
# SQLAlchemy's ~40 us a statement was more than the till's budget beyond Stripe; issue 27).
_RUN_SALE = cx.Statement(_SALE)
_RUN_ADD_SALE = cx.Statement(_ADD_SALE)
_RUN_SET_SALE = cx.Statement(_SET_SALE)
_RUN_MOVE_SALE = cx.Statement(_MOVE_SALE)
_RUN_ADD_LINES = cx.Statement(_ADD_LINES)
_RUN_LINES = cx.Statement(_LINES)
_RUN_ADD_ATTEMPT = cx.Statement(_ADD_ATTEMPT)
_RUN_SETTLE_ATTEMPTS = cx.Statement(_SETTLE_ATTEMPTS)
_RUN_LAST_PART_NO = cx.Statement(_LAST_PART_NO)
_RUN_ADD_TENDER = cx.Statement(_ADD_TENDER)
_RUN_RECEIPT_OF_SALE = cx.Statement(_RECEIPT_OF_SALE)
_RUN_LAST_RECEIPT_NO = cx.Statement(_LAST_RECEIPT_NO)
_RUN_RECEIPT_PAGES = cx.Statement(_RECEIPT_PAGES)


def _sale(row) -> SaleRecord:
    return SaleRecord(
        id=row["id"],
        sale_key=row["sale_key"],
        till_id=row["till_id"],
        state=SaleState(row["state"]),
        currency=row["currency"],
        total_minor=row["total_minor"],
        create=CreateIntent.from_json(json.loads(row["create_params"])),
        payment_intent=row["payment_intent"],
        created_at=row["created_at"],
        note=row["note"],
        order_id=row["order_id"],
    )


def _attempt_row(sale: SaleRecord, request: PaymentRequest, number: int, stamp: str) -> dict:
    on_reader = isinstance(request, ProcessOnReader)
    method = f"reader:{request.reader_id}" if isinstance(request, ProcessOnReader) else request.payment_method
    return {
        "sale_id": sale.id,
        "attempt_no": number,
        "payment_method": method,
        "idempotency_key": (sales.reader_key if on_reader else sales.confirm_key)(sale.sale_key, number),
        "params": json.dumps(request.to_json(), sort_keys=True),
        "state": AttemptState.SENT,
        "created_at": stamp,
        "updated_at": stamp,
    }


def _attempt_record(row: dict, attempt_id: int, request: PaymentRequest) -> AttemptRecord:
    return AttemptRecord(
        id=attempt_id,
        sale_id=row["sale_id"],
        attempt_no=row["attempt_no"],
        idempotency_key=row["idempotency_key"],
        request=request,
        state=AttemptState.SENT,
    )


def _attempt(row) -> AttemptRecord:
    return AttemptRecord(
        id=row["id"],
        sale_id=row["sale_id"],
        attempt_no=row["attempt_no"],
        idempotency_key=row["idempotency_key"],
        request=payment_request_from_json(json.loads(row["params"])),
        state=AttemptState(row["state"]),
    )


@dataclass
class _Held:
    """A sale's recovery points held in memory (Journal.hold_intent / hold_attempt): written in the
    transaction of the sale's next write, or by flush."""

    intent_id: str | None = None
    intent_at: str = ""
    attempt: dict | None = None  # the card_attempts row to insert
    on_reader: bool = False  # the attempt hands the intent to a reader (else it confirms it)
    attempt_id: int | None = None  # its id once written (in the transaction that writes it)


class SqlJournal:
    def __init__(self, engine: Engine, settings: SettingsRepo | None = None):
        self._engine = engine
        self._settings = settings or SettingsRepo(engine)
        # Sale id -> its held recovery points. Only the thread that holds the sale's lock (checkout)
        # holds or writes them, and checkout flushes before it lets the lock go.
        self._held: dict[int, _Held] = {}
        # Taken by a transaction that writes held points, from before its BEGIN until they are no
        # longer held: two transactions never both write the same held attempt.
        self._held_lock = threading.RLock()
        # The sales (and card parts) this journal began, added once committed: see started_here.
        self._begun: set[int] = set()

    def _connection(self):
        if self._held:
            # A read sees what the journal holds: a sale whose confirm may be out never reads as `started`.
            self.flush()
        return core.reading(self._engine)

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        """One transaction; whatever is held is written first, in it (and is no longer held once it commits)."""
        if not self._held:  # the common case: nothing held
            with core.writing(self._engine) as db:
                yield db
            return
        with self._held_lock:
            held = list(self._held.items())
            with core.writing(self._engine) as db:
                for sale_id, h in held:
                    self._write_held(db, sale_id, h)
                yield db
            for sale_id, h in held:
                if self._held.get(sale_id) is h:
                    del self._held[sale_id]

    @staticmethod
    def _write_held(db: Connection, sale_id: int, h: _Held) -> None:
        if h.intent_id is not None:
            cx.execute(
                db,
                _RUN_MOVE_SALE,
                {
                    "sid": sale_id,
                    "was": SaleState.STARTED,
                    "payment_intent": h.intent_id,
                    "state": SaleState.INTENT_CREATED,
                    "updated_at": h.intent_at,
                },
            )
        if h.attempt is not None:
            h.attempt_id = cx.lastrowid(db, _RUN_ADD_ATTEMPT, h.attempt)
            state = SaleState.READER_SENT if h.on_reader else SaleState.CONFIRM_SENT
            cx.execute(db, _RUN_SET_SALE, {"sid": sale_id, "state": state, "updated_at": h.attempt["updated_at"]})

    # -- held recovery points (issue 27 item 1) --------------------------------------------
    def hold_intent(self, sale: SaleRecord, intent_id: str) -> SaleRecord:
        """The intent's id, written with the sale's next write (see Journal)."""
        if sale.state is not SaleState.STARTED:
            return sale
        with self._held_lock:
            self._held[sale.id] = _Held(intent_id=intent_id, intent_at=now_iso())
        return replace(sale, state=SaleState.INTENT_CREATED, payment_intent=intent_id)

    def hold_attempt(self, sale: SaleRecord, request: PaymentRequest) -> AttemptRecord:
        """The next attempt, written with the sale's next write (see Journal). Its key is the one
        begin_attempt would give it: a crash before it is written leaves no attempt, and the next one
        takes the same number (recovery runs first, cancelling or receipting the intent)."""
        h = self._held.get(sale.id)
        if h is not None and h.attempt is not None:
            self.flush()  # one attempt held at a time
            h = None
        if h is not None and h.intent_id is not None:
            number = 1  # the sale was `started` on disk: no attempt can exist yet
        else:
            with self._connection() as db:
                number = (db.execute(_LAST_ATTEMPT_NO, {"sid": sale.id}).scalar() or 0) + 1
        row = _attempt_row(sale, request, number, now_iso())
        with self._held_lock:
            h = self._held.setdefault(sale.id, _Held())
            h.attempt, h.on_reader = row, isinstance(request, ProcessOnReader)
        # A negative id names the held attempt until it is written (record_attempt maps it).
        return _attempt_record(row, -sale.id, request)

    def flush(self) -> None:
        """Write whatever is held, in one transaction (nothing to do on the happy path)."""
        if self._held:
            with self._write():
                pass

    def holding(self) -> bool:
        return bool(self._held)

    def started_here(self, sale_id: int) -> bool:
        """This journal began the sale, so whatever it held for it is written before any read: on disk
        `started` then means no confirm went out. A sale an earlier run began may have lost its held intent
        id and confirm in a crash (hostile pass g1): the phases look its intent up before closing it."""
        return sale_id in self._begun

    # -- recovery points ---------------------------------------------------
    def begin_sale(
        self, totals: Totals, tax_inclusive: bool, create: CreateIntent, product_ids: list[int | None]
    ) -> SaleRecord:
        stamp = now_iso()
        with self._write() as db:
            _row, _last_no, sale = self._insert_sale(db, totals, tax_inclusive, create, product_ids, stamp)
        self._begun.add(sale.id)
        return sale

    def begin_cash_sale(
        self,
        totals: Totals,
        tax_inclusive: bool,
        create: CreateIntent,
        product_ids: list[int | None],
        payment: CashPayment,
    ) -> tuple[SaleRecord, Paid | PartPaid]:
        """A sale paid in cash from its start (issue 27 item 1): the sale and its lines, its cash tender
        and, when the cash settles it, its receipt, in one transaction. Nothing goes to Stripe, so no
        recovery point is needed between them: a crash leaves all of it or none."""
        stamp = now_iso()
        with self._write() as db:
            row, last_no, sale = self._insert_sale(db, totals, tax_inclusive, create, product_ids, stamp)
            paid = self._take_cash(db, sale.id, payment, stamp, fresh=row, last_no=last_no)
            return replace(sale, state=SaleState.SPLIT), paid

    def _insert_sale(
        self,
        db: Connection,
        totals: Totals,
        tax_inclusive: bool,
        create: CreateIntent,
        product_ids: list[int | None],
        stamp: str,
    ) -> tuple[dict, int | None, SaleRecord]:
        """The sale and its lines; returns its row as written (every column by name), the till's last
        receipt number as read before it (this transaction holds the write lock: it stays the last)
        and its record."""
        till_id, sale_key = create.till_id, create.sale_key
        encoded = json.dumps(create.to_json(), sort_keys=True)
        # Read the pages the receipt will be written to (the receipts table's last leaf and this
        # till's number index): damage there shows now, before any money moves, not after.
        _last_id, last_no = cx.rows(db, _RUN_RECEIPT_PAGES, till_id=till_id)[0]
        row = {
            "sale_key": sale_key,
            "till_id": till_id,
            "state": SaleState.STARTED,
            "currency": totals.currency.upper(),
            "total_minor": totals.total.minor,
            "tax_minor": totals.tax.minor,
            "subtotal_minor": totals.subtotal.minor,
            "tax_inclusive": tax_inclusive,
            "create_params": encoded,
            "created_at": stamp,
            "updated_at": stamp,
            "cart_discount_minor": totals.cart_discount.minor if totals.cart_discount else 0,
            "cart_discount_reason": totals.cart_discount_reason,
        }
        sale_id = cx.lastrowid(db, _RUN_ADD_SALE, row)
        lines = [
            {
                "sale_id": sale_id,
                "line_no": n,
                "product_id": pid,
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price_minor": line.unit_price.minor,
                "tax_rate_bp": line.tax_rate_bp,
                "net_minor": line.net.minor,
                "tax_minor": line.tax.minor,
                "gross_minor": line.gross.minor,
                "line_discount_minor": line.line_discount.minor if line.line_discount else 0,
                "cart_share_minor": line.cart_share.minor if line.cart_share else 0,
                "discount_reason": line.discount_reason,
                "measure_milli": line.measure.milli if line.measure else None,
                "unit": line.measure.unit if line.measure else None,
                "measure_price_minor": line.measure.per_unit.minor if line.measure else None,
            }
            for n, (line, pid) in enumerate(zip(totals.lines, product_ids, strict=True), start=1)
        ]
        cx.run_many(db, _RUN_ADD_LINES, lines)  # nothing for no lines (Core would insert one row of defaults)
        # The sale as started, in the transaction that writes it: recovery completes only a sale an event
        # records. Its digest is of the values just written (every one a whole number, text or None, as
        # the file holds it), not read back: audit.sale_started_covering.
        written = {**dict.fromkeys(_s.c.keys()), **row, "id": sale_id}
        audit.append(
            db, till_id, "sale_started", f"sale {sale_id}", audit.sale_started_covering(sale_id, written, lines)
        )
        return (
            written,
            last_no,
            SaleRecord(
                id=sale_id,
                sale_key=sale_key,
                till_id=till_id,
                state=SaleState.STARTED,
                currency=totals.currency.upper(),
                total_minor=totals.total.minor,
                create=create,
                payment_intent=None,
                created_at=stamp,
            ),
        )

    def record_intent(self, sale_id: int, intent_id: str) -> SaleRecord:
        with self._write() as db:
            db.execute(
                _MOVE_SALE,
                {
                    "sid": sale_id,
                    "was": SaleState.STARTED,
                    "payment_intent": intent_id,
                    "state": SaleState.INTENT_CREATED,
                    "updated_at": now_iso(),
                },
            )
            return _sale(db.execute(_SALE, {"sid": sale_id}).mappings().one())

    def begin_attempt(self, sale: SaleRecord, request: PaymentRequest) -> AttemptRecord:
        """One attempt to pay the intent: a confirm with a payment method, or a hand-off to a reader."""
        with self._write() as db:
            number = (db.execute(_LAST_ATTEMPT_NO, {"sid": sale.id}).scalar() or 0) + 1
            row = _attempt_row(sale, request, number, now_iso())
            held = _Held(attempt=row, on_reader=isinstance(request, ProcessOnReader))
            self._write_held(db, sale.id, held)
        assert held.attempt_id is not None
        return _attempt_record(row, held.attempt_id, request)

    def open_attempt(self, sale_id: int) -> AttemptRecord | None:
        """The attempt whose answer never came back, if any."""
        with self._connection() as db:
            row = db.execute(_OPEN_ATTEMPT, {"sid": sale_id}).mappings().first()
        return _attempt(row) if row else None

    def record_attempt(
        self,
        attempt_id: int,
        state: AttemptState,
        *,
        decline_code: str | None = None,
        message: str | None = None,
        charge_id: str | None = None,
    ) -> None:
        """An attempt's answer that did not finish the sale (declined, needs action, failed)."""
        stamp = now_iso()
        held = self._held.get(-attempt_id) if attempt_id < 0 else None
        with self._write() as db:
            if held is not None:  # the held attempt, written just now at the start of this transaction
                assert held.attempt_id is not None
                attempt_id = held.attempt_id
            elif attempt_id < 0:  # held, and written since by an earlier transaction: the sale's open one
                attempt_id = db.execute(_OPEN_ATTEMPT, {"sid": -attempt_id}).mappings().one()["id"]
            sale_id = db.execute(_ATTEMPT_SALE, {"aid": attempt_id}).scalar_one()
            db.execute(
                _SET_ATTEMPT,
                {
                    "aid": attempt_id,
                    "state": state,
                    "decline_code": decline_code,
                    "message": message,
                    "charge_id": charge_id,
                    "updated_at": stamp,
                },
            )
            db.execute(_ANSWERED, {"sid": sale_id, "state": SaleState.INTENT_CREATED, "updated_at": stamp})

    def finish_paid(self, sale_id: int, intent: Intent) -> Receipt:
        """Write the receipt and close the sale in one transaction (a no-op if already done)."""
        stamp = now_iso()
        with self._write() as db:
            sale = _one(cx.first(db, _RUN_SALE, {"sid": sale_id}), f"sale {sale_id}")
            receipt = cx.first(db, _RUN_RECEIPT_OF_SALE, {"sid": sale_id})
            if receipt is None:
                self._check_paid(sale, intent)
                self._settle_attempts(db, sale, intent, stamp)
                paid, charged = _card_amounts(intent, sale["currency"])
                tender = _add_tender(db, sale, TenderKind.CARD, paid, charged, 0, 0, stamp, sale_id, intent)
                # The sale's first tender is its only one; the receipt's statement marks the sale paid
                # with its intent (what _card_paid's would have: one UPDATE, not two).
                only = [tender] if tender["part_no"] == 1 else None
                written = self._write_receipt(db, sale, stamp, tenders=only, payment_intent=intent.id)
                return self._receipt(db, written, sale)
            return self._receipt(db, receipt, sale)

    @staticmethod
    def _check_paid(sale, intent: Intent) -> None:
        if intent.status is not IntentStatus.SUCCEEDED:
            raise JournalIntegrityError(f"sale {sale['id']}: intent {intent.id} is {intent.status}")
        if (intent.amount - intent.tip, intent.currency.upper()) != (sale["total_minor"], sale["currency"]):
            raise JournalIntegrityError(
                f"sale {sale['id']}: intent {intent.id} is for {intent.amount} {intent.currency}, "
                f"the sale for {sale['total_minor']} {sale['currency']}"
            )

    @classmethod
    def _card_paid(cls, db: Connection, sale, intent: Intent, stamp: str) -> None:
        """The confirm that went through, and the sale (or card part) it paid, marked paid."""
        cls._settle_attempts(db, sale, intent, stamp)
        db.execute(
            _SET_SALE, {"sid": sale["id"], "state": SaleState.PAID, "payment_intent": intent.id, "updated_at": stamp}
        )

    @staticmethod
    def _settle_attempts(db: Connection, sale, intent: Intent, stamp: str) -> None:
        """The confirm that went through."""
        cx.execute(
            db,
            _RUN_SETTLE_ATTEMPTS,
            {
                "sid": sale["id"],
                "state": AttemptState.SUCCEEDED,
                "charge_id": intent.charge_id,
                "card_brand": intent.card_brand,
                "card_last4": intent.card_last4,
                "updated_at": stamp,
            },
        )

    def _write_receipt(
        self,
        db,
        order,
        stamp: str,
        *,
        tenders: Sequence[_Row] | None = None,
        payment_intent: str | None = None,
        last_no: int | None = None,
    ) -> _Written:
        """The sale's numbered receipt, from its paid tenders; the sale is paid in the same transaction
        (with `payment_intent`, when given, set on it too). Its lines and tenders are read once here and
        handed on (nothing in this transaction changes them after): not a cache, they live only as long
        as the transaction. `tenders`: the sale's paid tenders when its caller holds them (the one it
        has just written, as written), else they are read; `last_no`: the till's last receipt number
        when this transaction has read it already (else it is read)."""
        till_id = order["till_id"]
        # Gapless: the next number is taken inside the transaction that records the paid sale.
        if last_no is None:
            last_no = cx.scalar(db, _RUN_LAST_RECEIPT_NO, {"till_id": till_id})
        number = (last_no or 0) + 1
        if tenders is None:
            tenders = db.execute(_PAID_TENDERS, {"sid": order["id"]}).mappings().all()
        cards = [t for t in tenders if t["kind"] == TenderKind.CARD]
        cash = [t for t in tenders if t["kind"] == TenderKind.CASH]
        # A sale paid by one card keeps its intent on the receipt (searchable, as before cash); the
        # receipt names the last card either way, so a search by the last four digits finds it.
        single = cards[0]["payment_intent"] if len(cards) == 1 and len(tenders) == 1 else None
        card = cards[-1] if cards else None
        store = self._settings.load()
        lines = cx.mappings(db, _RUN_LINES, {"sid": order["id"]})
        discount = sum(line["line_discount_minor"] + line["cart_share_minor"] for line in lines)
        receipt = add_receipt_row(
            db,
            till_id=till_id,
            receipt_no=number,
            sale_id=order["id"],
            created_at=stamp,
            currency=order["currency"],
            total_minor=order["total_minor"],
            tax_minor=order["tax_minor"],
            discount_minor=discount,
            payment_intent=single,
            card_brand=card["card_brand"] if card else None,
            card_last4=card["card_last4"] if card else None,
            card_minor=sum(t["amount_minor"] for t in cards),
            cash_minor=sum(t["amount_minor"] for t in cash),
            change_minor=sum(t["change_minor"] for t in cash),
            rounding_minor=sum(t["rounding_minor"] for t in tenders),
            store_name=store.store_name,
            store_address=store.address,
            receipt_footer=store.receipt_footer,
            cashier=audit.current_actor(),
        )
        receipt_id = receipt["id"]
        paid = {"sid": order["id"], "state": SaleState.PAID, "updated_at": stamp}
        cx.execute(db, _RUN_SET_SALE, paid if payment_intent is None else {**paid, "payment_intent": payment_intent})
        _owe_gift_cards(db, order, stamp, lines)
        # In the same transaction: the receipt cannot exist without its link in the audit trail. Its
        # digest is of the rows as written, as the statements that wrote them returned them (the same
        # as covering(db, "receipt", ...)).
        audit.append(
            db,
            till_id,
            "sale_paid",
            f"receipt {audit.numbered(till_id, number)}",
            audit.receipt_covering(receipt_id, receipt, tenders, lines),
        )
        # Its tracked lines leave the shelf in the same transaction: never a sale without its movement.
        stock.sale_moved(db, order["id"], audit.numbered(till_id, number))
        return _Written(receipt, lines, tenders)

    # -- a sale paid in parts (cash, several cards) ------------------------------------
    def split(self, sale_id: int) -> SaleRecord:
        """A sale that never had an intent recorded goes straight to being paid in parts."""
        with self._write() as db:
            db.execute(
                _MOVE_ORDER,
                {"sid": sale_id, "was": SaleState.STARTED, "state": SaleState.SPLIT, "updated_at": now_iso()},
            )
            return _sale(db.execute(_SALE, {"sid": sale_id}).mappings().one())

    def take_cash(self, sale_id: int, payment: CashPayment) -> Paid | PartPaid:
        """Cash taken for a sale, in one transaction: the tender, and the receipt when it settles the sale."""
        stamp = now_iso()
        with self._write() as db:
            return self._take_cash(db, sale_id, payment, stamp)

    def _take_cash(
        self,
        db: Connection,
        sale_id: int,
        payment: CashPayment,
        stamp: str,
        *,
        fresh: dict | None = None,
        last_no: int | None = None,
    ) -> Paid | PartPaid:
        """`fresh`: the sale's row, inserted in this same transaction, so it has no card part, gift card
        redemption or tender yet (nothing else can have written one): those reads are skipped, and
        the row is not read back; `last_no`: the till's last receipt number as this transaction read it."""
        order = fresh if fresh is not None else db.execute(_SALE, {"sid": sale_id}).mappings().one()
        if order["state"] not in (SaleState.STARTED, SaleState.SPLIT) or order["order_id"] is not None:
            raise SaleChanged(f"This sale cannot take cash now ({order['state']}).")
        if fresh is None:
            if self._unfinished_part(db, sale_id) is not None:
                raise SaleChanged("A card payment for this sale is still open; settle it first.")
            _no_open_gift_card(db, sale_id)
        due = int(order["total_minor"]) if fresh is not None else _due(db, order)
        if due != payment.due.minor:
            raise SaleChanged(f"The sale now owes {Money(due, order['currency'])}; look at it again.")
        if not payment.settles:  # else the receipt's transaction marks it paid (below), in this one
            db.execute(_SET_SALE, {"sid": sale_id, "state": SaleState.SPLIT, "updated_at": stamp})
        tender = _add_tender(
            db,
            order,
            TenderKind.CASH,
            payment.applied,
            payment.tendered,
            payment.change.minor,
            payment.rounding.minor,
            stamp,
            part_no=1 if fresh is not None else None,
        )
        if payment.settles:
            only = [tender] if tender["part_no"] == 1 else None  # the sale's first tender is its only one
            written = self._write_receipt(db, order, stamp, tenders=only, last_no=last_no)
            return Paid(self._receipt(db, written, order))
        return PartPaid(tender_from_row(tender), Money(_due(db, order), order["currency"]))

    def add_part(self, db, sale_id: int, kind: TenderKind, amount: Money, last4: str) -> tuple[int, Paid | PartPaid]:
        """Inside the caller's write transaction (`db`: its Core connection), for
        a tender taken outside the till that records its own row with it (a gift card redemption): the
        sale's paid part (its tender) and, when it settles the sale, the receipt. Written whatever
        became of the sale meanwhile (money moved, so the part is on record); the receipt only while
        the sale is being paid in parts."""
        stamp = now_iso()
        order = db.execute(_SALE, {"sid": sale_id}).mappings().one()
        tender_id = _add_tender(db, order, kind, amount, amount, 0, 0, stamp)["id"]
        db.execute(_SET_TENDER, {"tid": tender_id, "card_last4": last4})
        if order["state"] == SaleState.SPLIT and _due(db, order) <= 0:
            return tender_id, Paid(self._receipt(db, self._write_receipt(db, order, stamp), order))
        return tender_id, PartPaid(_tender_by_id(db, tender_id), Money(_due(db, order), order["currency"]))

    def begin_part(self, sale_id: int, create: CreateIntent) -> SaleRecord:
        """A card part of a sale paid in parts: its own journal row, with its own key, before Stripe hears of it."""
        stamp = now_iso()
        with self._write() as db:
            order = db.execute(_SALE, {"sid": sale_id}).mappings().one()
            if order["state"] != SaleState.SPLIT:
                raise SaleChanged(f"This sale is not being paid in parts ({order['state']}).")
            if self._unfinished_part(db, sale_id) is not None:
                raise SaleChanged("A card payment for this sale is still open; settle it first.")
            _no_open_gift_card(db, sale_id)
            due = _due(db, order)
            if not 0 < create.amount.minor <= due:
                raise SaleChanged(
                    f"A card part must be more than nothing and at most what is due ({Money(due, order['currency'])})."
                )
            db.execute(_LAST_RECEIPT_NO, {"till_id": order["till_id"]}).scalar()
            part_id = db.execute(
                _ADD_SALE,
                {
                    "sale_key": create.sale_key,
                    "till_id": order["till_id"],
                    "state": SaleState.STARTED,
                    "currency": order["currency"],
                    "total_minor": create.amount.minor,
                    "tax_minor": 0,
                    "subtotal_minor": 0,
                    "tax_inclusive": order["tax_inclusive"],
                    "create_params": json.dumps(create.to_json(), sort_keys=True),
                    "created_at": stamp,
                    "updated_at": stamp,
                    "order_id": sale_id,
                    "cart_discount_minor": 0,
                },
            ).lastrowid
            audit.append(
                db,
                order["till_id"],
                "sale_started",
                f"card part {part_id} of sale {sale_id}",
                audit.covering(db, "sale_started", part_id),
            )
            part = _sale(db.execute(_SALE, {"sid": part_id}).mappings().one())
        self._begun.add(part.id)
        return part

    def finish_part(self, part_id: int, intent: Intent) -> Paid | PartPaid:
        """A card part went through: its tender, and the receipt if it settles the sale, in one transaction."""
        stamp = now_iso()
        with self._write() as db:
            part = db.execute(_SALE, {"sid": part_id}).mappings().one()
            order = db.execute(_SALE, {"sid": part["order_id"]}).mappings().one()
            if part["state"] != SaleState.PAID:
                self._check_paid(part, intent)
                self._card_paid(db, part, intent, stamp)
                paid, charged = _card_amounts(intent, order["currency"])
                _add_tender(db, order, TenderKind.CARD, paid, charged, 0, 0, stamp, part_id, intent)
                # Written whatever became of the sale meanwhile: money moved, so the part is on record.
                if order["state"] == SaleState.SPLIT and _due(db, order) <= 0:
                    self._write_receipt(db, order, stamp)
            return self._part_result(db, part_id)

    def part_result(self, part_id: int) -> Paid | PartPaid:
        with self._connection() as db:
            return self._part_result(db, part_id)

    def _part_result(self, db, part_id: int) -> Paid | PartPaid:
        part = db.execute(_SALE, {"sid": part_id}).mappings().one()
        order = db.execute(_SALE, {"sid": part["order_id"]}).mappings().one()
        receipt = db.execute(_RECEIPT_OF_SALE, {"sid": order["id"]}).mappings().first()
        if receipt is not None:
            return Paid(self._receipt(db, receipt, order))
        tender_id = db.execute(_PART_TENDER, {"sid": part_id}).scalar()
        if tender_id is None:
            raise JournalIntegrityError(f"card part {part_id} is paid but has no tender")
        return PartPaid(_tender_by_id(db, tender_id), Money(_due(db, order), order["currency"]))

    def begin_return(self, part_id: int) -> SaleRecord:
        with self._write() as db:
            db.execute(
                _MOVE_PART,
                {"sid": part_id, "was": SaleState.PAID, "state": SaleState.RETURN_SENT, "updated_at": now_iso()},
            )
            return _sale(db.execute(_SALE, {"sid": part_id}).mappings().one())

    def finish_return(self, part_id: int, refund_id: str) -> None:
        stamp = now_iso()
        note = f"given back by Stripe refund {refund_id}"
        with self._write() as db:
            db.execute(
                _MOVE_SALE,
                {
                    "sid": part_id,
                    "was": SaleState.RETURN_SENT,
                    "state": SaleState.RETURNED,
                    "note": note,
                    "updated_at": stamp,
                },
            )
            db.execute(
                _RETURN_PART_TENDER, {"sid": part_id, "state": TenderState.RETURNED, "note": note, "updated_at": stamp}
            )

    def begin_void(self, sale_id: int) -> SaleRecord:
        """The cashier is voiding a sale paid in parts: from now on a card part that turns out paid
        records its tender without completing the sale (finish_part writes receipts only while `split`)."""
        with self._write() as db:
            db.execute(
                _MOVE_ORDER,
                {"sid": sale_id, "was": SaleState.SPLIT, "state": SaleState.VOIDING, "updated_at": now_iso()},
            )
            return _sale(db.execute(_SALE, {"sid": sale_id}).mappings().one())

    def close_voided(self, sale_id: int, note: str, record: VoidNote | None = None) -> None:
        """A voided sale whose card parts were all given back: its cash goes back too, and it is closed,
        with the void's record (`record`) in the same transaction: never a void without its record."""
        stamp = now_iso()
        with self._write() as db:
            if db.execute(_KEPT_CARDS, {"sid": sale_id}).scalar_one():
                raise SaleChanged("A card part of this sale has not been given back yet.")
            db.execute(
                _HAND_BACK_CASH,
                {"sid": sale_id, "state": TenderState.RETURNED, "note": "handed back in cash", "updated_at": stamp},
            )
            db.execute(_CLOSE_VOIDED, {"sid": sale_id, "state": SaleState.ABANDONED, "note": note, "updated_at": stamp})
            if record is not None:
                self._write_void(db, sale_id, record)

    def record_void(self, sale_id: int, record: VoidNote) -> None:
        """The record of a sale voided with nothing paid (closed by its abandon, which moved no money)."""
        with self._write() as db:
            self._write_void(db, sale_id, record)

    @staticmethod
    def _write_void(db: Connection, sale_id: int, record: VoidNote) -> None:
        till_id = db.execute(_SALE_TILL, {"sid": sale_id}).scalar_one()
        amount = record.amount
        write_void(db, till_id, "sale", sale_id, amount.minor, amount.currency, record.reason, record.approved_by)

    def parts(self, sale_id: int) -> list[SaleRecord]:
        """A sale's card parts, in the order they were started."""
        with self._connection() as db:
            rows = db.execute(_PARTS, {"sid": sale_id}).mappings().all()
        return [_sale(r) for r in rows]

    def unfinished_part(self, sale_id: int) -> SaleRecord | None:
        with self._connection() as db:
            return self._unfinished_part(db, sale_id)

    @staticmethod
    def _unfinished_part(db: Connection, sale_id: int) -> SaleRecord | None:
        row = db.execute(_UNFINISHED_PART, {"sid": sale_id}).mappings().first()
        return _sale(row) if row else None

    def tenders(self, sale_id: int) -> tuple[Tender, ...]:
        with self._connection() as db:
            return read_tenders(db, sale_id)

    def standing(self, sale_id: int) -> SaleStanding:
        """The sale's row, its paid parts and what it owes, in one read (a Pay asks this once)."""
        with self._connection() as db:
            order = db.execute(_SALE, {"sid": sale_id}).mappings().one()
            return SaleStanding(_sale(order), read_tenders(db, sale_id), Money(_due(db, order), order["currency"]))

    def due(self, sale_id: int) -> Money:
        with self._connection() as db:
            order = db.execute(_SALE, {"sid": sale_id}).mappings().one()
            return Money(_due(db, order), order["currency"])

    def split_sales(self, till_id: str) -> list[SaleRecord]:
        """This till's sales being paid in parts or voided (left open by a crash, or between two tenders)."""
        with self._connection() as db:
            rows = db.execute(_SPLIT_SALES, {"till_id": till_id}).mappings().all()
        return [_sale(r) for r in rows]

    def close_sale(self, sale_id: int, state: SaleState, note: str) -> None:
        if state not in (SaleState.ABANDONED, SaleState.PARKED, SaleState.SPLIT):
            raise ValueError(f"a sale is closed as abandoned, parked or split, not {state}")
        stamp = now_iso()
        with self._write() as db:
            db.execute(_CLOSE_UNFINISHED, {"sid": sale_id, "state": state, "note": note, "updated_at": stamp})
            db.execute(
                _SETTLE_ATTEMPTS, {"sid": sale_id, "state": AttemptState.FAILED, "message": note, "updated_at": stamp}
            )

    def note(self, sale_id: int, note: str) -> None:
        with self._write() as db:
            db.execute(_SET_SALE, {"sid": sale_id, "note": note, "updated_at": now_iso()})

    # -- reads ---------------------------------------------------------------
    def sale(self, sale_id: int) -> SaleRecord:
        with self._connection() as db:
            return _sale(_one(cx.first(db, _RUN_SALE, {"sid": sale_id}), f"sale {sale_id}"))

    def sale_for_intent(self, intent_id: str) -> SaleRecord | None:
        with self._connection() as db:
            row = db.execute(_SALE_FOR_INTENT, {"intent_id": intent_id}).mappings().first()
        return _sale(row) if row else None

    def _sales_in(self, states: tuple[str, ...]) -> list[SaleRecord]:
        with self._connection() as db:
            rows = db.execute(_SALES_IN, {"states": list(states)}).mappings().all()
        return [_sale(r) for r in rows]

    def is_recorded(self, sale_id: int) -> bool:
        """Whether the audit trail records this sale as it was started (a row written behind the
        till's back is not, and recovery never completes it)."""
        with self._connection() as db:
            return audit.is_covered(db, "sale_started", sale_id)

    def unfinished_sales(self) -> list[SaleRecord]:
        return self._sales_in(UNFINISHED)

    def parked_sales(self) -> list[SaleRecord]:
        return self._sales_in((SaleState.PARKED,))

    def sale_lines(self, sale_id: int) -> list[tuple[int | None, str, int]]:
        """(product id, sku, quantity) per line, to rebuild a parked cart."""
        with self._connection() as db:
            rows = db.execute(_LINES_TO_PARK, {"sid": sale_id}).all()
        return [(r.product_id, r.sku, r.quantity) for r in rows]

    def resume_parked(self, sale_id: int) -> None:
        """A parked sale's cart went back to the till: it is no longer waiting."""
        with self._write() as db:
            db.execute(
                _MOVE_SALE,
                {
                    "sid": sale_id,
                    "was": SaleState.PARKED,
                    "state": SaleState.ABANDONED,
                    "note": "resumed into a new sale",
                    "updated_at": now_iso(),
                },
            )

    def receipt_for_sale(self, sale_id: int) -> Receipt | None:
        with self._connection() as db:
            row = db.execute(_RECEIPT_OF_SALE, {"sid": sale_id}).mappings().first()
            return self._receipt(db, row) if row else None

    def _receipt(self, db: Connection, row, sale=None) -> Receipt:
        """The receipt of a receipts row, or of a receipt just written (its lines and tenders as read)."""
        if isinstance(row, _Written):
            written = row.lines, row.tenders
            return build_receipt(db, row.receipt, self._settings.load(), sale, *written, just_written=True)
        return build_receipt(db, row, self._settings.load(), sale)


@dataclass(frozen=True)
class _Written:
    """A receipt just written, with the rows its transaction read for it: the receipts row, its
    sale's lines by number and paid tenders by part (every column of each)."""

    receipt: _Row
    lines: Sequence[_Row]
    tenders: Sequence[_Row]


def _one(row: dict | None, what: str) -> dict:
    """The row a statement had to find (as Core's .one() insists)."""
    if row is None:
        raise NoResultFound(f"No row was found: {what}")
    return row


def _due(db: Connection, order) -> int:
    """What a sale still owes: its total less what its paid tenders paid of it (rounding aside)."""
    paid = db.execute(_PAID_SUM, {"sid": order["id"]}).scalar_one()
    return int(order["total_minor"] - paid)


def _owe_gift_cards(db: Connection, order, stamp: str, lines) -> None:
    """In the receipt's transaction: each gift card the sale sold or reloaded is owed to its customer
    (services/tenders/gift_card.GiftCardPayments.activate_sold writes it to the card's ledger, once)."""
    for line in lines:
        sold = sold_card(line["sku"])
        if sold is None:
            continue
        db.execute(
            _OWE_GIFT_CARD,
            {
                "sale_id": order["id"],
                "line_no": line["line_no"],
                "code": sold[0],
                "reload": sold[1],
                "currency": order["currency"],
                "amount_minor": line["unit_price_minor"] * line["quantity"],
                "created_at": stamp,
                "updated_at": stamp,
            },
        )


def _no_open_gift_card(db: Connection, sale_id: int) -> None:
    """A gift card part whose ledger answer is not journaled yet may have debited the card: no other
    tender until it is settled (services/tenders/gift_card.py), or the sale could be paid twice."""
    if db.execute(_OPEN_REDEMPTION, {"sid": sale_id}).first() is not None:
        raise SaleChanged("A gift card payment for this sale is still open; settle it first.")


def _card_amounts(intent: Intent, currency: str) -> tuple[Money, Money]:
    """What a card paid of the sale, and what it was charged (with the tip the customer added)."""
    return Money(intent.amount - intent.tip, currency), Money(intent.amount, currency)


def _add_tender(
    db: Connection,
    order,
    kind: TenderKind,
    amount: Money,
    tendered: Money,
    change_minor: int,
    rounding_minor: int,
    stamp: str,
    part_sale_id: int | None = None,
    intent: Intent | None = None,
    *,
    part_no: int | None = None,
) -> _Row:
    """A paid tender (its row as written); `part_no` when the caller knows it is the sale's first
    (else the next is read)."""
    if part_no is None:
        part_no = (cx.scalar(db, _RUN_LAST_PART_NO, {"sid": order["id"]}) or 0) + 1
    return cx.mappings(
        db,
        _RUN_ADD_TENDER,
        {
            "sale_id": order["id"],
            "part_no": part_no,
            "kind": kind,
            "state": TenderState.PAID,
            "currency": order["currency"],
            "amount_minor": amount.minor,
            "tendered_minor": tendered.minor,
            "change_minor": change_minor,
            "rounding_minor": rounding_minor,
            "part_sale_id": part_sale_id,
            "payment_intent": intent.id if intent else None,
            "card_brand": intent.card_brand if intent else None,
            "card_last4": intent.card_last4 if intent else None,
            "card_present": intent.card_present.to_json() if intent and intent.card_present else None,
            "created_at": stamp,
            "updated_at": stamp,
        },
    )[0]


def _tender_by_id(db: Connection, tender_id: int) -> Tender:
    return tender_from_row(db.execute(_TENDER, {"tid": tender_id}).mappings().one())
