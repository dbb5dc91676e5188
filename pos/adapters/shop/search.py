"""Searching every till's receipts in the shop database (the Receipts window's shop-wide search).

The same searches as a till's own list (services/receipts.criterion checks and parses them), over
`shop_receipts`; a receipt's refunded amount is what every till refunded on it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from pos.adapters.db.days import local_day_bounds, store_zone
from pos.adapters.db.receipts import receipt_summary
from pos.services.receipts import Criterion, ReceiptSummary

from .connect import shop_errors


def search(shop: Engine, found: Criterion, time_zone: str, limit: int) -> list[ReceiptSummary]:
    """Newest first, at most `limit` (the window says when there may be more)."""
    where, params = _where(found, time_zone)
    # Shaped as this till's receipts rows (id 0: not here yet), so one function reads both.
    newest = (
        "SELECT r.*, 0 AS id, coalesce((SELECT sum(f.amount_minor) FROM shop_refunds f"
        " WHERE f.receipt_till_id = r.till_id AND f.receipt_no = r.receipt_no), 0) AS refunded_minor"
        " FROM shop_receipts r"
        + (f" WHERE {where}" if where else "")
        + " ORDER BY r.created_at DESC, r.till_id, r.receipt_no DESC LIMIT :limit"
    )
    sql = (
        "SELECT x.*, CASE WHEN x.refunded_minor = 0 THEN 'paid' WHEN x.refunded_minor >= x.total_minor"
        f" THEN 'refunded' ELSE 'partially_refunded' END AS status FROM ({newest}) x"
        " ORDER BY x.created_at DESC, x.till_id, x.receipt_no DESC"
    )
    with shop_errors(), shop.connect() as conn:
        rows = conn.execute(text(sql), {**params, "limit": limit}).mappings().all()
    return [receipt_summary(row) for row in rows]


def _where(found: Criterion, time_zone: str) -> tuple[str, dict[str, Any]]:
    if found.kind == "all":
        return "", {}
    if found.kind == "number":
        if found.till:  # T2-0042: that till's receipt only
            return "r.receipt_no = :v AND r.till_id = :t", {"v": found.value, "t": found.till}
        return "r.receipt_no = :v", {"v": found.value}
    if found.kind == "intent":
        return (
            "(r.payment_intent = :v OR EXISTS (SELECT 1 FROM shop_tenders x WHERE x.till_id = r.till_id"
            " AND x.receipt_no = r.receipt_no AND x.payment_intent = :v))",
            {"v": found.value},
        )
    if found.kind == "last4":
        return (
            "(r.card_last4 = :v OR EXISTS (SELECT 1 FROM shop_tenders x WHERE x.till_id = r.till_id"
            " AND x.receipt_no = r.receipt_no AND x.card_last4 = :v))",
            {"v": found.value},
        )
    if found.kind == "number_or_last4":  # four digits typed: a receipt number or a card's last 4
        assert isinstance(found.value, str)
        return (
            "(r.receipt_no = :n OR r.card_last4 = :v OR EXISTS (SELECT 1 FROM shop_tenders x"
            " WHERE x.till_id = r.till_id AND x.receipt_no = r.receipt_no AND x.card_last4 = :v))",
            {"n": int(found.value), "v": found.value},
        )
    if found.kind == "amount":
        return "r.total_minor = :v", {"v": found.value}
    first, last = found.days
    start, end = local_day_bounds(first, last, store_zone(time_zone))
    return "r.created_at >= :s AND r.created_at < :e", {"s": start, "e": end}


__all__ = ["search"]
