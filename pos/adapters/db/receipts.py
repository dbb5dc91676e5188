"""Receipts as records: export, lookup."""

from __future__ import annotations

from typing import Iterator

from sqlalchemy import select
from sqlalchemy.engine import Engine

from .schema import ReceiptRow

_R = ReceiptRow.__table__

EXPORT_COLUMNS = ("receipt_no", "created_at", "currency", "total_minor", "tax_minor", "payment_intent",
                  "status", "card_brand", "card_last4", "refunded_minor")


class ReceiptsRepo:
    def __init__(self, engine: Engine):
        self._engine = engine

    def export_rows(self) -> Iterator[dict]:
        """Every receipt, oldest first, streamed so a million receipts do not fill memory."""
        query = select(*[_R.c[c] for c in EXPORT_COLUMNS]).order_by(_R.c.till_id, _R.c.receipt_no)
        with self._engine.connect() as conn:
            for row in conn.execution_options(stream_results=True, yield_per=1000).execute(query):
                yield dict(row._mapping)

    def count(self) -> int:
        from sqlalchemy import func

        with self._engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(_R)).scalar_one()
