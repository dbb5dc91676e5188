"""The payment journal in SQLite: every recovery point of a sale is one committed transaction.

The tables are SQLModel's (schema.py); the journal writes them with plain SQL
on the driver's connection, because it sits on the payment path and each
recovery point must cost little more than its fsync.
"""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine

from pos.domain.cart import Totals
from pos.domain.receipt import Receipt
from pos.services import sales
from pos.services.gateway import Intent
from pos.services.requests import ConfirmIntent, CreateIntent
from pos.services.sales import AttemptRecord, JournalIntegrityError, SaleRecord
from pos.services.states import UNFINISHED, AttemptState, IntentStatus, SaleState

from . import raw
from .raw import now_iso
from .receipts import build_receipt
from .settings import SettingsRepo


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
    )


def _attempt(row) -> AttemptRecord:
    return AttemptRecord(
        id=row["id"],
        sale_id=row["sale_id"],
        attempt_no=row["attempt_no"],
        idempotency_key=row["idempotency_key"],
        request=ConfirmIntent.from_json(json.loads(row["params"])),
        state=AttemptState(row["state"]),
    )


class SqlJournal:
    def __init__(self, engine: Engine, settings: SettingsRepo | None = None):
        self._engine = engine
        self._settings = settings or SettingsRepo(engine)

    def _connection(self):
        return raw.connection(self._engine)

    def _write(self):
        return raw.write(self._engine)

    # -- recovery points ---------------------------------------------------
    def begin_sale(
        self, totals: Totals, tax_inclusive: bool, create: CreateIntent, product_ids: list[int | None]
    ) -> SaleRecord:
        stamp = now_iso()
        till_id, sale_key = create.till_id, create.sale_key
        encoded = json.dumps(create.to_json(), sort_keys=True)
        with self._write() as conn:
            # Read the pages the receipt will be written to (the receipts table's last leaf and this
            # till's number index): damage there shows now, before any money moves, not after.
            conn.execute("SELECT max(id) FROM receipts").fetchone()
            conn.execute("SELECT max(receipt_no) FROM receipts WHERE till_id = ?", (till_id,)).fetchone()
            sale_id = conn.execute(
                "INSERT INTO sales (sale_key, till_id, state, currency, total_minor, tax_minor, subtotal_minor,"
                " tax_inclusive, create_params, created_at, updated_at, cart_discount_minor, cart_discount_reason)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    sale_key,
                    till_id,
                    SaleState.STARTED,
                    totals.currency.upper(),
                    totals.total.minor,
                    totals.tax.minor,
                    totals.subtotal.minor,
                    tax_inclusive,
                    encoded,
                    stamp,
                    stamp,
                    totals.cart_discount.minor if totals.cart_discount else 0,
                    totals.cart_discount_reason,
                ),
            ).lastrowid
            conn.executemany(
                "INSERT INTO sale_lines (sale_id, line_no, product_id, sku, name, quantity, unit_price_minor,"
                " tax_rate_bp, net_minor, tax_minor, gross_minor, line_discount_minor, cart_share_minor,"
                " discount_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        sale_id,
                        n,
                        pid,
                        line.sku,
                        line.name,
                        line.quantity,
                        line.unit_price.minor,
                        line.tax_rate_bp,
                        line.net.minor,
                        line.tax.minor,
                        line.gross.minor,
                        line.line_discount.minor if line.line_discount else 0,
                        line.cart_share.minor if line.cart_share else 0,
                        line.discount_reason,
                    )
                    for n, (line, pid) in enumerate(zip(totals.lines, product_ids, strict=True), start=1)
                ],
            )
        return SaleRecord(
            id=sale_id,
            sale_key=sale_key,
            till_id=till_id,
            state=SaleState.STARTED,
            currency=totals.currency.upper(),
            total_minor=totals.total.minor,
            create=create,
            payment_intent=None,
            created_at=stamp,
        )

    def record_intent(self, sale_id: int, intent_id: str) -> SaleRecord:
        with self._write() as conn:
            conn.execute(
                "UPDATE sales SET payment_intent = ?, state = ?, updated_at = ? WHERE id = ? AND state = ?",
                (intent_id, SaleState.INTENT_CREATED, now_iso(), sale_id, SaleState.STARTED),
            )
            return _sale(conn.execute("SELECT * FROM sales WHERE id = ?", (sale_id,)).fetchone())

    def begin_attempt(self, sale: SaleRecord, request: ConfirmIntent) -> AttemptRecord:
        stamp = now_iso()
        encoded = json.dumps(request.to_json(), sort_keys=True)
        with self._write() as conn:
            number = (
                conn.execute("SELECT max(attempt_no) FROM payments WHERE sale_id = ?", (sale.id,)).fetchone()[0] or 0
            ) + 1
            key = sales.confirm_key(sale.sale_key, number)
            attempt_id = conn.execute(
                "INSERT INTO payments (sale_id, attempt_no, payment_method, idempotency_key, params, state,"
                " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
                (sale.id, number, request.payment_method, key, encoded, AttemptState.SENT, stamp, stamp),
            ).lastrowid
            conn.execute(
                "UPDATE sales SET state = ?, updated_at = ? WHERE id = ?", (SaleState.CONFIRM_SENT, stamp, sale.id)
            )
        return AttemptRecord(
            id=attempt_id,
            sale_id=sale.id,
            attempt_no=number,
            idempotency_key=key,
            request=request,
            state=AttemptState.SENT,
        )

    def open_attempt(self, sale_id: int) -> AttemptRecord | None:
        """The attempt whose answer never came back, if any."""
        with self._connection() as conn:
            row = conn.execute(
                "SELECT * FROM payments WHERE sale_id = ? AND state = ? ORDER BY attempt_no DESC LIMIT 1",
                (sale_id, AttemptState.SENT),
            ).fetchone()
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
        with self._write() as conn:
            sale_id = conn.execute("SELECT sale_id FROM payments WHERE id = ?", (attempt_id,)).fetchone()[0]
            conn.execute(
                "UPDATE payments SET state = ?, decline_code = ?, message = ?, charge_id = ?, updated_at = ?"
                " WHERE id = ?",
                (state, decline_code, message, charge_id, stamp, attempt_id),
            )
            conn.execute(
                "UPDATE sales SET state = ?, updated_at = ? WHERE id = ? AND state = ?",
                (SaleState.INTENT_CREATED, stamp, sale_id, SaleState.CONFIRM_SENT),
            )

    def finish_paid(self, sale_id: int, intent: Intent) -> Receipt:
        """Write the receipt and close the sale in one transaction (a no-op if already done)."""
        stamp = now_iso()
        with self._write() as conn:
            sale = conn.execute("SELECT * FROM sales WHERE id = ?", (sale_id,)).fetchone()
            receipt = conn.execute("SELECT * FROM receipts WHERE sale_id = ?", (sale_id,)).fetchone()
            if receipt is None:
                if intent.status is not IntentStatus.SUCCEEDED:
                    raise JournalIntegrityError(f"sale {sale_id}: intent {intent.id} is {intent.status}")
                if (intent.amount, intent.currency.upper()) != (sale["total_minor"], sale["currency"]):
                    raise JournalIntegrityError(
                        f"sale {sale_id}: intent {intent.id} is for {intent.amount} {intent.currency}, "
                        f"the sale for {sale['total_minor']} {sale['currency']}"
                    )
                # Gapless: the next number is taken inside the transaction that records the paid sale.
                number = (
                    conn.execute(
                        "SELECT max(receipt_no) FROM receipts WHERE till_id = ?", (sale["till_id"],)
                    ).fetchone()[0]
                    or 0
                ) + 1
                store = self._settings.load()
                conn.execute(
                    "INSERT INTO receipts (till_id, receipt_no, sale_id, created_at, currency, total_minor,"
                    " tax_minor, payment_intent, card_brand, card_last4, status, refunded_minor, store_name,"
                    " store_address, receipt_footer, discount_minor) VALUES (?,?,?,?,?,?,?,?,?,?,'paid',0,?,?,?,"
                    " (SELECT coalesce(sum(line_discount_minor + cart_share_minor), 0) FROM sale_lines"
                    " WHERE sale_id = ?))",
                    (
                        sale["till_id"],
                        number,
                        sale_id,
                        stamp,
                        sale["currency"],
                        sale["total_minor"],
                        sale["tax_minor"],
                        intent.id,
                        intent.card_brand,
                        intent.card_last4,
                        store.store_name,
                        store.address,
                        store.receipt_footer,
                        sale_id,
                    ),
                )
                conn.execute(
                    "UPDATE payments SET state = ?, charge_id = ?, card_brand = ?, card_last4 = ?,"
                    " updated_at = ? WHERE sale_id = ? AND state = ?",
                    (
                        AttemptState.SUCCEEDED,
                        intent.charge_id,
                        intent.card_brand,
                        intent.card_last4,
                        stamp,
                        sale_id,
                        AttemptState.SENT,
                    ),
                )
                conn.execute(
                    "UPDATE sales SET state = ?, payment_intent = ?, updated_at = ? WHERE id = ?",
                    (SaleState.PAID, intent.id, stamp, sale_id),
                )
                receipt = conn.execute("SELECT * FROM receipts WHERE sale_id = ?", (sale_id,)).fetchone()
            return self._receipt(conn, receipt, sale)

    def close_sale(self, sale_id: int, state: SaleState, note: str) -> None:
        if state not in (SaleState.ABANDONED, SaleState.PARKED):
            raise ValueError(f"a sale is closed as abandoned or parked, not {state}")
        stamp = now_iso()
        with self._write() as conn:
            conn.execute(
                f"UPDATE sales SET state = ?, note = ?, updated_at = ? WHERE id = ? AND state IN "
                f"({','.join('?' * len(UNFINISHED))})",
                (state, note, stamp, sale_id, *UNFINISHED),
            )
            conn.execute(
                "UPDATE payments SET state = ?, message = ?, updated_at = ? WHERE sale_id = ? AND state = ?",
                (AttemptState.FAILED, note, stamp, sale_id, AttemptState.SENT),
            )

    def note(self, sale_id: int, note: str) -> None:
        with self._write() as conn:
            conn.execute("UPDATE sales SET note = ?, updated_at = ? WHERE id = ?", (note, now_iso(), sale_id))

    # -- reads ---------------------------------------------------------------
    def sale(self, sale_id: int) -> SaleRecord:
        with self._connection() as conn:
            return _sale(conn.execute("SELECT * FROM sales WHERE id = ?", (sale_id,)).fetchone())

    def sale_for_intent(self, intent_id: str) -> SaleRecord | None:
        with self._connection() as conn:
            row = conn.execute("SELECT * FROM sales WHERE payment_intent = ?", (intent_id,)).fetchone()
        return _sale(row) if row else None

    def _sales_in(self, states: tuple[str, ...]) -> list[SaleRecord]:
        with self._connection() as conn:
            rows = conn.execute(
                f"SELECT * FROM sales WHERE state IN ({','.join('?' * len(states))}) ORDER BY id", states
            ).fetchall()
        return [_sale(r) for r in rows]

    def unfinished_sales(self) -> list[SaleRecord]:
        return self._sales_in(UNFINISHED)

    def parked_sales(self) -> list[SaleRecord]:
        return self._sales_in((SaleState.PARKED,))

    def sale_lines(self, sale_id: int) -> list[tuple[int | None, str, int]]:
        """(product id, sku, quantity) per line, to rebuild a parked cart."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT product_id, sku, quantity FROM sale_lines WHERE sale_id = ? ORDER BY line_no", (sale_id,)
            ).fetchall()
        return [tuple(r) for r in rows]

    def resume_parked(self, sale_id: int) -> None:
        """A parked sale's cart went back to the till: it is no longer waiting."""
        with self._write() as conn:
            conn.execute(
                "UPDATE sales SET state = ?, note = 'resumed into a new sale', updated_at = ? "
                "WHERE id = ? AND state = ?",
                (SaleState.ABANDONED, now_iso(), sale_id, SaleState.PARKED),
            )

    def receipt_for_sale(self, sale_id: int) -> Receipt | None:
        with self._connection() as conn:
            row = conn.execute("SELECT * FROM receipts WHERE sale_id = ?", (sale_id,)).fetchone()
            return self._receipt(conn, row) if row else None

    def _receipt(self, conn, row, sale=None) -> Receipt:
        return build_receipt(conn, row, self._settings.load(), sale)
