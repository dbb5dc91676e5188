"""ESC/POS receipt printers through python-escpos: network (raw TCP, port 9100), USB, serial.

The library is imported on first use, so a till without a printer never loads it
(nor Pillow behind it) and starts as fast as before. Each job opens the device,
sends everything, and closes it: a printer switched off between two sales is
found at the next job, not by a stale socket.
"""

from __future__ import annotations

import logging
from typing import Any

from pos.domain.printer_setup import PrinterKind, PrinterSetup
from pos.domain.text import printable
from pos.services.receipt_printing import PrinterError

log = logging.getLogger(__name__)

TIMEOUT = 5.0  # seconds: a cashier waits this long at most for a printer that does not answer
DRAWER_PIN = 2  # the drawer connector's pin 2, what drawers use unless wired otherwise


def load_library() -> None:
    """python-escpos and what it brings (its printer profiles, Pillow, qrcode, PyYAML), imported now:
    ~165 ms of CPU that the first receipt of the day waited for. The window runs this on a worker
    once it is idle after start, when a printer is set up (services/receipt_printing.Printing.warm);
    a till without one still never loads it."""
    import escpos.exceptions  # noqa: F401 - imported for its cost, now rather than at the first print
    import escpos.printer  # noqa: F401


class EscposPrinter:
    def __init__(self, setup: PrinterSetup, timeout: float = TIMEOUT):
        if not setup.configured:
            raise PrinterError("No receipt printer is set up.")
        self.setup, self.timeout = setup, timeout

    def print_text(
        self, text: str, *, cut: bool = True, open_drawer: bool = False, qr_codes: tuple[str, ...] = ()
    ) -> None:
        # Only text goes out as text: a control byte in it (ESC p, GS V from a name already in the
        # database) would be a command; the only commands sent are the ones written below.
        text = printable(text, multiline=True)

        def job(printer: Any) -> None:
            printer.hw("INIT")
            printer.text(text if text.endswith("\n") else text + "\n")
            for code in qr_codes:
                # Drawn by the printer itself (GS ( k): no image library on the till. A code holds only
                # the gift card alphabet's characters, checked again here: nothing else reaches it.
                if code.isalnum() and code.isascii():
                    printer.qr(code, size=6, native=True)
                    printer.text("\n")
            if cut:
                printer.cut()  # feeds past the tear bar first
            if open_drawer:
                printer.cashdraw(DRAWER_PIN)

        self._run(job)

    def open_drawer(self) -> None:
        self._run(lambda printer: printer.cashdraw(DRAWER_PIN))

    def _run(self, job: Any) -> None:
        from escpos.exceptions import Error as EscposError

        where = self.setup.describe()
        printer = None
        try:
            printer = self._open()
            job(printer)
        except (EscposError, OSError, ValueError) as exc:
            log.warning("printing on %s failed: %s", where, exc)
            raise PrinterError(f"{where[0].upper()}{where[1:]} did not answer ({_reason(exc)}).") from None
        finally:
            if printer is not None:
                try:
                    printer.close()
                except (EscposError, OSError):
                    pass

    def _open(self) -> Any:
        from escpos import printer as devices

        setup = self.setup
        if setup.kind is PrinterKind.NETWORK:
            device: Any = devices.Network(setup.host, port=setup.port, timeout=self.timeout)
        elif setup.kind is PrinterKind.USB:
            device = devices.Usb(setup.usb_vendor, setup.usb_product, timeout=int(self.timeout * 1000))
        else:
            device = devices.Serial(setup.device, baudrate=setup.baud, timeout=self.timeout)
        device.open()  # raises DeviceNotFoundError when nothing answers
        return device


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    detail = text[-1] if text else type(exc).__name__
    return detail[:120]
