"""The payment journal in SQLite: every recovery point of a sale is one committed transaction."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from pos.domain.cart import LineTotals, Totals
from pos.domain.money import Money
from pos.domain.receipt import Receipt
from pos.services import sales
from pos.services.gateway import Intent
from pos.services.sales import AttemptRecord, SaleRecord

from .errors import storage_errors
from .schema import PaymentRow, ReceiptRow, SaleLineRow, SaleRow, writer
from .settings import SettingsRepo

_S, _L, _P, _R = SaleRow.__table__, SaleLineRow.__table__, PaymentRow.__table__, ReceiptRow.__table__


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


class JournalIntegrityError(RuntimeError):
    """The provider's answer does not match what the journal recorded: a person must look."""


def _sale(row) -> SaleRecord:
    return SaleRecord(id=row.id, sale_key=row.sale_key, till_id=row.till_id, state=row.state,
                      currency=row.currency, total_minor=row.total_minor,
                      create_params=json.loads(row.create_params), payment_intent=row.payment_intent,
                      created_at=row.created_at, note=row.note)


def _attempt(row) -> AttemptRecord:
    return AttemptRecord(id=row.id, sale_id=row.sale_id, attempt_no=row.attempt_no,
                         payment_method=row.payment_method, idempotency_key=row.idempotency_key,
                         params=json.loads(row.params), state=row.state)


