"""An exchange: lines of a receipt taken back and new goods sold, in one sale at the counter.

The returned lines are refunded through the refund machine (refund-left and the shop's claim rules as
for any refund, so nothing is returned twice): the part that pays for the new goods as one store credit
code (issued exactly once under its piece's key, refund_phases), and that code is redeemed as a tender
of the new sale through the gift card's redemption phases (tenders/gift_card.py, booked as
`store_credit`). What the new goods cost beyond it is paid with any tender at the payment dialog;
what the returned goods come to beyond the new goods goes back to the tenders that paid, or, if the
customer wants store credit, stays on the code. Reports stay right: the returned goods are refunds,
the new goods a sale.

The exchange is journaled (`ExchangeJournal`) before anything is refunded, under the key its refund's
store-credit piece is issued with. A crash anywhere between leaves the credit on its code exactly once
(the refund machine's recovery issues it under that key) and `recover` says which: applied to the new
sale (its redemption recorded; the sale resumes owing the rest) or kept on the code for the customer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pos.domain.money import Money
from pos.domain.refunds import RefundError, lines_amount

from .crashpoints import crash_point
from .exchange_journal import ExchangeState
from .outcomes import Failed, Paid, PartPaid
from .refunds import Refunded, given_to

if TYPE_CHECKING:
    from .checkout import ChargeResult
    from .counter import Counter
    from .refunds import Refunds


@dataclass(frozen=True)
class ExchangeResult:
    message: str  # in the cashier's words
    refund: Refunded | None = None  # the returned lines' refund (None: nothing was refunded)
    paid: ChargeResult | None = None  # the credit redeemed on the new sale
    code: str | None = None  # the store credit code the returned lines went onto

    @property
    def ok(self) -> bool:
        return isinstance(self.paid, (Paid, PartPaid))


def exchange(
    counter: Counter, refunds: Refunds, receipt_id: int, lines: dict[int, int], give_back: bool = True
) -> ExchangeResult:
    """Take back `lines` ({line_no: units}) of the receipt for the goods in the counter's cart (on a
    worker). `give_back`: what the returned goods come to beyond the new goods goes back to the tenders
    that paid; else it stays on the store credit code."""
    if counter.cart.is_empty():
        return ExchangeResult("Ring up the new goods first, then take the old ones back in exchange.")
    due = counter.amount_due()
    if due.minor <= 0:
        return ExchangeResult("Nothing is due on the sale at the counter: start a new sale with the new goods.")
    basis = refunds.basis(receipt_id)
    if basis.currency != due.currency:
        return ExchangeResult(f"The receipt is in {basis.currency} and the sale in {due.currency}.")
    chosen = {n: q for n, q in lines.items() if q > 0}
    try:
        returned = lines_amount(list(basis.lines), chosen, basis.currency)
    except RefundError as exc:
        return ExchangeResult(str(exc))
    if returned <= 0:
        return ExchangeResult("Choose at least one item to take back.")
    credit = min(returned, due.minor) if give_back else returned
    journal = refunds.exchanges
    key = uuid.uuid4().hex
    if journal is not None:
        journal.begin_exchange(key, receipt_id, Money(credit, due.currency))
    refund = refunds.refund(receipt_id, lines=chosen, store_credit_minor=credit, credit_key=key)
    if not isinstance(refund, Refunded):
        if journal is not None and not getattr(refund, "outcome_unknown", False):
            journal.close_exchange(key, ExchangeState.DROPPED, note="the refund did not go through")
        return ExchangeResult(getattr(refund, "message", "The items could not be taken back."))
    code = next((r.store_credit_code for r in refund.refunds if r.store_credit_code), None)
    if code is None:
        return ExchangeResult(f"{refund.problem or 'The store credit was not issued yet.'} Nothing was paid.", refund)
    crash_point("after_exchange_refunded")
    applied = Money(min(credit, due.minor), due.currency)
    paid = counter.pay_gift_card(code, applied)
    if journal is not None:
        if isinstance(paid, (Paid, PartPaid)):
            journal.close_exchange(key, ExchangeState.APPLIED, counter.sale_id)
        elif isinstance(paid, Failed) and not paid.money_may_have_moved:
            journal.close_exchange(key, ExchangeState.KEPT, note=paid.message)
    back = [f"{r.handed_back} {given_to(r)}" for r in refund.refunds if not r.store_credit_code]
    said = f"Took back {Money(returned, due.currency)} (store credit {code}"
    said += f"; {', '.join(back)})." if back else ")."
    if isinstance(paid, Failed):
        return ExchangeResult(f"{said} {paid.message} The credit stays on the code.", refund, paid, code)
    said += f" It pays {applied} of the new sale"
    kept = credit - applied.minor
    if kept > 0:
        said += f"; {Money(kept, due.currency)} stays on store credit {code}"
    if isinstance(paid, PartPaid):
        said += f"; {paid.due} left to pay: press Pay."
    else:
        said += "; the sale is paid."
    return ExchangeResult(said, refund, paid, code)
