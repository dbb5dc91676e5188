"""Refund claims at the shop database (docs/decisions/0009-refund-claims-at-the-shop.md).

Before a till refunds a receipt it claims the amount at the shop, in one shop transaction that
locks the receipt (its row, and an advisory lock on its key for a receipt whose own till has not
sent it yet) and counts every till's refunds of it and the claims still open. A claim is keyed by
the refund's own key: it is complete when that refund reaches the shop (`shop_refunds.refund_key`),
and released by the till that made it when that refund failed, or when the till has no refund of
that key at all CLAIM_GRACE after claiming (it stopped between the claim and journaling the refund).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, select, text, tuple_
from sqlalchemy.engine import Connection, Engine

from pos.adapters.db import core, raw
from pos.adapters.db import schema as tables
from pos.adapters.db.raw import now_iso
from pos.adapters.db.schema import COPIED_SALE_PREFIX
from pos.domain.money import Money
from pos.services.refunds import ClaimAnswer
from pos.services.shop import ShopUnreachable

from . import tables as t
from .connect import shop_errors

# Between a claim and its refund's journal entry a till takes well under a second; a claim with no
# refund of its key at its till after this long was left by a till that stopped in between.
CLAIM_GRACE = timedelta(minutes=10)


# The till's own file, through SQLAlchemy Core (decision 0010).
_F, _R = tables.refunds, tables.receipts
_OWN_REFUNDS = select(_F.c.refund_key, _F.c.till_id, _F.c.refund_no, _F.c.amount_minor).where(
    _F.c.receipt_id == bindparam("receipt_id"),
    _F.c.state.in_(("sent", "succeeded")),
    _F.c.refund_key.not_like(f"{COPIED_SALE_PREFIX}%"),
)
_RECEIPT = (
    select(_R.c.till_id, _R.c.receipt_no, _R.c.total_minor, _R.c.currency, tables.sales.c.sale_key)
    .join(tables.sales, tables.sales.c.id == _R.c.sale_id)
    .where(_R.c.id == bindparam("receipt_id"))
)
_REFUND_STATE = select(_F.c.state).where(_F.c.refund_key == bindparam("key"))


def _own_refunds(local: Connection, receipt_id: int) -> list[Any]:
    """This till's refunds of the receipt that count (given, or still waiting for Stripe's answer);
    the copies of other tills' refunds are the shop's own rows already."""
    return list(local.execute(_OWN_REFUNDS, {"receipt_id": receipt_id}).mappings())


class ShopRefundClaims:
    """services.refunds.RefundClaims on a till's SQLite and the shop database."""

    def __init__(
        self,
        local: Engine,
        shop: Engine,
        ready: Callable[[], None],
        install_id: Callable[[], str],
        till_id: Callable[[], str],
        shared: Callable[[str], bool],
    ):
        self._local, self._shop = local, shop
        self._ready, self._install_id, self._till_id, self._shared = ready, install_id, till_id, shared

    def claim(self, receipt_id: int, pieces: list[tuple[str, int]]) -> ClaimAnswer:
        with core.reading(self._local) as local:
            receipt = local.execute(_RECEIPT, {"receipt_id": receipt_id}).mappings().first()
            own = _own_refunds(local, receipt_id) if receipt is not None else []
        if receipt is None or not self._shared(receipt["till_id"]):
            return ClaimAnswer(True)  # a demo sale: never in the shop
        copy = str(receipt["sale_key"]).startswith(COPIED_SALE_PREFIX)
        try:
            install = self._install_id()
            with shop_errors():
                self._ready()
                with self._shop.begin() as conn:
                    left = _left(conn, receipt, own)
                    wanted = sum(minor for _key, minor in pieces)
                    if wanted > left:
                        return ClaimAnswer(False, left_minor=max(left, 0))
                    stamp = now_iso()
                    conn.execute(
                        t.CLAIMS.insert(),
                        [
                            {
                                "claim_key": key,
                                "receipt_till_id": receipt["till_id"],
                                "receipt_no": receipt["receipt_no"],
                                "till_id": self._till_id(),
                                "install_id": install,
                                "amount_minor": minor,
                                "currency": receipt["currency"],
                                "claimed_at": stamp,
                            }
                            for key, minor in pieces
                        ],
                    )
        except ShopUnreachable as exc:
            # Its own receipt: the till goes on what it knows (the shop flags an over-refund when the
            # refunds meet there). Another till's: only the shop knows what was refunded elsewhere.
            return ClaimAnswer(not copy, away=str(exc))
        return ClaimAnswer(True)

    def release(self, keys: list[str]) -> None:
        """Let go of claims whose refund did not happen; the next sync round does it if the shop is away."""
        if not keys:
            return
        try:
            with shop_errors(), self._shop.begin() as conn:
                _release(conn, keys)
        except ShopUnreachable:
            pass  # still open: the claiming till's next round releases it (settle_claims)


