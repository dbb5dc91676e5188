"""Exchanges at the counter (services/exchange_journal.ExchangeJournal) in the till's SQLite.

An exchange's key is its refund's store-credit piece's `refund_key`, so the code the credit went onto
and the redemption that spent it are found by joining what the refund and the gift card machinery
journaled themselves: nothing is copied that could disagree after a crash."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from pos.domain.giftcards import parse_code
from pos.domain.money import Money
from pos.services.exchange_journal import ExchangeState, OpenExchange
from pos.services.states import RefundState
from pos.services.tenders.gift_card import RedemptionState

from . import core
from .errors import storage_errors
from .raw import now_iso
from .schema import exchanges as _TABLE, gift_card_redemptions as _REDEMPTIONS, receipts as _RECEIPTS
from .schema import refunds as _REFUNDS


class SqlExchanges:
    def __init__(self, engine: Engine):
        self._engine = engine

    def begin_exchange(self, key: str, receipt_id: int, credit: Money) -> None:
        stamp = now_iso()
        with core.writing(self._engine) as conn:
            conn.execute(
                insert(_TABLE).values(
                    exchange_key=key,
                    receipt_id=receipt_id,
                    currency=credit.currency,
                    credit_minor=credit.minor,
                    state=ExchangeState.STARTED.value,
                    note="",
                    created_at=stamp,
                    updated_at=stamp,
                )
            )

    def close_exchange(self, key: str, state: ExchangeState, sale_id: int | None = None, note: str = "") -> None:
        with core.writing(self._engine) as conn:
            conn.execute(
                update(_TABLE)
                .where(_TABLE.c.exchange_key == key, _TABLE.c.state == ExchangeState.STARTED.value)
                .values(state=state.value, sale_id=sale_id, note=note, updated_at=now_iso())
            )

    def open_exchanges(self) -> list[OpenExchange]:
        with storage_errors(), self._engine.connect() as conn:
            rows = conn.execute(
                select(_TABLE, _RECEIPTS.c.receipt_no)
                .join(_RECEIPTS, _RECEIPTS.c.id == _TABLE.c.receipt_id)
                .where(_TABLE.c.state == ExchangeState.STARTED.value)
                .order_by(_TABLE.c.id)
            ).all()
            found = []
            for row in rows:
                refund = conn.execute(
                    select(_REFUNDS.c.state, _REFUNDS.c.store_credit_code).where(
                        _REFUNDS.c.refund_key == row.exchange_key
                    )
                ).first()
                code = None
                if refund is not None and refund.state == RefundState.SUCCEEDED:
                    code = refund.store_credit_code
                applied_to = None
                if code is not None:
                    applied_to = conn.execute(
                        select(_REDEMPTIONS.c.sale_id)
                        .where(
                            _REDEMPTIONS.c.code == parse_code(code),
                            _REDEMPTIONS.c.state == RedemptionState.RECORDED.value,
                            _REDEMPTIONS.c.created_at >= row.created_at,
                        )
                        .order_by(_REDEMPTIONS.c.id)
                    ).scalar()
                found.append(
                    OpenExchange(
                        row.exchange_key,
                        row.receipt_no,
                        Money(row.credit_minor, row.currency),
                        code,
                        refund is not None,
                        applied_to,
                    )
                )
            return found
