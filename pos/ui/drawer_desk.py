"""The main window's receipt printer and cash drawer: print a paid sale, open the drawer for cash
(a part, a void, no sale), cash in and out. Each job runs on a worker."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pos.domain.staff import Permission

from PySide6.QtCore import QTimer

from .window_parts import WindowParts
from .workers import busy_count, run_in_background

if TYPE_CHECKING:  # the printing services load with the first job, after the window's first paint
    from pos.domain.receipt import Receipt
    from pos.services.receipt_choice import ReceiptJobs
    from pos.services.receipt_printing import PrintResult

log = logging.getLogger(__name__)

WARM_RETRY_MS = 250  # how soon the printer's warm-up looks again for a window with no work running


class DrawerDesk(WindowParts):
    """Mixed into MainWindow (pos/ui/main_window.py), which builds the buttons named here."""

    def print_receipt(self, receipt: Receipt, jobs: ReceiptJobs | None = None) -> None:
        """On the receipt printer, if one is set up: off the UI thread, after the sale is saved. The
        jobs are the counter's (the drawer for cash; the receipt now, or after the customer chose on
        the customer display); the drawer-before-print rule is the service's (receipt_choice.run_jobs)."""
        from pos.services.counter import print_sale
        from pos.services.receipt_choice import run_jobs

        printing = self.session.printing
        if not printing.configured or (jobs is not None and not (jobs.open_drawer or jobs.print_receipt)):
            return

        def run() -> PrintResult | None:
            return print_sale(printing, receipt) if jobs is None else run_jobs(printing, receipt, jobs)

        def done(result: PrintResult | None) -> None:
            if result is not None:  # said with the sale's words, whichever of the two came first
                self.open_drawer_button.setEnabled(self.session.read_only is None)
                line = self.sale_words.printed(receipt.number_text, result)
                self.say(line.text, error=line.error)

        run_in_background(lambda _p: run(), on_success=done, on_failure=self._print_crashed)

    def warm_printer(self) -> None:
        """Once the window is idle after start: python-escpos imported on a worker (~165 ms of CPU) when
        a printer is set up, so the first receipt of the day does not wait for it (issue 27). The
        start-up's own work (recovery, the audit check, a sync) goes first: an import holds the GIL
        while it runs, so it waits until no job is running."""
        printing = self.session.printing
        if not printing.configured:
            return
        if busy_count():
            QTimer.singleShot(WARM_RETRY_MS, self, self.warm_printer)  # not run once the window is gone
            return
        run_in_background(lambda _p: printing.warm(), on_success=lambda _loaded: None, on_failure=self._warm_failed)

    def _warm_failed(self, exc: Exception) -> None:
        # Nothing for the cashier: the first print imports it again and says whatever goes wrong then.
        log.warning("the receipt printer's library did not load ahead of the first print: %s", exc)

    def kick_drawer(self, reason: str) -> None:
        """Cash went in or out outside a printed sale (a cash part, a void): open the drawer, if it can be."""
        printing = self.session.printing
        if not printing.configured:
            return

        from pos.services.receipt_printing import Printed

        def opened(result: PrintResult) -> None:
            if not isinstance(result, Printed):  # the payment's own message stays unless this failed
                self.say(result.message, error=True)

        run_in_background(lambda _p: printing.open_drawer(reason), on_success=opened, on_failure=self._print_crashed)

    def open_cash_movements(self) -> None:
        from .cash_dialog import CashMovementDialog

        self.cash_dialog = CashMovementDialog(
            self.session.drawer, self.session.staff, self.session.settings.currency, self
        )
        self.keep_granted(self.cash_dialog)
        self.cash_dialog.open()

    def open_drawer_no_sale(self) -> None:

        self.with_approval(
            Permission.OPEN_DRAWER,
            "opening the cash drawer without a sale",
            lambda by: self.open_drawer("no sale" + (f", approved by {by}" if by else "")),
        )

    def open_drawer(self, reason: str) -> None:
        printing = self.session.printing
        self.open_drawer_button.setEnabled(False)
        run_in_background(
            lambda _p: printing.open_drawer(reason), on_success=self._printed, on_failure=self._print_crashed
        )

    def _printed(self, result: PrintResult) -> None:
        from pos.services.receipt_printing import Printed

        self.open_drawer_button.setEnabled(self.session.read_only is None)
        self.say(result.message, error=not isinstance(result, Printed))

    def _print_crashed(self, exc: Exception) -> None:
        self.open_drawer_button.setEnabled(self.session.read_only is None)
        log.warning("printing failed: %s", exc)
        self.say("The printer could not be used (details are in the till's log).", error=True)
