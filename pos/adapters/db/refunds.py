"""The refund journal in SQLite: a refund recorded before Stripe is asked, numbered when it succeeds."""

from __future__ import annotations

import json

from sqlalchemy import bindparam, case, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from pos.domain.catalog import is_gift_card_sku
from pos.domain.money import Money
from pos.domain.refunds import PaidPart, RefundableLine, RefundError, RefundPart, RefundReceipt, lines_amount
from pos.domain.tender import TenderKind
from pos.services.refund_journal import RefundBasis, RefundRecord
from pos.services.requests import CreateRefund
from pos.services.states import RefundState, TenderState
from pos.services.tenders import RefundRoute, strategy

from . import audit, core, stock
from . import schema as tables
from .raw import now_iso, parse_iso
from .schema import COPIED_SALE_PREFIX
from .returns import next_refund_no


# Refunds that take from what a receipt can still give back: made, or asked and not yet answered.
COUNTED = (RefundState.SENT, RefundState.SUCCEEDED)

_F, _FL, _R, _S, _L, _T = (
    tables.refunds,
    tables.refund_lines,
    tables.receipts,
    tables.sales,
    tables.sale_lines,
    tables.tenders,
)
_OF_RECEIPT = (_F.c.receipt_id == bindparam("receipt_id")) & _F.c.state.in_(COUNTED)
_RECEIPT = select(_R).where(_R.c.id == bindparam("receipt_id"))
_PENDING = select(func.coalesce(func.sum(_F.c.amount_minor), 0), func.coalesce(func.sum(_F.c.tax_minor), 0)).where(
    _OF_RECEIPT
)
_REFUNDED_UNITS = (
    select(_FL.c.line_no, func.sum(_FL.c.quantity))
    .join(_F, _F.c.id == _FL.c.refund_id)
    .where(_OF_RECEIPT)
    .group_by(_FL.c.line_no)
)
_SALE_LINES = select(_L).where(_L.c.sale_id == bindparam("sale_id")).order_by(_L.c.line_no)
_GIVEN = (
    select(
        _F.c.tender_id,
        func.sum(_F.c.amount_minor),
        func.sum(case((_F.c.tender_kind == "cash", _F.c.amount_minor + _F.c.rounding_minor), else_=0)),
    )
    .where(_OF_RECEIPT)
    .group_by(_F.c.tender_id)
)
_PAID_TENDERS = (
    select(_T).where(_T.c.sale_id == bindparam("sale_id"), _T.c.state == TenderState.PAID).order_by(_T.c.part_no)
)
_REFUND = select(_F).where(_F.c.id == bindparam("id"))
_ADD = insert(_F)
_ADD_LINES = insert(_FL)
_NUMBERED = update(_F).where(_F.c.id == bindparam("refund_id"))
_ADD_TO_RECEIPT = update(_R).where(_R.c.id == bindparam("receipt_id"))
_LINE_NAMES = select(_L.c.line_no, _L.c.name).where(_L.c.sale_id == bindparam("sale_id"))
_UNITS = select(_FL.c.line_no, _FL.c.quantity).where(_FL.c.refund_id == bindparam("id")).order_by(_FL.c.line_no)
_TENDER = select(_T).where(_T.c.id == bindparam("id"))
_FAILED = (
    update(_F)
    .where(_F.c.id == bindparam("refund_id"), _F.c.state == RefundState.SENT)
    .values(state=RefundState.FAILED, message=bindparam("text"), updated_at=bindparam("at"))
)
_UNFINISHED = select(_F).where(_F.c.state == RefundState.SENT).order_by(_F.c.id)
_FOR_RECEIPT = select(_F).where(_F.c.receipt_id == bindparam("receipt_id")).order_by(_F.c.id)
_SALE_KEY = select(_S.c.sale_key).join(_R, _S.c.id == _R.c.sale_id).where(_R.c.id == bindparam("receipt_id"))


def _record(row) -> RefundRecord:
    return RefundRecord(
        id=row.id,
        refund_key=row.refund_key,
        receipt_id=row.receipt_id,
        state=RefundState(row.state),
        amount_minor=row.amount_minor,
        currency=row.currency,
        # Only a refund given back through Stripe has a Stripe request (cash leaves the drawer; a gift
        # card or store credit goes back to its balance).
        request=CreateRefund.from_json(json.loads(row.params), row.currency)
        if strategy(row.tender_kind).refund is RefundRoute.STRIPE
        else None,
        created_at=row.created_at,
        refund_no=row.refund_no,
        stripe_refund=row.stripe_refund,
        message=row.message,
        rounding_minor=row.rounding_minor,
        given_as=TenderKind(row.tender_kind),
        tender_id=row.tender_id,
    )


def _is_copy(conn: Connection, receipt_id: int) -> bool:
    """A receipt brought from the shop database (adapters/shop/copies.py): its sale's key says so."""
    key = conn.execute(_SALE_KEY, {"receipt_id": receipt_id}).scalar()
    return key is not None and str(key).startswith(COPIED_SALE_PREFIX)


