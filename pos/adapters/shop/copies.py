"""Another till's receipt, brought from the shop database into this till's SQLite to refund it here.

The copy is a receipt of the other till's id (so this till's reports, which count their own till
id, never count it as a sale here), with its lines and paid tenders, and with the refunds other
tills gave on it, so the refund rules (never more than is left, by line and by tender) hold across
the shop. Each copied record is covered by an audit event (`receipt_copied`, `refund_copied`):
`pos audit verify` accounts for it, and the sync knows not to send it back. A refund made here is
numbered at this till and goes to the shop as this till's refund of that receipt.
"""

from __future__ import annotations

import json
import sqlite3

from sqlalchemy import select
from sqlalchemy.engine import Engine

from pos.adapters.db import audit, raw
from pos.adapters.db.raw import now_iso
from pos.adapters.db.schema import COPIED_SALE_PREFIX

from . import tables as t
from .connect import shop_errors


def _sale_key(till_id: str, receipt_no: int) -> str:
    return f"{COPIED_SALE_PREFIX}{till_id}:{receipt_no}"


def copy_receipt(local: Engine, shop: Engine, own_till: str, till_id: str, receipt_no: int) -> int | None:
    """The local id of receipt `till_id`-`receipt_no` after bringing it (and the refunds other tills
    gave on it) from the shop; None when the shop has no such receipt. Run again, it brings only
    refunds it did not have."""
    with shop_errors(), shop.connect() as conn:
        key = (t.RECEIPTS.c.till_id == till_id) & (t.RECEIPTS.c.receipt_no == receipt_no)
        receipt = conn.execute(select(t.RECEIPTS).where(key)).mappings().first()
        if receipt is None:
            return None
        lines = (
            conn.execute(
                select(t.RECEIPT_LINES)
                .where((t.RECEIPT_LINES.c.till_id == till_id) & (t.RECEIPT_LINES.c.receipt_no == receipt_no))
                .order_by(t.RECEIPT_LINES.c.line_no)
            )
            .mappings()
            .all()
        )
        tenders = (
            conn.execute(
                select(t.TENDERS)
                .where((t.TENDERS.c.till_id == till_id) & (t.TENDERS.c.receipt_no == receipt_no))
                .order_by(t.TENDERS.c.part_no)
            )
            .mappings()
            .all()
        )
        refunds = (
            conn.execute(
                select(t.REFUNDS)
                .where(
                    (t.REFUNDS.c.receipt_till_id == till_id)
                    & (t.REFUNDS.c.receipt_no == receipt_no)
                    & (t.REFUNDS.c.till_id != own_till)  # this till's own are here already
                )
                .order_by(t.REFUNDS.c.at)
            )
            .mappings()
            .all()
        )
    with raw.write(local) as conn:
        found = conn.execute(
            "SELECT id FROM receipts WHERE till_id = ? AND receipt_no = ?", (till_id, receipt_no)
        ).fetchone()
        if found is None and till_id == own_till:
            return None  # this till's own receipts are never copies (its reports would count them twice)
        receipt_id = found[0] if found else _insert_receipt(conn, own_till, receipt, lines, tenders)
        for refund in refunds:
            _insert_refund(conn, own_till, receipt_id, refund)
    return int(receipt_id)


