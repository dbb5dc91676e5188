"""Take the payment: card (on the card reader, or a test payment method), cash with change, or any mix
until the total is covered. One row of large choices, a button and page per kind of tender the till
takes (ui/payment_pages, built from the tender registry services/tenders) and Split; the dialog runs
each page's tender (`take`). What it shows and offers is decided in services/payment_screen.py.

One clear action per screen (issue 28 item 1): no button of the dialog is a default button, so Enter
never reaches Stop, Cancel or Void (a field's Enter takes its tender; on the receipt Enter starts the
next sale); a card that did not pay takes over the header, once.

Every tender runs off the UI thread (the till's journal and Stripe); the dialog
shows what is left to pay after each part, and the receipt with the change at
the end. A sale with parts paid is never silently dropped: Cancel then offers to
void it, which gives every part back (cards through Stripe, cash from the drawer).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Callable, TypeVar

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from pos.domain.cash import CashError, take_cash
from pos.domain.money import Money, MoneyError
from pos.domain.receipt import Receipt, render_text
from pos.domain.redaction import redact
from pos.domain.tender import Tender, TenderKind
from pos.services import tenders
from pos.services.payment_screen import banner_for
from pos.services.checkout import ChargeResult, Failed, Paid, PartPaid, Pending, VoidResult
from pos.services.readers import CardReaders

from . import printing
from .feedback import show_message
from .payment_pages import TEST_MARK, Progress, TenderPage, Tenders, big, big_text, pages_for
from .payment_pages.card import CardPage
from .payment_pages.cash import CashPage
from .payment_pages.split import SplitPage
from .keypad import NumericKeypad
from .widgets import ask_yes_no, named
from .workers import run_in_background

__all__ = ["PaymentDialog", "Progress", "Tenders"]

P = TypeVar("P", bound=TenderPage)

# The dialog's roomy size, and the height a window manager's title bar and the panels take from a screen.
ROOMY = (640, 660)
FRAME_ALLOWANCE = 40


class PaymentDialog(QDialog):
    """Takes the tenders through the counter (services/counter.py); printing the receipt and opening the
    drawer for cash follow the counter's events (the window subscribes), not this dialog."""

    paid = Signal(object)  # Paid: the sale is done (the window starts the next one; the receipt stays up)

    def __init__(
        self,
        till: Tenders,
        total: Money,
        due: Money,
        paid_so_far: tuple[Tender, ...],
        locale: str,
        guard: Callable[[Callable[[], object]], object] = lambda call: call(),
        parent=None,
        readers: CardReaders | None = None,
        badge: str = "",
    ):
        """`guard` wraps each call to the till in the worker (the window turns CheckoutError into Failed);
        `readers`: the till's card reader, started by Card when one is set up; `badge`: DEMO or TEST
        (services/payment_screen.mode_badge) shows on the dialog and offers the test tools."""
        super().__init__(parent)
        self.setObjectName("paymentDialog")
        self.setWindowTitle("Payment")
        self.setModal(True)
        self.resize(*ROOMY)
        self._till = till
        self._guard = guard
        self._locale = locale
        self._charging = False
        self._cancel_requested = False
        self._due = due
        self._tenders: list[Tender] = list(paid_so_far)
        self.result_value: ChargeResult | VoidResult | None = None
        # A paid sale's receipt is shown again non-modal and activated a turn of the event loop
        # later (MainWindow._sale_paid); until then the window has the keys (its Esc clears the search).
        self.receipt_takes_keys = False
        self._readers = readers if readers is not None and readers.reader_id else None
        self.total = total
        # The window's guard for voiding a sale paid in part (a manager's approval when needed).
        self.before_void: Callable[[Callable[[str], None]], None] = lambda go: go("")
        self.void_approved_by = ""
        self._stop_taking: Callable[[], None] | None = None  # a page's way to stop the tender it is taking
        self.all_readers = readers  # the till's card readers (its settings), even with no reader set up
        self.readers = self._readers
        self.badge = badge
        self._compact = False  # the small screen's layout (_fit_screen)

        self.mode_badge = named(QLabel(badge), "paymentModeBadge")
        self.mode_badge.setVisible(bool(badge))
        self.mode_badge.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.mode_badge.setAccessibleName(f"{badge} mode: no real money moves")
        self.mode_badge.setToolTip("Stripe's test world: no real money moves.")
        self.mode_badge.setStyleSheet(
            f"QLabel {{ background: {TEST_MARK}; color: white; font-weight: bold; padding: 4px 10px;"
            " border-radius: 4px; }"
        )
        # A card that did not pay takes over the header: full width, the one place it is said.
        self.banner = named(QLabel(""), "paymentBanner")
        self.banner.setWordWrap(True)
        self.banner.setVisible(False)
        self.banner.setStyleSheet(
            "QLabel { background: #a4161a; color: white; font-size: 14pt; padding: 10px; border-radius: 6px; }"
        )

        self.amount = big(named(QLabel(total.format(locale)), "amountLabel"), 28)
        self.due_label = big(named(QLabel(""), "amountDueLabel"), 18)
        self.tenders_label = named(QLabel(""), "tendersLabel")
        self.tenders_label.setWordWrap(True)

        # One button and one page per kind of tender the till takes (services/tenders, ui/payment_pages).
        self.tender_pages = QStackedWidget()
        self.tender_buttons: dict[type[TenderPage], QPushButton] = {}
        self.pages_by_kind: dict[TenderKind, TenderPage] = {}
        # Not a QButtonGroup: an exclusive group keeps all but the checked button out of the Tab order.
        kinds_row = QHBoxLayout()
        registered = tenders.kinds()
        for page_class in pages_for(registered):
            tender_page = page_class(self)
            label = page_class.label or next(t.label for t in registered if t.kind in page_class.kinds)
            button = named(QPushButton(label), page_class.button_name)
            button.setCheckable(True)
            button.setMinimumHeight(64)
            big_text(button, 15)
            button.clicked.connect(lambda _checked=False, p=tender_page: self.choose(p))
            kinds_row.addWidget(button)
            self.tender_buttons[page_class] = button
            self.tender_pages.addWidget(tender_page)
            for kind in page_class.kinds:
                self.pages_by_kind[kind] = tender_page
        # The card and cash pages' widgets, under the names the window, the selftest and the tests use.
        card = self.card_page = self._page(CardPage)
        cash = self.cash_page = self._page(CashPage)
        self.split_page = next(p for p in self._pages() if isinstance(p, SplitPage))
        self.card_tender, self.cash_tender = self.tender_buttons[CardPage], self.tender_buttons[CashPage]
        self.split_tender = self.tender_buttons[SplitPage]
        # Cash opens: its quick amounts take a cash sale in one tap; Card is one tap away (it starts the reader).
        self.tender_buttons[CashPage].setChecked(True)
        self.tender_pages.setCurrentWidget(cash)
        self.card_amount, self.methods, self.charge_button = card.amount, card.methods, card.charge_button
        self.reader_button, self.reader_status, self.cancel_reader = (
            card.reader_button,
            card.reader_status,
            card.cancel_reader,
        )
        self.simulate_card, self.simulate_tip, self.simulate_button = (
            card.simulate_card,
            card.simulate_tip,
            card.simulate_button,
        )
        self.cash_field, self.quick_buttons, self.change_label, self.complete_cash = (
            cash.field,
            cash.quick_buttons,
            cash.change_label,
            cash.complete,
        )
        self.exact_cash = cash.exact
        self.test_tools = card.tools

        self.message = named(QLabel(""), "paymentMessage")
        self.message.setWordWrap(True)
        self.busy = named(QProgressBar(), "busyIndicator")
        self.busy.setRange(0, 0)
        self.busy.setVisible(False)
        self.cancel_button = named(QPushButton("Cancel"), "cancelPaymentButton")
        self.cancel_button.setMinimumHeight(44)

        pay_page = QWidget()
        pay_layout = self._pay_layout = QVBoxLayout(pay_page)
        header = QHBoxLayout()
        header.addWidget(self.amount, 1)
        header.addWidget(self.mode_badge, 0, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight)
        pay_layout.addLayout(header)
        pay_layout.addWidget(self.banner)
        pay_layout.addWidget(self.due_label)
        pay_layout.addWidget(self.tenders_label)
        pay_layout.addLayout(kinds_row)
        pay_layout.addWidget(self.tender_pages, 1)
        pay_layout.addWidget(self.message)
        pay_layout.addWidget(self.busy)
        pay_layout.addWidget(self.cancel_button)

        self.change_due = big(named(QLabel(""), "changeDueLabel"), 26)
        self.receipt_view = named(QPlainTextEdit(), "receiptView")
        self.receipt_view.setReadOnly(True)
        self.receipt_view.setFont(printing.monospace_font())
        self.receipt_note = named(QLabel(""), "receiptNote")
        self.receipt_note.setWordWrap(True)
        self.new_sale_button = named(QPushButton("New sale"), "newSaleButton")
        self.new_sale_button.setMinimumHeight(48)
        receipt_page = QWidget()
        receipt_layout = QVBoxLayout(receipt_page)
        receipt_layout.addWidget(self.change_due)
        receipt_layout.addWidget(QLabel("<b>Paid.</b> Ringing up the next item starts the next sale. Receipt:"))
        receipt_layout.addWidget(self.receipt_view, 1)
        receipt_layout.addWidget(self.receipt_note)
        receipt_layout.addWidget(self.new_sale_button)

        self.pages = QStackedWidget()
        self.pages.addWidget(pay_page)
        self.pages.addWidget(receipt_page)
        layout = self._outer_layout = QVBoxLayout(self)
        layout.addWidget(self.pages)

        self.cancel_button.clicked.connect(self._cancel_clicked)
        self.new_sale_button.clicked.connect(self.accept)
        for button in self.findChildren(QPushButton):
            # No default button anywhere: Enter is the dialog's to route (keyPressEvent), never Stop's.
            button.setAutoDefault(False)
            button.setDefault(False)
        for target in self.findChildren(QWidget):
            if isinstance(target, (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox)) and not isinstance(
                target.parent(), QAbstractItemView
            ):
                # A finger's target (issue 28 item 1): at least 44 x 44 px.
                target.setMinimumSize(max(44, target.minimumWidth()), max(44, target.minimumHeight()))
        self._show_due()
        # Read and tabbed in the order seen: the row of tenders, the chosen page's controls, then Cancel
        # (Qt moves each page's whole focus chain; a hidden page's controls are skipped).
        chain = [*self.tender_buttons.values(), self.tender_pages, self.cancel_button]
        for before, after in pairwise(chain):
            QWidget.setTabOrder(before, after)
        cash.focus()  # the page it opens on takes the keys (Qt would give them to the first button, Card)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._fit_screen()

    def _fit_screen(self) -> None:
        """On a small screen (800x600) the compact layout: 44 px keypad keys and quick amounts, 48 px
        tenders, a smaller amount, narrower margins, so the keypad's Enter and Cancel stay on it, a
        decline's header too; the dialog no taller than it (again once the test tools fold away)."""
        room = self.screen().availableGeometry().height() - FRAME_ALLOWANCE
        if self.minimumSizeHint().height() > room:
            for keypad in self.findChildren(NumericKeypad):
                keypad.set_key_size(44)
            big(self.amount, 20)
            for button in (*self.tender_buttons.values(), *self.quick_buttons, self.exact_cash):
                button.setMinimumHeight(48 if button in self.tender_buttons.values() else 44)
            self._pay_layout.setContentsMargins(0, 0, 0, 0)
            self._outer_layout.setContentsMargins(6, 6, 6, 6)
            self.banner.setStyleSheet(self.banner.styleSheet().replace("14pt", "11pt"))
            if not self._compact:
                self._compact = True
                self.test_tools.toggle.toggled.connect(lambda _on: self._fit_later(room))
        self._fit_later(room)

    def _fit_later(self, room: int) -> None:
        # Once the layouts settle (on the next turn of the loop): Qt grows a dialog, never shrinks it.
        QTimer.singleShot(0, self, lambda: self._fit_height(room))

    def _fit_height(self, room: int) -> None:
        self.resize(self.width(), max(self.minimumSizeHint().height(), min(self.height(), room)))

    # -- what is due ------------------------------------------------------------------
    @property
    def charging(self) -> bool:
        return self._charging

    @property
    def due(self) -> Money:
        return self._due

    @property
    def till(self) -> Tenders:
        return self._till

    def fmt(self, amount: Money) -> str:
        return amount.format(self._locale)

    _fmt = fmt

    def _pages(self) -> list[TenderPage]:
        pages = (self.tender_pages.widget(i) for i in range(self.tender_pages.count()))
        return [p for p in pages if isinstance(p, TenderPage)]

    def _page(self, page_class: type[P]) -> P:
        return next(p for p in self.pages_by_kind.values() if isinstance(p, page_class))

    def _show_due(self) -> None:
        self.due_label.setText(f"To pay: {self._fmt(self._due)}")
        paid = "; ".join(f"{t.label} {self._fmt(t.amount)}" for t in self._tenders)
        self.tenders_label.setText(f"Paid so far: {paid}" if paid else "")
        self.tenders_label.setVisible(bool(paid))  # no empty line's height while nothing is paid
        for index in range(self.tender_pages.count()):
            page = self.tender_pages.widget(index)
            if isinstance(page, TenderPage):
                page.show_due(self._due)
        self.cancel_button.setText("Void sale…" if self._tenders else "Cancel")

    def show_page(self, page: TenderPage) -> None:
        for page_class, button in self.tender_buttons.items():
            button.setChecked(page_class is type(page))
        self.tender_pages.setCurrentWidget(page)
        page.focus()

    def choose(self, page: TenderPage) -> None:
        """The cashier chose a tender in the row: its page, and its first action when it has one that
        needs nothing typed (Card starts the reader, as Square and Shopify do on Charge)."""
        self.show_page(page)
        if not self._charging:
            page.chosen()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            # A field's Enter took its tender already (it ignores the key, so it arrives here too).
            # Enter on the receipt starts the next sale; anywhere else it does nothing more.
            if self.pages.currentIndex() == 1:
                self.accept()
            event.accept()
            return
        super().keyPressEvent(event)

    def show_tender(self, kind: TenderKind) -> None:
        self.show_page(self.pages_by_kind[kind])

    def parse(self, field: QLineEdit) -> Money | None:
        try:
            amount = Money.parse(field.text() or "0", self._due.currency)
        except MoneyError:
            self._say(f"Type an amount like {Money(1250, self._due.currency).major_text()}.", "error")
            return None
        return amount

    def refuses_cash(self, tendered: Money) -> bool:
        """Cash the domain would refuse (none or less, nothing left, a rest that rounds to nothing) is
        said on the message line and is no try: a try clears a decline's header, which stays until the
        cashier tries again (services/payment_screen.banner_for). The rule is domain/cash.take_cash's,
        the one the checkout applies."""
        try:
            take_cash(self._due, tendered, self._till.rounding_step)
        except CashError as exc:
            self._say(str(exc), "error")
            return True
        return False

    # -- tenders ------------------------------------------------------------------------
    def selected_method(self) -> str | None:
        return self.card_page.selected_method()

    def charge(self) -> None:
        self.card_page.charge()

    def take_cash(self) -> None:
        self.cash_page.take()

    def take(
        self,
        call: Callable[[Tenders, Progress], ChargeResult],
        text: str,
        *,
        progress: Progress | None = None,
        stop: Callable[[], None] | None = None,
        done: Callable[[ChargeResult | None], None] | None = None,
    ) -> None:
        """Take a tender for a page: `call` runs on a worker with the till (the window's guard around
        it); `stop` cancels it while it waits (the reader); `done` sees the result first (None: it crashed)."""
        self._set_charging(True, text)
        self._stop_taking = stop
        till, guard = self._till, self._guard

        def finished(result: ChargeResult) -> None:
            self._stop_taking = None
            if done is not None:
                done(result)
            self._finished(result)

        def crashed(exc: Exception) -> None:
            self._stop_taking = None
            if done is not None:
                done(None)
            self._crashed(exc)

        run_in_background(
            lambda report: guard(lambda: call(till, report)),
            on_success=finished,
            on_failure=crashed,
            on_progress=progress or self._progress,
        )

    def _set_charging(self, charging: bool, text: str = "") -> None:
        was_charging, self._charging = self._charging, charging
        if charging:
            self._show_banner(None)
            # Off the field about to be disabled: Qt would hand its focus to the next button (Stop).
            self.busy.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            self.busy.setFocus()
        self.busy.setVisible(charging)
        for index in range(self.tender_pages.count()):
            page = self.tender_pages.widget(index)
            if isinstance(page, TenderPage):
                page.set_busy(charging)
        for button in self.tender_buttons.values():
            button.setEnabled(not charging)
        self.cancel_button.setEnabled(True)
        if charging:
            self.cancel_button.setText("Stop")
        else:
            self.cancel_button.setText("Void sale…" if self._tenders else "Cancel")
        self._say(text, "info")
        if was_charging and not charging and self.pages.currentIndex() == 0:
            current = self.tender_pages.currentWidget()
            if isinstance(current, TenderPage):
                current.focus()  # where the cashier types next (the rest of the sale, another card)

    def _show_banner(self, result: object) -> None:
        """The header's state after a tender that did not pay (services/payment_screen.banner_for);
        None clears it (a new tender starts). While it shows, it is the header: the amounts hide."""
        banner = banner_for(result) if result is not None else None
        if banner is not None:
            self.banner.setText(f"<b>{banner.title}</b><br>{banner.detail}<br>Still to pay: {self._fmt(self._due)}")
        self.banner.setVisible(banner is not None)
        self.amount.setVisible(banner is None)
        self.due_label.setVisible(banner is None)

    def say(self, text: str, kind: str) -> None:
        show_message(self.message, text, kind)

    _say = say

    def _progress(self, text: str) -> None:
        self._say(text, "info")

    def _finished(self, result: ChargeResult) -> None:
        self._set_charging(False)
        self.result_value = result
        if isinstance(result, Paid):
            self._show_receipt(result)
            return
        if isinstance(result, PartPaid):
            self._tenders.append(result.tender)
            self._due = result.due
            for index in range(self.tender_pages.count()):
                page = self.tender_pages.widget(index)
                if isinstance(page, TenderPage):
                    page.part_taken()
            self._show_due()
            self._say(f"{result.tender.label} {self._fmt(result.tender.amount)} taken.", "info")
            if not self._cancel_requested:
                return
        if self._cancel_requested:
            self._cancel_requested = False
            if self._tenders:  # part is paid: the cashier decides (void, or take the rest)
                self._say("Part of this sale is paid. Take the rest, or void the sale.", "warning")
                return
            self.reject()
            return
        if banner_for(result) is not None:
            self._say("", "info")
            self._show_banner(result)  # said once, in the header
        elif isinstance(result, Pending):
            self._say(result.message, "warning")
        elif isinstance(result, Failed):
            self._say(
                result.message + ("" if result.money_may_have_moved else " The cart is kept."),
                "warning" if result.money_may_have_moved else "error",
            )

    def take_keys(self) -> None:
        """The receipt, shown again non-modal, takes the keys (Enter, Esc, Ctrl+N, what is scanned)."""
        self.activateWindow()
        self.receipt_takes_keys = True

    def _show_receipt(self, result: Paid) -> None:
        receipt: Receipt = result.receipt
        cash = [t for t in receipt.tenders if t.kind is TenderKind.CASH]  # the window opens the drawer as it prints
        change = sum((t.change for t in cash if t.change), Money(0, receipt.total.currency))
        self.change_due.setText(f"Change: {self._fmt(change)}" if change else "")
        self.change_due.setVisible(bool(change))
        self.receipt_view.setPlainText(render_text(receipt, locale=self._locale))
        if result.earlier:
            self.receipt_note.setText(
                "This is the receipt of the earlier payment, which went through after "
                "all. Items added since stay in the cart for the next payment."
            )
        elif self._cancel_requested:
            self.receipt_note.setText("The payment went through before it could be stopped.")
        self.pages.setCurrentIndex(1)
        self.new_sale_button.setFocus()
        self.setWindowTitle("Paid")
        self.paid.emit(result)

    def _crashed(self, exc: Exception) -> None:
        self._set_charging(False)
        self._say(
            f"Something went wrong: {redact(str(exc))}. Nothing is lost; the till checks this sale on restart.", "error"
        )

    # -- leaving ------------------------------------------------------------------------
    def void(self) -> None:
        """Give back every paid part and close the sale (after the cashier confirms, and a manager
        approves when the cashier may not void alone)."""
        self.before_void(self._void)

    def _void(self, approved_by: str) -> None:
        self.void_approved_by = approved_by
        paid = ", ".join(f"{t.label} {self._fmt(t.amount)}" for t in self._tenders)
        if not ask_yes_no(
            self,
            "Void this sale?",
            f"Part of this sale is paid ({paid}). Voiding gives it all back: card parts are refunded "
            "through Stripe, cash is handed back from the drawer. The cart stays on the till.",
        ):
            return
        self._set_charging(True, "Giving the paid parts back…")
        till, guard = self._till, self._guard
        run_in_background(
            lambda _progress: guard(lambda: till.void_sale("voided by the cashier")),
            on_success=self._voided,
            on_failure=self._crashed,
        )

    def _voided(self, result: VoidResult) -> None:
        self._set_charging(False)
        self.result_value = result
        if not result.voided:
            self._say(result.message, "error")
            return
        self._tenders = []
        super().reject()

    def _cancel_clicked(self) -> None:
        if self._charging and self._stop_taking is not None:
            # Waiting on the reader: cancel its action (a tap that beat the cancel still pays).
            self._cancel_requested = True
            self._stop_taking()
            self.cancel_button.setEnabled(False)
            return
        if self._charging:
            # The request is already with Stripe; stopping it mid-flight could lose its answer.
            # Wait for the answer, then close (a payment that went through still gets its receipt).
            self._cancel_requested = True
            self.cancel_button.setEnabled(False)
            self._say("Stopping as soon as Stripe answers…", "info")
            return
        if self._tenders:
            self.void()
            return
        super().reject()

    def reject(self) -> None:
        if self.pages.currentIndex() == 1:
            self.accept()  # the sale is paid (its parts with it): Esc on the receipt is New sale, never a void
            return
        if self._charging or self._tenders:
            self._cancel_clicked()  # Esc: the same safe stop, and never a silent drop of a paid part
            return
        super().reject()
