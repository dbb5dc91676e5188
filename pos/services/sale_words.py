"""What the status line says of a sale just paid: its own words and the printer's answer, in one line.

The sale's words ("Paid 12.50 — receipt T1-0042 saved.", a gift card that waits for the shop) are
said when the window finishes the sale; the printer's answer for its receipt ("Receipt T1-0042
printed.", or that the printer is off) comes from a worker whenever the job ends, before or after
them. Each is a piece of the receipt's line here, so whichever comes first, the line the window
renders holds both, each once: a later piece never hides an earlier one, and a piece said again
(the sale's words after the receipt dialog closed) replaces itself. The window renders the `Line`
each call returns; nothing here knows Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from .receipt_printing import Printed, PrintResult


class Piece(IntEnum):
    """The parts of a receipt's line, in the order they are read."""

    SALE = 1  # paid and saved, and anything about the sale that waits
    CHOICE = 2  # what the customer chose on the customer display
    PRINTER = 3  # the printer's answer for this receipt (the drawer first, for cash)


@dataclass(frozen=True)
class Line:
    text: str
    error: bool  # something in it needs the cashier (a printer that is off, a card still owed)


# A few receipts back is plenty: a printer's answer comes within seconds of its sale.
_KEPT = 4


class SaleWords:
    """The receipts' lines, newest last. `say` adds or replaces one piece and returns the line to show:
    the receipt's own, or, for an older receipt's late answer, the newest receipt's with it appended
    (so the sale at the counter now is never hidden by the one before)."""

    def __init__(self) -> None:
        self._lines: dict[str, dict[Piece, tuple[str, bool]]] = {}

    def say(self, receipt: str, piece: Piece, text: str, error: bool = False) -> Line:
        pieces = self._lines.get(receipt)
        newest = next(reversed(self._lines), None)
        if pieces is not None and newest is not None and receipt != newest and piece is not Piece.SALE:
            # An older receipt's late piece (the next sale has words already): kept in its place,
            # and said after the newest receipt's line rather than instead of it.
            pieces[piece] = (text, error)
            return self._line(newest, also=(text, error))
        pieces = self._lines.pop(receipt, {})
        pieces[piece] = (text, error)
        self._lines[receipt] = pieces  # the newest now
        while len(self._lines) > _KEPT:
            del self._lines[next(iter(self._lines))]
        return self._line(receipt)

    def printed(self, receipt: str, result: PrintResult) -> Line:
        """The printer's answer for this receipt."""
        return self.say(receipt, Piece.PRINTER, result.message, error=not isinstance(result, Printed))

    def _line(self, receipt: str, also: tuple[str, bool] | None = None) -> Line:
        said = [self._lines[receipt][piece] for piece in sorted(self._lines[receipt])]
        if also is not None:
            said.append(also)
        return Line(" ".join(text for text, _ in said), any(error for _, error in said))