def _insert_receipt(conn: sqlite3.Connection, own_till: str, r, lines, tenders) -> int:
    stamp = now_iso()
    net = sum(line["net_minor"] for line in lines)
    sale_id = conn.execute(
        "INSERT INTO sales (sale_key, till_id, state, currency, total_minor, tax_minor, subtotal_minor, tax_inclusive,"
        " create_params, payment_intent, note, created_at, updated_at, cart_discount_minor)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,0)",
        (
            _sale_key(r["till_id"], r["receipt_no"]),
            r["till_id"],
            "paid",
            r["currency"],
            r["total_minor"],
            r["tax_minor"],
            net,
            1,
            "{}",
            r["payment_intent"],
            "a copy of another till's receipt, from the shop database",
            r["created_at"],
            stamp,
        ),
    ).lastrowid
    conn.executemany(
        "INSERT INTO sale_lines (sale_id, line_no, sku, name, quantity, unit_price_minor, tax_rate_bp, net_minor,"
        " tax_minor, gross_minor, line_discount_minor, cart_share_minor) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            (
                sale_id,
                x["line_no"],
                x["sku"],
                x["name"],
                x["quantity"],
                x["unit_price_minor"],
                x["tax_rate_bp"],
                x["net_minor"],
                x["tax_minor"],
                x["gross_minor"],
                x["line_discount_minor"],
                x["cart_share_minor"],
            )
            for x in lines
        ],
    )
    conn.executemany(
        "INSERT INTO tenders (sale_id, part_no, kind, state, currency, amount_minor, tendered_minor, change_minor,"
        " rounding_minor, payment_intent, card_brand, card_last4, card_present, created_at, updated_at)"
        " VALUES (?,?,?,'paid',?,?,?,?,?,?,?,?,?,?,?)",
        [
            (
                sale_id,
                x["part_no"],
                x["kind"],
                r["currency"],
                x["amount_minor"],
                x["tendered_minor"],
                x["change_minor"],
                x["rounding_minor"],
                x["payment_intent"],
                x["card_brand"],
                x["card_last4"],
                x["card_present"],
                r["created_at"],
                stamp,
            )
            for x in tenders
        ],
    )
    receipt_id = conn.execute(
        "INSERT INTO receipts (till_id, receipt_no, sale_id, created_at, currency, total_minor, tax_minor,"
        " payment_intent, card_brand, card_last4, status, refunded_minor, discount_minor, card_minor, cash_minor,"
        " change_minor, rounding_minor, store_name, store_address, receipt_footer, cashier)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,'paid',0,?,?,?,?,?,?,?,?,?)",
        (
            r["till_id"],
            r["receipt_no"],
            sale_id,
            r["created_at"],
            r["currency"],
            r["total_minor"],
            r["tax_minor"],
            r["payment_intent"],
            r["card_brand"],
            r["card_last4"],
            r["discount_minor"],
            r["card_minor"],
            r["cash_minor"],
            r["change_minor"],
            r["rounding_minor"],
            r["store_name"],
            r["store_address"],
            r["receipt_footer"],
            r["cashier"],
        ),
    ).lastrowid
    assert receipt_id is not None
    subject = f"receipt {audit.numbered(r['till_id'], r['receipt_no'])} (from the shop)"
    audit.append(conn, own_till, "receipt_copied", subject, audit.covering(conn, "receipt", receipt_id))
    return receipt_id


def _insert_refund(conn: sqlite3.Connection, own_till: str, receipt_id: int, f) -> None:
    if conn.execute(
        "SELECT 1 FROM refunds WHERE till_id = ? AND refund_no = ?", (f["till_id"], f["refund_no"])
    ).fetchone():
        return  # copied before
    tender = conn.execute(
        "SELECT t.id FROM tenders t JOIN receipts r ON r.sale_id = t.sale_id WHERE r.id = ? AND t.part_no = ?",
        (receipt_id, f["tender_part_no"]),
    ).fetchone()
    refund_id = conn.execute(
        "INSERT INTO refunds (refund_key, receipt_id, till_id, state, amount_minor, tax_minor, currency, reason,"
        " tender_id, tender_kind, cash_for_card, params, stripe_refund, refund_no, created_at, updated_at, cashier,"
        " rounding_minor) VALUES (?,?,?,'succeeded',?,?,?,?,?,?,?,'{}',?,?,?,?,?,?)",
        (
            f"{COPIED_SALE_PREFIX}{f['till_id']}:{f['refund_no']}",
            receipt_id,
            f["till_id"],
            f["amount_minor"],
            f["tax_minor"],
            f["currency"],
            f["reason"],
            tender[0] if tender else None,
            f["tender_kind"],
            1 if f["cash_for_card"] else 0,
            f["stripe_refund"],
            f["refund_no"],
            f["created_at"],
            f["at"],
            f["cashier"],
            f["rounding_minor"],
        ),
    ).lastrowid
    assert refund_id is not None
    conn.executemany(
        "INSERT INTO refund_lines (refund_id, line_no, quantity, amount_minor) VALUES (?,?,?,?)",
        [(refund_id, ln, q, a) for ln, q, a in json.loads(f["lines"])],
    )
    receipt = conn.execute("SELECT total_minor, refunded_minor FROM receipts WHERE id = ?", (receipt_id,)).fetchone()
    refunded = receipt[1] + f["amount_minor"]
    status = "refunded" if refunded >= receipt[0] else "partially_refunded"
    conn.execute("UPDATE receipts SET refunded_minor = ?, status = ? WHERE id = ?", (refunded, status, receipt_id))
    subject = f"refund {audit.numbered(f['till_id'], f['refund_no'])} (from the shop)"
    audit.append(conn, own_till, "refund_copied", subject, audit.covering(conn, "refund", refund_id))


__all__ = ["copy_receipt"]