def _left(conn: Connection, receipt: Any, own: list[Any]) -> int:
    """What is left to refund on the receipt, as the shop and this till know it together, with the
    receipt locked until the claim commits."""
    till_id, receipt_no = receipt["till_id"], receipt["receipt_no"]
    if conn.dialect.name == "postgresql":
        # The receipt's row may not be at the shop yet (its own till is claiming before sending it).
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"refund:{till_id}:{receipt_no}"})
        conn.execute(
            select(t.RECEIPTS.c.receipt_no)
            .where((t.RECEIPTS.c.till_id == till_id) & (t.RECEIPTS.c.receipt_no == receipt_no))
            .with_for_update()
        )
    refunds = conn.execute(
        select(t.REFUNDS.c.till_id, t.REFUNDS.c.refund_no, t.REFUNDS.c.amount_minor, t.REFUNDS.c.refund_key).where(
            (t.REFUNDS.c.receipt_till_id == till_id) & (t.REFUNDS.c.receipt_no == receipt_no)
        )
    ).all()
    claims = conn.execute(
        select(t.CLAIMS.c.claim_key, t.CLAIMS.c.amount_minor).where(
            (t.CLAIMS.c.receipt_till_id == till_id)
            & (t.CLAIMS.c.receipt_no == receipt_no)
            & t.CLAIMS.c.released_at.is_(None)
        )
    ).all()
    arrived = {r.refund_key for r in refunds if r.refund_key}
    numbered = {(r.till_id, r.refund_no) for r in refunds}
    open_claims = {c.claim_key: c.amount_minor for c in claims if c.claim_key not in arrived}
    # This till's refunds the shop has neither as a refund nor as a claim (given while it was away).
    unsent = sum(
        r["amount_minor"]
        for r in own
        if r["refund_key"] not in arrived
        and r["refund_key"] not in open_claims
        and (r["refund_no"] is None or (r["till_id"], r["refund_no"]) not in numbered)
    )
    return int(receipt["total_minor"]) - sum(r.amount_minor for r in refunds) - sum(open_claims.values()) - unsent


def _release(conn: Connection, keys: list[str]) -> None:
    conn.execute(
        t.CLAIMS.update()
        .where(t.CLAIMS.c.claim_key.in_(keys) & t.CLAIMS.c.released_at.is_(None))
        .values(released_at=now_iso())
    )


def settle_claims(conn: Connection, local: Connection, install: str) -> int:
    """Release this data folder's open claims whose refund will not come: it failed here, or there is
    no refund of that key here CLAIM_GRACE after the claim. How many were released."""
    arrived = select(t.REFUNDS.c.refund_key).where(t.REFUNDS.c.refund_key.is_not(None))
    found = conn.execute(
        select(t.CLAIMS.c.claim_key, t.CLAIMS.c.claimed_at).where(
            (t.CLAIMS.c.install_id == install) & t.CLAIMS.c.released_at.is_(None) & t.CLAIMS.c.claim_key.not_in(arrived)
        )
    ).all()
    cutoff = (raw.clock() - CLAIM_GRACE).isoformat(timespec="microseconds")
    done = []
    for claim in found:
        state = local.execute(_REFUND_STATE, {"key": claim.claim_key}).first()
        if (state is not None and state[0] == "failed") or (state is None and claim.claimed_at < cutoff):
            done.append(claim.claim_key)
    if done:
        _release(conn, done)
    return len(done)


def over_refunds(conn: Connection, receipts: set[tuple[str, int]] | None = None) -> list[str]:
    """Receipts the tills' refunds, met at the shop, give back more than was paid (all of them, or
    those among `receipts`), each as one line in the owner's words."""
    query = (
        select(
            t.RECEIPTS.c.till_id,
            t.RECEIPTS.c.receipt_no,
            t.RECEIPTS.c.total_minor,
            t.RECEIPTS.c.currency,
            text("sum(shop_refunds.amount_minor)"),
        )
        .join(
            t.REFUNDS,
            (t.REFUNDS.c.receipt_till_id == t.RECEIPTS.c.till_id) & (t.REFUNDS.c.receipt_no == t.RECEIPTS.c.receipt_no),
        )
        .group_by(t.RECEIPTS.c.till_id, t.RECEIPTS.c.receipt_no, t.RECEIPTS.c.total_minor, t.RECEIPTS.c.currency)
        .having(text("sum(shop_refunds.amount_minor) > shop_receipts.total_minor"))
        .order_by(t.RECEIPTS.c.till_id, t.RECEIPTS.c.receipt_no)
    )
    if receipts is not None:
        if not receipts:
            return []
        query = query.where(tuple_(t.RECEIPTS.c.till_id, t.RECEIPTS.c.receipt_no).in_(sorted(receipts)))
    return [
        f"receipt {till}-{no:04d} was refunded {Money(int(refunded), currency)} of {Money(total, currency)} "
        "by the tills together (an over-refund: compare the tills' refund receipts)"
        for till, no, total, currency, refunded in conn.execute(query)
    ]


__all__ = ["CLAIM_GRACE", "ShopRefundClaims", "over_refunds", "settle_claims"]