class SqlRefunds:
    def __init__(self, engine: Engine, settings_repo):
        self._engine = engine
        self._settings = settings_repo

    def _basis(self, conn: Connection, receipt_id: int) -> RefundBasis:
        receipt = conn.execute(_RECEIPT, {"receipt_id": receipt_id}).first()
        if receipt is None:
            raise RefundError("There is no such receipt.")
        pending, tax_refunded = conn.execute(_PENDING, {"receipt_id": receipt_id}).one()
        refunded_units = {
            line_no: units for line_no, units in conn.execute(_REFUNDED_UNITS, {"receipt_id": receipt_id})
        }
        lines = tuple(
            RefundableLine(
                line_no=row.line_no,
                name=row.name,
                quantity=row.quantity,
                gross_minor=row.gross_minor,
                refunded_quantity=refunded_units.get(row.line_no, 0),
                tax_minor=row.tax_minor,
                gift_card=is_gift_card_sku(row.sku),
            )
            for row in conn.execute(_SALE_LINES, {"sale_id": receipt.sale_id})
        )
        given = {
            tender_id: (value, cash) for tender_id, value, cash in conn.execute(_GIVEN, {"receipt_id": receipt_id})
        }
        tenders = conn.execute(_PAID_TENDERS, {"sale_id": receipt.sale_id}).all()
        parts = tuple(
            PaidPart(
                tender_id=t.id,
                kind=TenderKind(t.kind),
                amount_minor=t.amount_minor,
                refunded_minor=given.get(t.id, (0, 0))[0],
                card_brand=t.card_brand,
                card_last4=t.card_last4,
                rounding_minor=t.rounding_minor,
                cash_back_minor=given.get(t.id, (0, 0))[1],
            )
            for t in tenders
        )
        return RefundBasis(
            parts=parts,
            intents=tuple((t.id, t.payment_intent) for t in tenders if t.payment_intent),
            receipt_id=receipt_id,
            receipt_no=receipt.receipt_no,
            till_id=receipt.till_id,
            currency=receipt.currency,
            total_minor=receipt.total_minor,
            refunded_minor=pending,
            payment_intent=receipt.payment_intent,
            lines=lines,
            tax_minor=receipt.tax_minor,
            tax_refunded_minor=tax_refunded,
        )

    def basis(self, receipt_id: int) -> RefundBasis:
        with core.reading(self._engine) as conn:
            return self._basis(conn, receipt_id)

    def begin_refund(
        self,
        basis: RefundBasis,
        lines: dict[int, int],
        pieces: list[tuple[RefundPart, CreateRefund, int]],
        written_off: frozenset[int] = frozenset(),
    ) -> list[RefundRecord]:
        """Journal every piece of a refund in one transaction, each as sent: card pieces go to Stripe,
        cash pieces are done when their phase runs (refund_phases). The lines go with the first."""
        stamp = now_iso()
        amount_minor = sum(piece.amount_minor for piece, _request, _tax in pieces)
        with core.writing(self._engine) as conn:
            # Checked again under the write lock: two tills refunding one receipt cannot both pass.
            fresh = self._basis(conn, basis.receipt_id)
            if (fresh.refunded_minor, fresh.tax_refunded_minor) != (basis.refunded_minor, basis.tax_refunded_minor):
                # The shares (and the tax in them) were worked out from what was refunded before.
                raise RefundError("Another refund of this receipt was made just now. Look at it again, then retry.")
            if amount_minor > fresh.remaining_minor:
                raise RefundError(
                    f"That is more than what is left to refund on this receipt "
                    f"({Money(fresh.remaining_minor, fresh.currency)})."
                )
            left = {line.line_no: line.remaining_quantity for line in fresh.lines}
            for line_no, units in lines.items():
                if units > left.get(line_no, 0):
                    raise RefundError("Some of those items were refunded already.")
            # Another till's receipt (copied from the shop database) is refunded under this till's id
            # and numbering; a receipt of this till, under the till id it was sold under (as ever).
            till_id = self._settings.load().till_id if _is_copy(conn, basis.receipt_id) else basis.till_id
            ids = []
            for n, (piece, request, tax_minor) in enumerate(pieces):
                cash = piece.given_as is TenderKind.CASH
                sent = piece.given_as is TenderKind.CARD  # only card pieces are ever sent to Stripe
                refund_id = conn.execute(
                    _ADD,
                    {
                        "refund_key": request.refund_key,
                        "receipt_id": basis.receipt_id,
                        "till_id": till_id,
                        "state": RefundState.SENT,
                        "amount_minor": piece.amount_minor,
                        "currency": basis.currency,
                        "reason": request.reason,
                        "params": json.dumps(request.to_json(), sort_keys=True) if sent else "{}",
                        "created_at": stamp,
                        "updated_at": stamp,
                        "tax_minor": tax_minor,
                        "tender_id": piece.tender_id,
                        "tender_kind": piece.given_as,
                        "cash_for_card": piece.cash_for_card,
                        "rounding_minor": piece.rounding_minor if cash else 0,
                    },
                ).lastrowid
                returned = [
                    {
                        "refund_id": refund_id,
                        "line_no": ln,
                        "quantity": q,
                        "amount_minor": lines_amount(list(fresh.lines), {ln: q}, fresh.currency),
                        "to_stock": ln not in written_off,
                    }
                    for ln, q in lines.items()
                    if q > 0
                ]
                if n == 0 and returned:
                    conn.execute(_ADD_LINES, returned)
                ids.append(refund_id)
            for refund_id in ids:  # each piece as asked for: `pos recover` completes only what an event records
                audit.append(
                    conn,
                    till_id,
                    "refund_started",
                    f"refund {refund_id} of receipt {audit.numbered(fresh.till_id, fresh.receipt_no)}",
                    audit.covering(conn, "refund_started", refund_id),
                )
            return [_record(conn.execute(_REFUND, {"id": i}).one()) for i in ids]

    def finish_refund(
        self, refund_id: int, stripe_refund: str | None, store_credit_code: str | None = None
    ) -> RefundReceipt:
        """Number the refund and add it to the receipt, in one transaction (a no-op if done already);
        a piece given as store credit keeps its code."""
        with core.writing(self._engine) as conn:
            self._number(conn, refund_id, stripe_refund, now_iso(), store_credit_code)
            return self._refund_receipt(conn, conn.execute(_REFUND, {"id": refund_id}).one())

    @staticmethod
    def _number(
        conn: Connection, refund_id: int, stripe_refund: str | None, stamp: str, store_credit_code: str | None = None
    ) -> None:
        row = conn.execute(_REFUND, {"id": refund_id}).one()
        if row.state == RefundState.SUCCEEDED:
            return
        number = next_refund_no(conn, row.till_id)  # gapless over refunds and unverified returns
        conn.execute(
            _NUMBERED,
            {
                "refund_id": refund_id,
                "state": RefundState.SUCCEEDED,
                "refund_no": number,
                "stripe_refund": stripe_refund,
                "message": None,
                "updated_at": stamp,
                "cashier": audit.current_actor(),
                "store_credit_code": store_credit_code,
            },
        )
        till = row.till_id
        audit.append(
            conn, till, "refund", f"refund {audit.numbered(till, number)}", audit.covering(conn, "refund", refund_id)
        )
        # Its returned lines go back to stock (or are written off) as it is numbered, in its transaction.
        stock.refund_moved(conn, refund_id, audit.numbered(till, number))
        receipt = conn.execute(_RECEIPT, {"receipt_id": row.receipt_id}).one()
        refunded = receipt.refunded_minor + row.amount_minor
        status = "refunded" if refunded >= receipt.total_minor else "partially_refunded"
        conn.execute(_ADD_TO_RECEIPT, {"receipt_id": row.receipt_id, "refunded_minor": refunded, "status": status})

    def _refund_receipt(self, conn: Connection, row) -> RefundReceipt:
        receipt = conn.execute(_RECEIPT, {"receipt_id": row.receipt_id}).one()
        names = {line_no: name for line_no, name in conn.execute(_LINE_NAMES, {"sale_id": receipt.sale_id})}
        units = conn.execute(_UNITS, {"id": row.id}).all()
        tender = conn.execute(_TENDER, {"id": row.tender_id}).first() if row.tender_id else None
        return RefundReceipt(
            refund_no=row.refund_no,
            till_id=row.till_id,
            created_at=parse_iso(row.updated_at).astimezone(),
            store_name=self._settings.load().store_name,
            receipt_no=receipt.receipt_no,
            amount=Money(row.amount_minor, row.currency),
            lines=tuple((names.get(u.line_no, "?"), u.quantity) for u in units),
            card_brand=tender.card_brand if tender else receipt.card_brand,
            card_last4=tender.card_last4 if tender else receipt.card_last4,
            stripe_refund=row.stripe_refund,
            in_cash=row.tender_kind == TenderKind.CASH,
            cash_for_card=bool(row.cash_for_card),
            rounding=Money(row.rounding_minor, row.currency) if row.rounding_minor else None,
            store_credit_code=row.store_credit_code,
        )

    def fail_refund(self, refund_id: int, message: str) -> None:
        with core.writing(self._engine) as conn:
            conn.execute(_FAILED, {"refund_id": refund_id, "text": message, "at": now_iso()})

    def is_recorded(self, refund_id: int) -> bool:
        """Whether the audit trail records this refund as it was asked for (a row written behind the
        till's back is not, and is never completed)."""
        with core.reading(self._engine) as conn:
            return audit.is_covered(conn, "refund_started", refund_id)

    def unfinished_refunds(self) -> list[RefundRecord]:
        with core.reading(self._engine) as conn:
            return [_record(r) for r in conn.execute(_UNFINISHED)]

    def refunds_for_receipt(self, receipt_id: int) -> list[RefundRecord]:
        with core.reading(self._engine) as conn:
            return [_record(r) for r in conn.execute(_FOR_RECEIPT, {"receipt_id": receipt_id})]

    def refund_receipt(self, refund_id: int) -> RefundReceipt:
        with core.reading(self._engine) as conn:
            return self._refund_receipt(conn, conn.execute(_REFUND, {"id": refund_id}).one())
