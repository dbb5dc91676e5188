"""The customer display: a second top-level window that faces the customer (issue 28 item 5).

It shows the cart as it is rung up, the discounts, the total, what is paid and still due, the change
and a thank-you, in large type, and after payment lets the customer choose a printed receipt or none.
It draws only `CustomerView`s, folded from the counter's events by services/customer_view.py (never
the cashier's name, a PIN field or the back office); its one action is the customer's receipt choice,
which it hands to the counter (`Counter.choose_receipt`), whose event the cashier's window follows.
Where it goes (full screen on a second monitor, a window, or hidden) is `customer_view.placement`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QFontMetrics, QGuiApplication, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMenu,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from pos.domain.errors import PosError
from pos.domain.money import Money
from pos.services import counter_events as events
from pos.services.counter import Counter
from pos.services.customer_view import (
    CHOICE_WAITS_S,
    THANKS_SHOW_S,
    CustomerView,
    Placement,
    Screen,
    after,
    idle,
    placement,
)
from pos.services.receipt_choice import OFFERED, ReceiptChoice
from pos.services.settings import CustomerDisplayMode, Settings

from .counter_bridge import CounterBridge
from .widgets import named

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

LINE_POINTS = 22  # read from a step or two away
TOTAL_POINTS = 40


class _LineDelegate(QStyledItemDelegate):
    """A cart line drawn as its name on the left and its price on the right: the item's text is
    "name<TAB>price" (what a screen reader reads, and the tests), split here for the eye."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        text = str(index.data() or "")
        name, _tab, price = text.rpartition("\t")
        item = QStyleOptionViewItem(option)
        self.initStyleOption(item, index)
        item.text = ""
        widget = item.widget  # set by initStyleOption
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, item, painter, widget)
        area = item.rect.adjusted(12, 4, -12, -4)
        painter.save()
        painter.setFont(item.font)
        top = Qt.AlignmentFlag.AlignTop
        painter.drawText(area, int(Qt.AlignmentFlag.AlignLeft | top), name or text)
        painter.drawText(area, int(Qt.AlignmentFlag.AlignRight | top), price)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        item = QStyleOptionViewItem(option)
        self.initStyleOption(item, index)
        lines = str(index.data() or "").count("\n") + 1
        return QSize(item.rect.width(), QFontMetrics(item.font).lineSpacing() * lines + 8)


# Large type, read from a step or two away. Set on the display itself, so it wins over the till's
# theme (whose colours it keeps; resources/theme.qss sizes the cashier's screens).
STYLE = f"""
QWidget#customerDisplay QLabel, QWidget#customerDisplay QListWidget, QWidget#customerDisplay QPushButton {{
    font-size: {LINE_POINTS}pt;
}}
QWidget#customerDisplay QLabel#customerDisplayTotal, QWidget#customerDisplay QLabel#customerDisplayChange,
QWidget#customerDisplay QLabel#customerDisplayMessage {{
    font-size: {TOTAL_POINTS}pt; font-weight: bold;
}}
QWidget#customerDisplay QPushButton {{ font-weight: bold; }}
"""


