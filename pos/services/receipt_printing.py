"""The receipt printer and the cash drawer behind it: print a receipt, test the printer, open
the drawer (every opening recorded, with why).

An ESC/POS printer is reached by network (port 9100), USB or a serial line; the
adapter (`adapters/escpos_printer.py`) speaks to it. A printer that is off or out
of paper never touches a sale: the sale is complete before anything is printed,
and a failed print says so in the cashier's words and can be repeated (reprint).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

from pos.domain.errors import PosError
from pos.domain.giftcards import sold_card
from pos.domain.printer_setup import PrinterSetup
from pos.domain.receipt import Receipt, render_text
from pos.domain.refunds import RefundReceipt, render_refund_text

# Characters per line on 80 mm paper in the printer's standard font (Font A, 12 × 24 dots).
PAPER_COLUMNS = 42


class PrinterError(PosError):
    """The printer could not be reached or refused the job; the message is for the cashier."""


class ReceiptPrinter(Protocol):
    def print_text(
        self, text: str, *, cut: bool = True, open_drawer: bool = False, qr_codes: tuple[str, ...] = ()
    ) -> None: ...
    def open_drawer(self) -> None: ...


class DrawerLog(Protocol):
    def record_opening(self, till_id: str, reason: str, opened: bool, message: str) -> None: ...


@dataclass(frozen=True)
class Printed:
    message: str


@dataclass(frozen=True)
class NotPrinted:
    message: str


PrintResult = Printed | NotPrinted


class Printing:
    def __init__(
        self,
        printer_for: Callable[[PrinterSetup], ReceiptPrinter],
        setup: Callable[[], PrinterSetup],
        drawer_log: DrawerLog,
        till_id: Callable[[], str],
        locale: Callable[[], str],
        load_library: Callable[[], None] = lambda: None,
    ):
        self._printer_for, self._setup, self._drawer_log = printer_for, setup, drawer_log
        self._till_id, self._locale = till_id, locale
        self._load_library = load_library

    def warm(self) -> bool:
        """The printer's library imported ahead of the first job, when a printer is set up (a till
        without one never loads it). Slow (~165 ms of CPU): on a worker, never the UI thread. True
        when it was loaded."""
        if not self.configured:
            return False
        self._load_library()
        return True

    @property
    def configured(self) -> bool:
        return self._setup().configured

    def print_receipt(self, receipt: Receipt, *, copy: bool = False) -> PrintResult:
        text = render_text(receipt, width=PAPER_COLUMNS, copy=copy, locale=self._locale())
        # A gift card the sale sold: its code as a QR code under the receipt (the text shows it too),
        # for the till's scanner when the card is spent.
        codes = tuple(sold[0] for line in receipt.lines if (sold := sold_card(line.sku)) is not None)
        number = receipt.number_text
        return self._print(text, f"Receipt {number} printed.", f"Receipt {number}", qr_codes=codes)

    def print_refund(self, refund: RefundReceipt) -> PrintResult:
        text = render_refund_text(refund, width=PAPER_COLUMNS, locale=self._locale())
        return self._print(text, f"Refund {refund.refund_no:04d} printed.", f"Refund {refund.refund_no:04d}")

    def test_print(self, setup: PrinterSetup) -> PrintResult:
        """A short page on a setup not saved yet (Settings' Test print)."""
        if not setup.configured:
            return NotPrinted("Choose a printer first.")
        lines = ["Test print".center(PAPER_COLUMNS), "-" * PAPER_COLUMNS, f"Till {self._till_id()}", setup.describe()]
        try:
            self._printer_for(setup).print_text("\n".join(lines) + "\n")
        except PrinterError as exc:
            return NotPrinted(str(exc))
        return Printed(f"Test page sent to {setup.describe()}.")

    def open_drawer(self, reason: str) -> PrintResult:
        """Kick the drawer through the printer, and record the opening whatever happened."""
        setup = self._setup()
        if not setup.configured:
            result: PrintResult = NotPrinted("No receipt printer is set up, so the drawer cannot be opened from here.")
        else:
            try:
                self._printer_for(setup).open_drawer()
                result = Printed("Drawer opened.")
            except PrinterError as exc:
                result = NotPrinted(f"The drawer did not open: {exc}")
        self._drawer_log.record_opening(self._till_id(), reason, isinstance(result, Printed), result.message)
        return result

    def _print(self, text: str, done: str, what: str, qr_codes: tuple[str, ...] = ()) -> PrintResult:
        setup = self._setup()
        if not setup.configured:
            return NotPrinted("No receipt printer is set up.")
        try:
            self._printer_for(setup).print_text(text, qr_codes=qr_codes)
        except PrinterError as exc:
            return NotPrinted(f"{what} was saved but not printed: {exc} Reprint it from Back office → Receipts.")
        return Printed(done)
