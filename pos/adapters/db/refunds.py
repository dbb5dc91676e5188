"""The refund journal in SQLite: a refund recorded before Stripe is asked, numbered when it succeeds."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine

from pos.domain.catalog import is_gift_card_sku
from pos.domain.money import Money
from pos.domain.refunds import PaidPart, RefundableLine, RefundError, RefundPart, RefundReceipt, lines_amount
from pos.domain.tender import TenderKind
from pos.services.refund_journal import RefundBasis, RefundRecord
from pos.services.requests import CreateRefund
from pos.services.states import RefundState, TenderState
from pos.services.tenders import RefundRoute, strategy

from . import audit, raw, stock
from .raw import now_iso, parse_iso
from .schema import COPIED_SALE_PREFIX
from .returns import next_refund_no


# Refunds that take from what a receipt can still give back: made, or asked and not yet answered.
COUNTED = (RefundState.SENT, RefundState.SUCCEEDED)


def _record(row) -> RefundRecord:
    return RefundRecord(
        id=row["id"],
        refund_key=row["refund_key"],
        receipt_id=row["receipt_id"],
        state=RefundState(row["state"]),
        amount_minor=row["amount_minor"],
        currency=row["currency"],
        # Only a refund given back through Stripe has a Stripe request (cash leaves the drawer; a gift
        # card or store credit goes back to its balance).
        request=CreateRefund.from_json(json.loads(row["params"]), row["currency"])
        if strategy(row["tender_kind"]).refund is RefundRoute.STRIPE
        else None,
        created_at=row["created_at"],
        refund_no=row["refund_no"],
        stripe_refund=row["stripe_refund"],
        message=row["message"],
        rounding_minor=row["rounding_minor"],
        given_as=TenderKind(row["tender_kind"]),
        tender_id=row["tender_id"],
    )


def _is_copy(conn, receipt_id: int) -> bool:
    """A receipt brought from the shop database (adapters/shop/copies.py): its sale's key says so."""
    row = conn.execute(
        "SELECT s.sale_key FROM receipts r JOIN sales s ON s.id = r.sale_id WHERE r.id = ?", (receipt_id,)
    ).fetchone()
    return bool(row) and str(row[0]).startswith(COPIED_SALE_PREFIX)


