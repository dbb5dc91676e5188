"""What happens at the printer when a sale is paid: the customer's receipt choice, and the
drawer-before-print rule.

Without a customer display the receipt prints as soon as the sale is paid (the drawer opening first
when cash was taken, in the same job). With one, the customer chooses on it (Square and Shopify let
them): print, or no receipt; email joins `OFFERED` once the till can send one. The drawer still
opens when the sale is paid, because the cashier gives the change at once; a printed receipt comes
after, so the drawer always opens before the receipt prints. The counter decides the jobs
(counter.py), the windows only run them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pos.domain.receipt import Receipt
from pos.domain.tender import TenderKind

from .receipt_printing import Printed, Printing, PrintResult


class ReceiptChoice(StrEnum):
    PRINT = "print"
    NONE = "none"
    # EMAIL = "email": once the till can send a receipt by email, it is offered here too.

    @property
    def words(self) -> str:
        """The choice on the customer's button."""
        return _WORDS[self]

    @property
    def told(self) -> str:
        """What the customer display and the cashier's status line say once it is chosen."""
        return _TOLD[self]


_WORDS = {ReceiptChoice.PRINT: "Print my receipt", ReceiptChoice.NONE: "No receipt"}
_TOLD = {ReceiptChoice.PRINT: "Your receipt is printing.", ReceiptChoice.NONE: "No receipt."}

# The choices the customer display offers, in the order it shows them.
OFFERED: tuple[ReceiptChoice, ...] = (ReceiptChoice.PRINT, ReceiptChoice.NONE)


@dataclass(frozen=True)
class ReceiptJobs:
    """What the printer does now for a receipt: open the drawer, print, both (drawer first) or neither."""

    open_drawer: bool
    print_receipt: bool


def paid_in_cash(receipt: Receipt) -> bool:
    return any(t.kind is TenderKind.CASH for t in receipt.tenders)


def jobs_when_paid(receipt: Receipt, customer_chooses: bool) -> ReceiptJobs:
    """At payment: the drawer for cash; the receipt too unless the customer is to choose."""
    return ReceiptJobs(open_drawer=paid_in_cash(receipt), print_receipt=not customer_chooses)


def jobs_when_chosen(choice: ReceiptChoice) -> ReceiptJobs:
    """After the customer's choice: the drawer opened when the sale was paid, so only the receipt."""
    return ReceiptJobs(open_drawer=False, print_receipt=choice is ReceiptChoice.PRINT)


def run_jobs(printing: Printing, receipt: Receipt, jobs: ReceiptJobs) -> PrintResult | None:
    """The jobs on the printer (on a worker), the drawer first; None when there was nothing to do."""
    result: PrintResult | None = None
    if jobs.open_drawer:
        result = printing.open_drawer(f"cash sale {receipt.number_text}")
        if not isinstance(result, Printed):
            return result  # a drawer that did not open: the receipt waits for a reprint
    if jobs.print_receipt:
        result = printing.print_receipt(receipt)
    return result
