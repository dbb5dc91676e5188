"""The payment dialog's pages: one per kind of tender the till takes, each in its own module.

The dialog (ui/payment_dialog.py) builds a button and a page for every kind the tender registry
(services/tenders) says the till takes, in the order of the pages' `position`; a page lays out its
kind's fields and takes its tender through the dialog (`PaymentDialog.take`), which runs the call
on a worker, shows what is left to pay and the receipt. A new kind: a module here with its page,
imported at the bottom of this file (docs/architecture.md, "Adding a tender kind"). A page of no kind
of its own (Split) names the kinds it `uses` and shows when the till takes one of them.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable, ClassVar, Protocol, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from pos.domain.money import Money
from pos.domain.tender import TenderKind
from pos.services.checkout import ChargeResult, VoidResult
from pos.services.tenders import TenderType
from pos.services.tenders.gift_card import Checked

if TYPE_CHECKING:
    from pos.ui.payment_dialog import PaymentDialog

Progress = Callable[[str], None]


class Tenders(Protocol):
    """What the dialog asks of the counter (services.counter.Counter); each call runs in a worker."""

    @property
    def rounding_step(self) -> int: ...
    def pay_card(self, amount: Money, payment_method: str, progress: Progress = ...) -> ChargeResult: ...
    def pay_on_reader(
        self,
        amount: Money,
        reader_id: str,
        progress: Progress = ...,
        stop: threading.Event | None = ...,
        tipping: bool = ...,
    ) -> ChargeResult: ...
    def pay_cash(self, tendered: Money) -> ChargeResult: ...
    def pay_gift_card(self, code: str, asked: Money | None = ...) -> ChargeResult: ...
    def check_gift_card(self, code: str, due: Money) -> Checked: ...
    def void_sale(self, reason: str = ...) -> VoidResult: ...


class TenderPage(QWidget):
    """A page of the payment dialog: how one kind (or, for cards, the kinds of one page) is taken."""

    kinds: ClassVar[tuple[TenderKind, ...]]  # the registered kinds this page takes
    uses: ClassVar[tuple[TenderKind, ...]] = ()  # a page of no kind (Split): the kinds it takes parts by
    position: ClassVar[int]  # its place in the row of tender buttons
    button_name: ClassVar[str]  # the objectName of its button
    label: ClassVar[str] = ""  # its button's words, when not its first kind's

    def __init__(self, dialog: PaymentDialog):
        super().__init__()
        self.dialog = dialog

    def focus(self) -> None:
        """Where the cashier types first when this page is chosen."""
        self.setFocus()

    def chosen(self) -> None:
        """The cashier chose this tender in the row (not busy): start what needs nothing typed."""

    def show_due(self, due: Money) -> None:
        """What is due changed (a part was taken, or the dialog opened)."""

    def set_busy(self, busy: bool) -> None:
        """A tender is being taken: nothing on the page starts another."""

    def part_taken(self) -> None:
        """A part of the sale was paid (by any kind): clear what was typed for the last one."""


def big(label: QLabel, points: int) -> QLabel:
    """A label in big bold type, centred (the amounts the cashier reads from a distance)."""
    font = label.font()
    font.setPointSize(points)
    font.setBold(True)
    label.setFont(font)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


W = TypeVar("W", bound=QWidget)

# What marks Stripe's test world (the DEMO/TEST badge, the Test tools panel's edge): an amber at least 3:1
# against the light, dark and high-contrast windows, and 4.5:1 under white text (#8a5a00 was 2.84:1 on dark).
TEST_MARK = "#a06800"


def big_text(widget: W, points: int) -> W:
    """A control in big bold type (the tender choices, the quick amounts: read and hit at a glance)."""
    font = widget.font()
    font.setPointSize(points)
    font.setBold(True)
    widget.setFont(font)
    return widget


_PAGES: list[type[TenderPage]] = []


def page(cls: type[TenderPage]) -> type[TenderPage]:
    """Register a page (each module of this package decorates its own)."""
    _PAGES.append(cls)
    return cls


def pages_for(kinds: list[TenderType]) -> list[type[TenderPage]]:
    """The pages of the kinds the till takes, in their order: a page shows when a kind it takes does."""
    taken = {tender.kind for tender in kinds if tender.takes_payments}
    return sorted((p for p in _PAGES if taken.intersection(p.kinds or p.uses)), key=lambda p: p.position)


# The pages: one module each (imported for their registration).
from . import card, cash, gift_card, split  # noqa: E402,F401