class CustomerDisplay(QWidget):
    def __init__(self, counter: Counter, locale: str, parent: QWidget | None = None) -> None:
        # Its own top-level window (Qt.Window), closed and deleted with the till's window.
        super().__init__(parent, Qt.WindowType.Window)
        # The customer's screen never takes the keyboard (shown, or tapped): the scanner types into the
        # active window, and the cashier's next scan must reach the till's search, not this one.
        self.setWindowFlag(Qt.WindowType.WindowDoesNotAcceptFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.counter = counter
        self.locale_name = locale
        self.view = CustomerView()
        named(self, "customerDisplay")
        self.setWindowTitle("Your purchase")
        self.setAccessibleName("Customer display")
        self.setStyleSheet(STYLE)
        self.message = named(QLabel(""), "customerDisplayMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.lines = named(QListWidget(), "customerDisplayLines")
        self.lines.setAccessibleName("Your items")
        self.lines.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the customer reads it; nothing to select
        self.lines.setWordWrap(True)
        self.lines.setItemDelegate(_LineDelegate(self.lines))
        self.summary = named(QLabel(""), "customerDisplaySummary")  # discounts, tax, paid, still to pay
        self.summary.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.total = named(QLabel(""), "customerDisplayTotal")
        self.total.setAccessibleName("Total")
        self.total.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.change = named(QLabel(""), "customerDisplayChange")
        self.change.setAccessibleName("Your change")
        self.change.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.choices: dict[ReceiptChoice, QPushButton] = {}
        choice_row = QHBoxLayout()
        for choice in OFFERED:
            button = named(QPushButton(choice.words), f"receiptChoice_{choice.value}")
            button.setAccessibleName(choice.words)
            button.setMinimumSize(220, 88)  # a finger's target, at arm's length
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # tapped by the customer, never the keyboard's
            button.clicked.connect(lambda _checked=False, c=choice: self.counter.choose_receipt(c))
            choice_row.addWidget(button)
            self.choices[choice] = button
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.lines, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.total)
        layout.addWidget(self.change)
        layout.addLayout(choice_row)
        self.resize(800, 600)
        # Timers, not rules (customer_view holds how long): the receipt choice lapses; the welcome returns.
        self.choice_timer = QTimer(self, singleShot=True, interval=CHOICE_WAITS_S * 1000)
        self.choice_timer.timeout.connect(lambda: self.counter.choose_receipt(ReceiptChoice.NONE, lapsed=True))
        self.welcome_timer = QTimer(self, singleShot=True, interval=THANKS_SHOW_S * 1000)
        self.welcome_timer.timeout.connect(self._welcome)
        self.show_view(self.view)

    def _welcome(self) -> None:
        self.view = idle(self.view)
        self.show_view(self.view)

    def hear(self, event: events.CounterEvent) -> None:
        """A counter event (on the Qt thread, through the bridge): the view after it, drawn."""
        before = self.view
        self.view = after(self.view, event)
        if self.view.receipt_choices and not before.receipt_choices:
            self.choice_timer.start()
        elif not self.view.receipt_choices:
            self.choice_timer.stop()
        if self.view.screen is Screen.PAID and not self.view.receipt_choices:
            if self.view != before:
                self.welcome_timer.start()
        else:
            self.welcome_timer.stop()
        self.show_view(self.view)

    def _money(self, amount: Money) -> str:
        return amount.format(self.locale_name)

    def show_view(self, view: CustomerView) -> None:
        """The view drawn, when the display shows; a hidden one draws its view when it is shown, so
        a till without a customer display spends nothing on it per scan (issue 27 item 5)."""
        if self.isVisible():
            self._draw(view)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._draw(self.view)
        super().showEvent(event)

    def _draw(self, view: CustomerView) -> None:
        self.message.setText(view.message)
        self.message.setVisible(bool(view.message))
        texts = []
        for line in view.lines:
            text = f"{line.quantity} × {line.name}" if line.quantity != 1 else line.name
            if line.weight:
                text += f"\n    {line.weight}"
            if line.discount is not None:
                text += f"\n    includes −{self._money(line.discount)} off"
            texts.append(f"{text}\t{self._money(line.amount)}")
        # The rows whose text changed are set, the others kept: a scan changes one line, not the list.
        changed = None
        for row, text in enumerate(texts):
            item = self.lines.item(row)
            if item is None:
                self.lines.addItem(text)
                changed = row
            elif item.text() != text:
                item.setText(text)
                changed = row
        while self.lines.count() > len(texts):
            self.lines.takeItem(self.lines.count() - 1)
        self.lines.setVisible(bool(view.lines))
        if changed is not None:
            self.lines.scrollToItem(self.lines.item(changed))  # the item just scanned
        rows: list[str] = []
        if view.discount is not None:
            rows.append(f"You save {self._money(view.discount)}")
        if view.tax is not None and view.tax.minor:
            rows.append(f"{'Includes tax' if view.tax_included else 'Tax'} {self._money(view.tax)}")
        if view.screen is Screen.PAYING and view.total is not None:
            rows.append(f"Total {self._money(view.total)}")  # the big line is what is still to pay
        for part in view.paid:
            rows.append(f"Paid by {part.words.lower()} {self._money(part.amount)}")
        if view.given_back is not None:
            rows.append(f"Cash given back {self._money(view.given_back)}")
        self.summary.setText("\n".join(rows))
        self.summary.setVisible(bool(rows))
        total = ""
        if view.screen is Screen.PAYING and view.due is not None:
            total = f"Still to pay {self._money(view.due)}"
        elif view.total is not None:
            total = f"Total {self._money(view.total)}"
        self.total.setText(total)
        self.total.setVisible(bool(total))
        self.change.setText(f"Your change {self._money(view.change)}" if view.change is not None else "")
        self.change.setVisible(view.change is not None)
        for choice, button in self.choices.items():
            button.setVisible(choice in view.receipt_choices)

    # -- where it shows ---------------------------------------------------------------------
    def place(self, mode: CustomerDisplayMode) -> Placement:
        """Full screen on the second monitor when there is one, a window when the owner turned it on
        with one screen, else hidden; the counter asks the customer for the receipt only when shown."""
        screens = QGuiApplication.screens()
        where = placement(mode, len(screens))
        if where is Placement.SECOND_SCREEN:
            second = screens[1]
            self.setScreen(second)
            self.setGeometry(second.geometry())
            self.showFullScreen()
        elif where is Placement.WINDOW:
            self.showNormal()
        else:
            self.hide()
        self.counter.customer_chooses_receipt = where is not Placement.HIDDEN
        return where


def _view_menu(window: QMainWindow) -> QMenu:
    """The window's View menu (another part of the window may have made it already), else a new one."""
    for action in window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and action.text().replace("&", "") == "View":
            menu.addSeparator()  # apart from the theme's choices (ui/view_menu.py)
            return menu
    return window.menuBar().addMenu("&View")


def attach_customer_display(
    window: QMainWindow,
    bridge: CounterBridge,
    counter: Counter,
    settings: Settings,
    say: Callable[[str, bool], None],
    keep: bool = True,
) -> CustomerDisplay:
    """The customer display for the till's window: subscribed to the counter's events through the
    window's bridge, placed as the setting says, and a View menu toggle that turns it on or off (kept
    as this till's setting; `keep=False` in a read-only window, which writes nothing). Returns it."""
    display = CustomerDisplay(counter, settings.current.locale, window)
    bridge.heard.connect(display.hear)
    toggle = named(QAction("&Customer display", window), "customerDisplayAction")
    toggle.setCheckable(True)
    _view_menu(window).addAction(toggle)

    def place(mode: CustomerDisplayMode) -> None:
        where = display.place(mode)
        toggle.setChecked(where is not Placement.HIDDEN)

    def toggled(on: bool) -> None:
        if on == display.isVisible():
            return
        mode = CustomerDisplayMode.ON if on else CustomerDisplayMode.OFF
        if keep:
            try:
                settings.change("customer_display", mode.value)
            except PosError as exc:  # shown anyway: the customer can still see the cart now
                say(f"The customer display is {mode.value} but the setting was not kept: {exc}", True)
        place(mode)

    toggle.toggled.connect(toggled)
    place(settings.current.customer_display_mode)
    return display


def receipt_chosen_words(event: events.ReceiptChosen) -> str:
    """What the cashier's status line says of the customer's choice."""
    if event.lapsed:
        return f"No receipt chosen in time for {event.receipt.number_text}: none printed (reprint it from Receipts)."
    return f"The customer chose: {event.choice.words.lower()}."
