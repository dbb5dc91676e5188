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
from pos.services.sales import AttemptRecord, JournalIntegrityError, SaleRecord

from . import raw
from .raw import now_iso
from .receipts import build_receipt
from .settings import SettingsRepo


def _sale(row) -> SaleRecord:
    return SaleRecord(
        id=row["id"],
        sale_key=row["sale_key"],
        till_id=row["till_id"],
        state=row["state"],
        currency=row["currency"],
        total_minor=row["total_minor"],
        create_params=json.loads(row["create_params"]),
        payment_intent=row["payment_intent"],
        created_at=row["created_at"],
        note=row["note"],
    )


def _attempt(row) -> AttemptRecord:
    return AttemptRecord(
        id=row["id"],
        sale_id=row["sale_id"],
        attempt_no=row["attempt_no"],
        payment_method=row["payment_method"],
        idempotency_key=row["idempotency_key"],
        params=json.loads(row["params"]),
        state=row["state"],
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
        self,
        totals: Totals,
        tax_inclusive: bool,
        till_id: str,
        sale_key: str,
        create_params: dict,
        product_ids: list[int | None],
    ) -> SaleRecord:
        stamp = now_iso()
        encoded = json.dumps(create_params, sort_keys=True)
        with self._write() as conn:
            # Read the pages the receipt will be written to (the receipts table's last leaf and this
            # till's number index): damage there shows now, before any money moves, not after.
            conn.execute("SELECT max(id) FROM receipts").fetchone()
            conn.execute("SELECT max(receipt_no) FROM receipts WHERE till_id = ?", (till_id,)).fetchone()
            sale_id = conn.execute(
                "INSERT INTO sales (sale_key, till_id, state, currency, total_minor, tax_minor, subtotal_minor,"
                " tax_inclusive, create_params, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    sale_key,
                    till_id,
                    sales.STARTED,
                    totals.currency.upper(),
                    totals.total.minor,
                    totals.tax.minor,
                    totals.subtotal.minor,
                    tax_inclusive,
                    encoded,
                    stamp,
                    stamp,
                ),
            ).lastrowid
            conn.executemany(
                "INSERT INTO sale_lines (sale_id, line_no, product_id, sku, name, quantity, unit_price_minor,"
                " tax_rate_bp, net_minor, tax_minor, gross_minor) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
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
                    )
                    for n, (line, pid) in enumerate(zip(totals.lines, product_ids, strict=True), start=1)
                ],
            )
        return SaleRecord(
            id=sale_id,
            sale_key=sale_key,
            till_id=till_id,
            state=sales.STARTED,
            currency=totals.currency.upper(),
            total_minor=totals.total.minor,
            create_params=json.loads(encoded),
            payment_intent=None,
            created_at=stamp,
        )

    def record_intent(self, sale_id: int, intent_id: str) -> SaleRecord:
        with self._write() as conn:
            conn.execute(
                "UPDATE sales SET payment_intent = ?, state = ?, updated_at = ? WHERE id = ? AND state = ?",
                (intent_id, sales.INTENT_CREATED, now_iso(), sale_id, sales.STARTED),
            )
            return _sale(conn.execute("SELECT * FROM sales WHERE id = ?", (sale_id,)).fetchone())

    def begin_attempt(self, sale: SaleRecord, payment_method: str, params: dict) -> AttemptRecord:
        stamp = now_iso()
        encoded = json.dumps(params, sort_keys=True)
        with self._write() as conn:
            number = (
                conn.execute("SELECT max(attempt_no) FROM payments WHERE sale_id = ?", (sale.id,)).fetchone()[0] or 0
            ) + 1
            key = sales.confirm_key(sale.sale_key, number)
            attempt_id = conn.execute(
                "INSERT INTO payments (sale_id, attempt_no, payment_method, idempotency_key, params, state,"
                " created_at, updated_at) VALUES (?,?,?,?,?,'sent',?,?)",
                (sale.id, number, payment_method, key, encoded, stamp, stamp),
            ).lastrowid
            conn.execute(
                "UPDATE sales SET state = ?, updated_at = ? WHERE id = ?", (sales.CONFIRM_SENT, stamp, sale.id)
            )
        return AttemptRecord(
            id=attempt_id,
            sale_id=sale.id,
            attempt_no=number,
            payment_method=payment_method,
            idempotency_key=key,
            params=json.loads(encoded),
            state="sent",
        )

    def open_attempt(self, sale_id: int) -> AttemptRecord | None:
        """The attempt whose answer never came back, if any."""
        with self._connection() as conn:
            row = conn.execute(
                "SELECT * FROM payments WHERE sale_id = ? AND state = 'sent' ORDER BY attempt_no DESC LIMIT 1",
                (sale_id,),
            ).fetchone()
        return _attempt(row) if row else None

    def record_attempt(self, attempt_id: int, state: str, *, decline_code=None, message=None, charge_id=None) -> None:
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
                (sales.INTENT_CREATED, stamp, sale_id, sales.CONFIRM_SENT),
            )

    def finish_paid(self, sale_id: int, intent: Intent) -> Receipt:
        """Write the receipt and close the sale in one transaction (a no-op if already done)."""
        stamp = now_iso()
        with self._write() as conn:
            sale = conn.execute("SELECT * FROM sales WHERE id = ?", (sale_id,)).fetchone()
            receipt = conn.execute("SELECT * FROM receipts WHERE sale_id = ?", (sale_id,)).fetchone()
            if receipt is None:
                if intent.status != "succeeded":
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
                    " store_address, receipt_footer) VALUES (?,?,?,?,?,?,?,?,?,?,'paid',0,?,?,?)",
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
                    ),
                )
                conn.execute(
                    "UPDATE payments SET state = 'succeeded', charge_id = ?, card_brand = ?, card_last4 = ?,"
                    " updated_at = ? WHERE sale_id = ? AND state = 'sent'",
                    (intent.charge_id, intent.card_brand, intent.card_last4, stamp, sale_id),
                )
                conn.execute(
                    "UPDATE sales SET state = ?, payment_intent = ?, updated_at = ? WHERE id = ?",
                    (sales.PAID, intent.id, stamp, sale_id),
                )
                receipt = conn.execute("SELECT * FROM receipts WHERE sale_id = ?", (sale_id,)).fetchone()
            return self._receipt(conn, receipt, sale)

    def close_sale(self, sale_id: int, state: str, note: str) -> None:
        assert state in (sales.ABANDONED, sales.PARKED)
        stamp = now_iso()
        with self._write() as conn:
            conn.execute(
                f"UPDATE sales SET state = ?, note = ?, updated_at = ? WHERE id = ? AND state IN "
                f"({','.join('?' * len(sales.UNFINISHED))})",
                (state, note, stamp, sale_id, *sales.UNFINISHED),
            )
            conn.execute(
                "UPDATE payments SET state = 'failed', message = ?, updated_at = ? "
                "WHERE sale_id = ? AND state = 'sent'",
                (note, stamp, sale_id),
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
        return self._sales_in(sales.UNFINISHED)

    def parked_sales(self) -> list[SaleRecord]:
        return self._sales_in((sales.PARKED,))

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
                (sales.ABANDONED, now_iso(), sale_id, sales.PARKED),
            )

    def receipt_for_sale(self, sale_id: int) -> Receipt | None:
        with self._connection() as conn:
            row = conn.execute("SELECT * FROM receipts WHERE sale_id = ?", (sale_id,)).fetchone()
            return self._receipt(conn, row) if row else None

    def _receipt(self, conn, row, sale=None) -> Receipt:
        return build_receipt(conn, row, self._settings.load(), sale)