class SqlJournal:
    def __init__(self, engine: Engine):
        self._engine = engine
        self._writer = writer(engine)
        self._settings = SettingsRepo(engine)

    # -- recovery points ---------------------------------------------------
    def begin_sale(self, totals: Totals, tax_inclusive: bool, till_id: str, sale_key: str,
                   create_params: dict, product_ids: list[int | None]) -> SaleRecord:
        stamp = now_iso()
        with storage_errors(), self._writer.begin() as conn:
            sale_id = conn.execute(_S.insert().values(
                sale_key=sale_key, till_id=till_id, state=sales.STARTED, currency=totals.currency.upper(),
                total_minor=totals.total.minor, tax_minor=totals.tax.minor,
                subtotal_minor=totals.subtotal.minor, tax_inclusive=tax_inclusive,
                create_params=json.dumps(create_params, sort_keys=True), created_at=stamp, updated_at=stamp,
            )).inserted_primary_key[0]
            conn.execute(_L.insert(), [
                {"sale_id": sale_id, "line_no": n, "product_id": pid, "sku": line.sku, "name": line.name,
                 "quantity": line.quantity, "unit_price_minor": line.unit_price.minor,
                 "tax_rate_bp": line.tax_rate_bp, "net_minor": line.net.minor, "tax_minor": line.tax.minor,
                 "gross_minor": line.gross.minor}
                for n, (line, pid) in enumerate(zip(totals.lines, product_ids), start=1)
            ])
        return self.sale(sale_id)

    def record_intent(self, sale_id: int, intent_id: str) -> SaleRecord:
        with storage_errors(), self._writer.begin() as conn:
            conn.execute(update(_S).where(_S.c.id == sale_id, _S.c.state == sales.STARTED).values(
                payment_intent=intent_id, state=sales.INTENT_CREATED, updated_at=now_iso()))
        return self.sale(sale_id)

    def begin_attempt(self, sale_id: int, payment_method: str, params: dict) -> AttemptRecord:
        stamp = now_iso()
        with storage_errors(), self._writer.begin() as conn:
            sale = conn.execute(select(_S).where(_S.c.id == sale_id)).one()
            number = (conn.execute(select(func.max(_P.c.attempt_no)).where(_P.c.sale_id == sale_id))
                      .scalar() or 0) + 1
            attempt_id = conn.execute(_P.insert().values(
                sale_id=sale_id, attempt_no=number, payment_method=payment_method,
                idempotency_key=sales.confirm_key(sale.sale_key, number),
                params=json.dumps(params, sort_keys=True), state="sent", created_at=stamp, updated_at=stamp,
            )).inserted_primary_key[0]
            conn.execute(update(_S).where(_S.c.id == sale_id).values(state=sales.CONFIRM_SENT, updated_at=stamp))
            row = conn.execute(select(_P).where(_P.c.id == attempt_id)).one()
        return _attempt(row)

    def open_attempt(self, sale_id: int) -> AttemptRecord | None:
        """The attempt whose answer never came back, if any."""
        with storage_errors(), self._engine.connect() as conn:
            row = conn.execute(select(_P).where(_P.c.sale_id == sale_id, _P.c.state == "sent")
                               .order_by(_P.c.attempt_no.desc())).first()
        return _attempt(row) if row else None

    def record_attempt(self, attempt_id: int, state: str, *, decline_code=None, message=None,
                       charge_id=None) -> None:
        """An attempt's answer that did not finish the sale (declined, needs action, failed)."""
        stamp = now_iso()
        with storage_errors(), self._writer.begin() as conn:
            row = conn.execute(select(_P.c.sale_id).where(_P.c.id == attempt_id)).one()
            conn.execute(update(_P).where(_P.c.id == attempt_id).values(
                state=state, decline_code=decline_code, message=message, charge_id=charge_id, updated_at=stamp))
            conn.execute(update(_S).where(_S.c.id == row.sale_id, _S.c.state == sales.CONFIRM_SENT)
                         .values(state=sales.INTENT_CREATED, updated_at=stamp))

    def finish_paid(self, sale_id: int, intent: Intent) -> Receipt:
        """Write the receipt and close the sale in one transaction (a no-op if already done)."""
        stamp = now_iso()
        with storage_errors(), self._writer.begin() as conn:
            sale = conn.execute(select(_S).where(_S.c.id == sale_id)).one()
            existing = conn.execute(select(_R.c.id).where(_R.c.sale_id == sale_id)).first()
            if existing is None:
                if intent.status != "succeeded":
                    raise JournalIntegrityError(f"sale {sale_id}: intent {intent.id} is {intent.status}")
                if (intent.amount, intent.currency.upper()) != (sale.total_minor, sale.currency):
                    raise JournalIntegrityError(
                        f"sale {sale_id}: intent {intent.id} is for {intent.amount} {intent.currency}, "
                        f"the sale for {sale.total_minor} {sale.currency}")
                number = (conn.execute(select(func.max(_R.c.receipt_no)).where(_R.c.till_id == sale.till_id))
                          .scalar() or 0) + 1
                conn.execute(_R.insert().values(
                    till_id=sale.till_id, receipt_no=number, sale_id=sale_id, created_at=stamp,
                    currency=sale.currency, total_minor=sale.total_minor, tax_minor=sale.tax_minor,
                    payment_intent=intent.id, card_brand=intent.card_brand, card_last4=intent.card_last4))
                conn.execute(update(_P).where(_P.c.sale_id == sale_id, _P.c.state == "sent").values(
                    state="succeeded", charge_id=intent.charge_id, card_brand=intent.card_brand,
                    card_last4=intent.card_last4, updated_at=stamp))
                conn.execute(update(_S).where(_S.c.id == sale_id).values(
                    state=sales.PAID, payment_intent=intent.id, updated_at=stamp))
        return self.receipt_for_sale(sale_id)

    def close_sale(self, sale_id: int, state: str, note: str) -> None:
        assert state in (sales.ABANDONED, sales.PARKED)
        stamp = now_iso()
        with storage_errors(), self._writer.begin() as conn:
            conn.execute(update(_S).where(_S.c.id == sale_id, _S.c.state.in_(sales.UNFINISHED)).values(
                state=state, note=note, updated_at=stamp))
            conn.execute(update(_P).where(_P.c.sale_id == sale_id, _P.c.state == "sent").values(
                state="failed", message=note, updated_at=stamp))

    def note(self, sale_id: int, note: str) -> None:
        with storage_errors(), self._writer.begin() as conn:
            conn.execute(update(_S).where(_S.c.id == sale_id).values(note=note, updated_at=now_iso()))

    # -- reads ---------------------------------------------------------------
    def sale(self, sale_id: int) -> SaleRecord:
        with storage_errors(), self._engine.connect() as conn:
            return _sale(conn.execute(select(_S).where(_S.c.id == sale_id)).one())

    def unfinished_sales(self) -> list[SaleRecord]:
        with storage_errors(), self._engine.connect() as conn:
            rows = conn.execute(select(_S).where(_S.c.state.in_(sales.UNFINISHED)).order_by(_S.c.id))
            return [_sale(r) for r in rows]

    def parked_sales(self) -> list[SaleRecord]:
        with storage_errors(), self._engine.connect() as conn:
            rows = conn.execute(select(_S).where(_S.c.state == sales.PARKED).order_by(_S.c.id))
            return [_sale(r) for r in rows]

    def sale_lines(self, sale_id: int) -> list[tuple[int | None, str, int]]:
        """(product id, sku, quantity) per line, to rebuild a parked cart."""
        with storage_errors(), self._engine.connect() as conn:
            rows = conn.execute(select(_L.c.product_id, _L.c.sku, _L.c.quantity)
                                .where(_L.c.sale_id == sale_id).order_by(_L.c.line_no))
            return [tuple(r) for r in rows]

    def resume_parked(self, sale_id: int) -> None:
        """A parked sale's cart went back to the till: it is no longer waiting."""
        with storage_errors(), self._writer.begin() as conn:
            conn.execute(update(_S).where(_S.c.id == sale_id, _S.c.state == sales.PARKED).values(
                state=sales.ABANDONED, note="resumed into a new sale", updated_at=now_iso()))

    def receipt_for_sale(self, sale_id: int) -> Receipt | None:
        with storage_errors(), self._engine.connect() as conn:
            row = conn.execute(select(_R).where(_R.c.sale_id == sale_id)).first()
            if row is None:
                return None
            return self._receipt(conn, row)

    def _receipt(self, conn, row) -> Receipt:
        sale = conn.execute(select(_S).where(_S.c.id == row.sale_id)).one()
        lines = conn.execute(select(_L).where(_L.c.sale_id == row.sale_id).order_by(_L.c.line_no)).all()
        cur = row.currency
        line_totals = tuple(
            LineTotals(sku=l.sku, name=l.name, quantity=l.quantity, unit_price=Money(l.unit_price_minor, cur),
                       tax_rate_bp=l.tax_rate_bp, net=Money(l.net_minor, cur), tax=Money(l.tax_minor, cur),
                       gross=Money(l.gross_minor, cur)) for l in lines)
        by_rate: dict[int, int] = {}
        for l in lines:
            by_rate[l.tax_rate_bp] = by_rate.get(l.tax_rate_bp, 0) + l.tax_minor
        settings = self._settings.load()
        return Receipt(
            receipt_no=row.receipt_no, till_id=row.till_id,
            created_at=parse_iso(row.created_at).astimezone(), store_name=settings.store_name,
            store_address=settings.address, footer=settings.receipt_footer, lines=line_totals,
            subtotal=Money(sale.subtotal_minor, cur), tax=Money(row.tax_minor, cur),
            total=Money(row.total_minor, cur), tax_inclusive=bool(sale.tax_inclusive),
            payment_intent=row.payment_intent, card_brand=row.card_brand, card_last4=row.card_last4,
            refunded=Money(row.refunded_minor, cur),
            tax_by_rate=tuple((rate, Money(v, cur)) for rate, v in sorted(by_rate.items())),
        )
