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

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection, Engine

from pos.adapters.db import audit, core
from pos.adapters.db import schema as tables
from pos.adapters.db.raw import now_iso
from pos.adapters.db.receipts import add_receipt
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
    with core.writing(local) as conn:
        found = conn.execute(_RECEIPT_ID, {"till_id": till_id, "receipt_no": receipt_no}).scalar()
        if found is None and till_id == own_till:
            return None  # this till's own receipts are never copies (its reports would count them twice)
        receipt_id = found if found is not None else _insert_receipt(conn, own_till, receipt, lines, tenders)
        for refund in refunds:
            _insert_refund(conn, own_till, receipt_id, refund)
    return int(receipt_id)


_S, _L, _T, _R, _F, _FL = (
    tables.sales,
    tables.sale_lines,
    tables.tenders,
    tables.receipts,
    tables.refunds,
    tables.refund_lines,
)
_RECEIPT_ID = select(_R.c.id).where(_R.c.till_id == bindparam("till_id"), _R.c.receipt_no == bindparam("receipt_no"))
_COPIED_REFUND = select(_F.c.id).where(_F.c.till_id == bindparam("till_id"), _F.c.refund_no == bindparam("refund_no"))
_TENDER_OF = (
    select(_T.c.id)
    .join(_R, _R.c.sale_id == _T.c.sale_id)
    .where(_R.c.id == bindparam("receipt_id"), _T.c.part_no == bindparam("part_no"))
)
_REFUNDED = select(_R.c.total_minor, _R.c.refunded_minor).where(_R.c.id == bindparam("receipt_id"))
_ADD_TO_RECEIPT = update(_R).where(_R.c.id == bindparam("receipt_id"))


def _insert_receipt(conn: Connection, own_till: str, r, lines, tenders) -> int:
    stamp = now_iso()
    net = sum(line["net_minor"] for line in lines)
    sale_id = conn.execute(
        insert(_S),
        {
            "sale_key": _sale_key(r["till_id"], r["receipt_no"]),
            "till_id": r["till_id"],
            "state": "paid",
            "currency": r["currency"],
            "total_minor": r["total_minor"],
            "tax_minor": r["tax_minor"],
            "subtotal_minor": net,
            "tax_inclusive": True,
            "create_params": "{}",
            "payment_intent": r["payment_intent"],
            "note": "a copy of another till's receipt, from the shop database",
            "created_at": r["created_at"],
            "updated_at": stamp,
            "cart_discount_minor": 0,
        },
    ).lastrowid
    if lines:
        conn.execute(insert(_L), [{"sale_id": sale_id, **{c: x[c] for c in t.LINE_COLUMNS}} for x in lines])
    if tenders:
        conn.execute(
            insert(_T),
            [
                {
                    "sale_id": sale_id,
                    "state": "paid",
                    "currency": r["currency"],
                    "created_at": r["created_at"],
                    "updated_at": stamp,
                    **{c: x[c] for c in t.TENDER_COLUMNS},
                }
                for x in tenders
            ],
        )
    receipt_id = add_receipt(
        conn,
        till_id=r["till_id"],
        receipt_no=r["receipt_no"],
        sale_id=sale_id,
        **{c: r[c] for c in t.RECEIPT_COLUMNS},
    )
    subject = f"receipt {audit.numbered(r['till_id'], r['receipt_no'])} (from the shop)"
    audit.append(conn, own_till, "receipt_copied", subject, audit.covering(conn, "receipt", receipt_id))
    return receipt_id


def _insert_refund(conn: Connection, own_till: str, receipt_id: int, f) -> None:
    if conn.execute(_COPIED_REFUND, {"till_id": f["till_id"], "refund_no": f["refund_no"]}).first():
        return  # copied before
    tender_id = conn.execute(_TENDER_OF, {"receipt_id": receipt_id, "part_no": f["tender_part_no"]}).scalar()
    refund_id = conn.execute(
        insert(_F),
        {
            "refund_key": f"{COPIED_SALE_PREFIX}{f['till_id']}:{f['refund_no']}",
            "receipt_id": receipt_id,
            "till_id": f["till_id"],
            "state": "succeeded",
            "amount_minor": f["amount_minor"],
            "tax_minor": f["tax_minor"],
            "currency": f["currency"],
            "reason": f["reason"],
            "tender_id": tender_id,
            "tender_kind": f["tender_kind"],
            "cash_for_card": bool(f["cash_for_card"]),
            "params": "{}",
            "stripe_refund": f["stripe_refund"],
            "refund_no": f["refund_no"],
            "created_at": f["created_at"],
            "updated_at": f["at"],
            "cashier": f["cashier"],
            "rounding_minor": f["rounding_minor"],
        },
    ).lastrowid
    assert refund_id is not None
    returned = [
        {"refund_id": refund_id, "line_no": ln, "quantity": q, "amount_minor": a} for ln, q, a in json.loads(f["lines"])
    ]
    if returned:
        conn.execute(insert(_FL), returned)
    total, refunded_before = conn.execute(_REFUNDED, {"receipt_id": receipt_id}).one()
    refunded = refunded_before + f["amount_minor"]
    status = "refunded" if refunded >= total else "partially_refunded"
    conn.execute(_ADD_TO_RECEIPT, {"receipt_id": receipt_id, "refunded_minor": refunded, "status": status})
    subject = f"refund {audit.numbered(f['till_id'], f['refund_no'])} (from the shop)"
    audit.append(conn, own_till, "refund_copied", subject, audit.covering(conn, "refund", refund_id))


__all__ = ["copy_receipt"]