class SqlRefunds:
    def __init__(self, engine: Engine, settings_repo):
        self._engine = engine
        self._settings = settings_repo

    def _basis(self, conn, receipt_id: int) -> RefundBasis:
        receipt = conn.execute("SELECT * FROM receipts WHERE id = ?", (receipt_id,)).fetchone()
        if receipt is None:
            raise RefundError("There is no such receipt.")
        pending, tax_refunded = conn.execute(
            "SELECT coalesce(sum(amount_minor), 0), coalesce(sum(tax_minor), 0) FROM refunds "
            "WHERE receipt_id = ? AND state IN (?, ?)",
            (receipt_id, *COUNTED),
        ).fetchone()
        refunded_units = dict(
            conn.execute(
                "SELECT l.line_no, sum(l.quantity) FROM refund_lines l JOIN refunds r ON r.id = l.refund_id "
                "WHERE r.receipt_id = ? AND r.state IN (?, ?) GROUP BY l.line_no",
                (receipt_id, *COUNTED),
            ).fetchall()
        )
        lines = tuple(
            RefundableLine(
                line_no=row["line_no"],
                name=row["name"],
                quantity=row["quantity"],
                gross_minor=row["gross_minor"],
                refunded_quantity=refunded_units.get(row["line_no"], 0),
                tax_minor=row["tax_minor"],
                gift_card=is_gift_card_sku(row["sku"]),
            )
            for row in conn.execute(
                "SELECT * FROM sale_lines WHERE sale_id = ? ORDER BY line_no", (receipt["sale_id"],)
            )
        )
        given = {
            tender_id: (value, cash)
            for tender_id, value, cash in conn.execute(
                "SELECT tender_id, sum(amount_minor),"
                " sum(CASE WHEN tender_kind = 'cash' THEN amount_minor + rounding_minor ELSE 0 END)"
                " FROM refunds WHERE receipt_id = ? AND state IN (?, ?) GROUP BY tender_id",
                (receipt_id, *COUNTED),
            ).fetchall()
        }
        tenders = conn.execute(
            "SELECT * FROM tenders WHERE sale_id = ? AND state = ? ORDER BY part_no",
            (receipt["sale_id"], TenderState.PAID),
        ).fetchall()
        parts = tuple(
            PaidPart(
                tender_id=t["id"],
                kind=TenderKind(t["kind"]),
                amount_minor=t["amount_minor"],
                refunded_minor=given.get(t["id"], (0, 0))[0],
                card_brand=t["card_brand"],
                card_last4=t["card_last4"],
                rounding_minor=t["rounding_minor"],
                cash_back_minor=given.get(t["id"], (0, 0))[1],
            )
            for t in tenders
        )
        return RefundBasis(
            parts=parts,
            intents=tuple((t["id"], t["payment_intent"]) for t in tenders if t["payment_intent"]),
            receipt_id=receipt_id,
            receipt_no=receipt["receipt_no"],
            till_id=receipt["till_id"],
            currency=receipt["currency"],
            total_minor=receipt["total_minor"],
            refunded_minor=pending,
            payment_intent=receipt["payment_intent"],
            lines=lines,
            tax_minor=receipt["tax_minor"],
            tax_refunded_minor=tax_refunded,
        )

    def basis(self, receipt_id: int) -> RefundBasis:
        with raw.connection(self._engine) as conn:
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
        with raw.write(self._engine) as conn:
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
                    "INSERT INTO refunds (refund_key, receipt_id, till_id, state, amount_minor, currency, reason,"
                    " params, created_at, updated_at, tax_minor, tender_id, tender_kind, cash_for_card, rounding_minor)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        request.refund_key,
                        basis.receipt_id,
                        till_id,
                        RefundState.SENT,
                        piece.amount_minor,
                        basis.currency,
                        request.reason,
                        json.dumps(request.to_json(), sort_keys=True) if sent else "{}",
                        stamp,
                        stamp,
                        tax_minor,
                        piece.tender_id,
                        piece.given_as,
                        piece.cash_for_card,
                        piece.rounding_minor if cash else 0,
                    ),
                ).lastrowid
                if n == 0:
                    conn.executemany(
                        "INSERT INTO refund_lines (refund_id, line_no, quantity, amount_minor, to_stock)"
                        " VALUES (?,?,?,?,?)",
                        [
                            (
                                refund_id,
                                ln,
                                q,
                                lines_amount(list(fresh.lines), {ln: q}, fresh.currency),
                                ln not in written_off,
                            )
                            for ln, q in lines.items()
                            if q > 0
                        ],
                    )
                ids.append(refund_id)
            for refund_id in ids:  # each piece as asked for: `pos recover` completes only what an event records
                audit.append(
                    conn,
                    till_id,
                    "refund_started",
                    f"refund {refund_id} of receipt {audit.numbered(fresh.till_id, fresh.receipt_no)}",
                    audit.covering(conn, "refund_started", refund_id),
                )
            return [_record(conn.execute("SELECT * FROM refunds WHERE id = ?", (i,)).fetchone()) for i in ids]

    def finish_refund(
        self, refund_id: int, stripe_refund: str | None, store_credit_code: str | None = None
    ) -> RefundReceipt:
        """Number the refund and add it to the receipt, in one transaction (a no-op if done already);
        a piece given as store credit keeps its code."""
        with raw.write(self._engine) as conn:
            self._number(conn, refund_id, stripe_refund, now_iso(), store_credit_code)
            return self._refund_receipt(
                conn, conn.execute("SELECT * FROM refunds WHERE id = ?", (refund_id,)).fetchone()
            )

    @staticmethod
    def _number(
        conn, refund_id: int, stripe_refund: str | None, stamp: str, store_credit_code: str | None = None
    ) -> None:
        row = conn.execute("SELECT * FROM refunds WHERE id = ?", (refund_id,)).fetchone()
        if row["state"] == RefundState.SUCCEEDED:
            return
        number = next_refund_no(conn, row["till_id"])  # gapless over refunds and unverified returns
        conn.execute(
            "UPDATE refunds SET state = ?, refund_no = ?, stripe_refund = ?, message = NULL, updated_at = ?,"
            " cashier = ?, store_credit_code = ? WHERE id = ?",
            (RefundState.SUCCEEDED, number, stripe_refund, stamp, audit.current_actor(), store_credit_code, refund_id),
        )
        till = row["till_id"]
        audit.append(
            conn, till, "refund", f"refund {audit.numbered(till, number)}", audit.covering(conn, "refund", refund_id)
        )
        # Its returned lines go back to stock (or are written off) as it is numbered, in its transaction.
        stock.refund_moved(conn, refund_id, audit.numbered(till, number))
        receipt = conn.execute(
            "SELECT total_minor, refunded_minor FROM receipts WHERE id = ?", (row["receipt_id"],)
        ).fetchone()
        refunded = receipt["refunded_minor"] + row["amount_minor"]
        status = "refunded" if refunded >= receipt["total_minor"] else "partially_refunded"
        conn.execute(
            "UPDATE receipts SET refunded_minor = ?, status = ? WHERE id = ?", (refunded, status, row["receipt_id"])
        )

    def _refund_receipt(self, conn, row) -> RefundReceipt:
        receipt = conn.execute("SELECT * FROM receipts WHERE id = ?", (row["receipt_id"],)).fetchone()
        names = dict(
            conn.execute("SELECT line_no, name FROM sale_lines WHERE sale_id = ?", (receipt["sale_id"],)).fetchall()
        )
        units = conn.execute(
            "SELECT line_no, quantity FROM refund_lines WHERE refund_id = ? ORDER BY line_no", (row["id"],)
        ).fetchall()
        tender = (
            conn.execute("SELECT * FROM tenders WHERE id = ?", (row["tender_id"],)).fetchone()
            if row["tender_id"]
            else None
        )
        return RefundReceipt(
            refund_no=row["refund_no"],
            till_id=row["till_id"],
            created_at=parse_iso(row["updated_at"]).astimezone(),
            store_name=self._settings.load().store_name,
            receipt_no=receipt["receipt_no"],
            amount=Money(row["amount_minor"], row["currency"]),
            lines=tuple((names.get(u["line_no"], "?"), u["quantity"]) for u in units),
            card_brand=tender["card_brand"] if tender else receipt["card_brand"],
            card_last4=tender["card_last4"] if tender else receipt["card_last4"],
            stripe_refund=row["stripe_refund"],
            in_cash=row["tender_kind"] == TenderKind.CASH,
            cash_for_card=bool(row["cash_for_card"]),
            rounding=Money(row["rounding_minor"], row["currency"]) if row["rounding_minor"] else None,
            store_credit_code=row["store_credit_code"],
        )

    def fail_refund(self, refund_id: int, message: str) -> None:
        with raw.write(self._engine) as conn:
            conn.execute(
                "UPDATE refunds SET state = ?, message = ?, updated_at = ? WHERE id = ? AND state = ?",
                (RefundState.FAILED, message, now_iso(), refund_id, RefundState.SENT),
            )

    def is_recorded(self, refund_id: int) -> bool:
        """Whether the audit trail records this refund as it was asked for (a row written behind the
        till's back is not, and is never completed)."""
        with raw.connection(self._engine) as conn:
            return audit.is_covered(conn, "refund_started", refund_id)

    def unfinished_refunds(self) -> list[RefundRecord]:
        with raw.connection(self._engine) as conn:
            return [
                _record(r)
                for r in conn.execute("SELECT * FROM refunds WHERE state = ? ORDER BY id", (RefundState.SENT,))
            ]

    def refunds_for_receipt(self, receipt_id: int) -> list[RefundRecord]:
        with raw.connection(self._engine) as conn:
            return [
                _record(r)
                for r in conn.execute("SELECT * FROM refunds WHERE receipt_id = ? ORDER BY id", (receipt_id,))
            ]

    def refund_receipt(self, refund_id: int) -> RefundReceipt:
        with raw.connection(self._engine) as conn:
            return self._refund_receipt(
                conn, conn.execute("SELECT * FROM refunds WHERE id = ?", (refund_id,)).fetchone()
            )
