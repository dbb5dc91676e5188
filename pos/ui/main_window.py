"""The till's main window: products on the left, the cart and Pay on the right."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QMainWindow,
    QPushButton,
    QWidget,
)

from pos.domain.staff import Permission

from .back_office_menus import BackOfficeMenus
from .background_rounds import BackgroundRounds
from .drawer_desk import DrawerDesk
from .feedback import show_message
from .staff_desk import StaffDesk
from .widgets import named
from .workers import run_in_background

if TYPE_CHECKING:  # annotations only: the window's frame paints before the services load
    from pos.services import counter_events as events
    from pos.services.checkout import Paid
    from pos.services.session import Session
    from pos.services.staff import Grant

    from .payment_dialog import PaymentDialog

RECOVERY_INTERVAL_MS = 60_000
COMPACT_WIDTH = 960  # narrower than this (an 800x600 till) the cart's line tools take two rows
# Menu titles are touch targets too (44 px, issue 28); their look is the theme's.
MENU_BAR_STYLE = "QMenuBar::item { padding: 14px 14px; }"
STAFF_CHECK_MS = 2_000  # how soon a cashier disabled or given a new PIN elsewhere is signed out
log = logging.getLogger(__name__)


class MainWindow(StaffDesk, BackOfficeMenus, DrawerDesk, BackgroundRounds, QMainWindow):
    """Layout and wiring: the panels, the status bar, and the counter's events to what shows them.
    The sale's rules are the counter's (services/counter.py); the window's other parts are mixed in
    from their own modules: who is at the till (staff_desk), menus and back office
    (back_office_menus), printer and drawer (drawer_desk), rounds on workers (background_rounds)."""

    def __init__(self, context: Session | None = None, parent: QWidget | None = None) -> None:
        """The window's frame paints at once; with a context it is wired at once too.

        The launcher passes no context, shows the frame, and attaches the context after the
        first paint, so SQLAlchemy, pydantic and stripe load while the cashier already sees
        the till (see bench/startup.py).
        """
        super().__init__(parent)
        self.context: Session | None = None
        self.payment_dialog: PaymentDialog | None = None
        self._paid: tuple[Paid, list[tuple[str, int]]] | None = None  # the last sale paid, and its cart after
        self.last_recovery: list[str] = []
        self._recovering = False
        self.setObjectName("mainWindow")
        self.setWindowTitle("Till")
        self.resize(1200, 760)  # until shown maximised (show_maximised), or when un-maximised
        self.menuBar().setStyleSheet(MENU_BAR_STYLE)
        self._compact: bool | None = None
        self.loading = named(QLabel("Opening the till…"), "loadingLabel")
        # Centred by a style property, not setAlignment: PySide6 builds all ~95 enums of the `Qt`
        # namespace on its first touch (~15 ms), and nothing before the frame's first paint needs it.
        self.loading.setStyleSheet("qproperty-alignment: AlignCenter;")
        self.setCentralWidget(self.loading)
        self.mode_label = named(QLabel(), "modeLabel")
        self.endpoint_label = named(QLabel(), "endpointLabel")
        self.status_message = named(QLabel(""), "statusMessage")
        self.status_message.setWordWrap(True)  # a long message takes two lines, never cut off
        self.cashier_label = named(QLabel(""), "cashierLabel")
        self.sign_out_button = named(QPushButton("Sign out"), "signOutButton")
        self.sign_out_button.setVisible(False)
        self.shop_label = named(QLabel(""), "shopStatus")  # the shop database's sync, when there is one
        self.shop_label.setVisible(False)
        self.shop_label.setContentsMargins(6, 0, 10, 0)  # clear of the size grip and its neighbours
        self._syncing = False
        self._closed = False  # set on close: a sync round that ends later touches no widget
        self.shop_interval_ms: int | None = None  # test seam: a fixed interval instead of ShopSync's backoff
        self.statusBar().addWidget(self.mode_label)
        self.statusBar().addWidget(self.endpoint_label)
        self.statusBar().addPermanentWidget(self.status_message, 1)
        self.statusBar().addPermanentWidget(self.shop_label)
        self.statusBar().addPermanentWidget(self.cashier_label)
        self.statusBar().addPermanentWidget(self.sign_out_button)
        if context is not None:
            self.attach(context)

    def show_maximised(self) -> None:
        """Open maximised on the screen the window is on (the one under the pointer when it opens)."""
        from PySide6.QtGui import QCursor, QGuiApplication

        screen = QGuiApplication.screenAt(QCursor.pos()) or self.screen()
        self.move(screen.availableGeometry().topLeft())
        self.showMaximized()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_layout()

    def _fit_layout(self) -> None:
        """One layout from 1024x768 up; a compact one for a narrower window (800x600)."""
        if not hasattr(self, "cart_panel"):
            return  # the frame before the till is attached
        compact = self.width() < COMPACT_WIDTH
        if compact != self._compact:
            self._compact = compact
            self.cart_panel.set_compact(compact)
            # The Stripe address is for whoever set the till up, not the cashier: off a narrow bar.
            self.endpoint_label.setVisible(not compact)
        total = max(self.splitter.width(), 1)
        share = 0.55 if compact else 0.6  # the products' part of the width
        self.splitter.setSizes([int(total * share), total - int(total * share)])

    def ask_read_only(self, holder: str) -> bool:
        """Another till sells from this folder: look at its records read-only, or quit."""
        from PySide6.QtWidgets import QMessageBox  # the frame paints without it (issue 27 item 3)

        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Till already open",
            f"This data folder is in use by {holder}.\n\nOnly one till can sell from a data "
            "folder. You can open the back office read-only (receipts and reports), or quit.",
            parent=self,
        )
        box.setObjectName("folderInUse")
        read_only = box.addButton("Open read-only", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        if box.clickedButton() is read_only:
            return True
        QTimer.singleShot(0, self.close)
        return False

    def show_startup_error(self, message: str) -> None:
        """The till cannot open its data: say so on the window itself, instead of 'Opening the till…'."""
        self.loading.setText(f"The till cannot start.\n\n{message}")
        self.loading.setObjectName("startupError")
        self.loading.setWordWrap(True)
        self.loading.style().unpolish(self.loading)  # the new objectName picks its own style
        self.loading.style().polish(self.loading)
        self.mode_label.setText("NOT SELLING")
        log.error("start-up failed: %s", message)

    @property
    def closed(self) -> bool:
        """Closed (its close button, SIGTERM): a till that finishes opening after is not wired to it."""
        return self._closed

    @property
    def session(self) -> Session:
        """The till's services, once attached (every action below is wired only then)."""
        if self.context is None:
            raise LookupError("the window has no till attached yet")
        return self.context

    def attach(self, context: Session) -> None:
        """Wire the window to the till's services and data."""
        # The sale screen's modules load here, after the frame's first paint (issue 27: the first
        # window within 1.3x a bare PySide6 window's time): the services, the panels, the bridge.
        from .cart_panel import CartPanel
        from .counter_bridge import CounterBridge
        from .customer_display import attach_customer_display
        from .gift_card_sale import GiftCardSale
        from PySide6.QtCore import Qt  # after the first paint (see the loading label in __init__)
        from PySide6.QtWidgets import QHBoxLayout, QSplitter, QVBoxLayout

        from . import accessible, keyboard

        from .product_panel import ProductPanel

        self.context = context
        self.till = context.till
        self.counter = context.counter
        self.locale_name = context.settings.locale
        # The counter's events, moved onto the Qt thread: the window redraws from them.
        self.counter_bridge = CounterBridge(self.counter, self)
        self.counter_bridge.heard.connect(self.on_counter_event)
        from pos.services.sale_words import SaleWords  # the sale screen's: after the frame's first paint

        self.sale_words = SaleWords()  # a paid sale's words and its printer's answer, in either order

        self.products = ProductPanel(context.catalog, self.locale_name)
        self.cart_panel = CartPanel(self.counter.cart, self.locale_name)
        self.pay_button = named(QPushButton("Pay"), "payButton")  # "Pay $17.60" once the cart has lines
        self.pay_button.setToolTip(keyboard.tip("Take the payment", keyboard.PAY))
        self.pay_button.setMinimumHeight(64)
        self.open_drawer_button = named(QPushButton("Open\ndrawer"), "openDrawerButton")
        self.open_drawer_button.setMinimumSize(96, 64)  # a touch target beside Pay, clearly smaller
        self.open_drawer_button.setToolTip(
            "Opens the cash drawer through the receipt printer; every opening is recorded."
        )
        self.open_drawer_button.clicked.connect(self.open_drawer_no_sale)
        self.custom_amount_button = named(QPushButton("Custom\namount"), "customAmountButton")
        self.custom_amount_button.setMinimumSize(96, 64)
        self.custom_amount_button.setToolTip("An item without a barcode: type its price (default tax rate).")
        self.custom_amount_button.clicked.connect(self.add_custom_amount)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.cart_panel, 1)
        self.gift_card_sale = GiftCardSale(self.counter.sell_gift_card, lambda: self.counter.cart.currency)
        self.gift_card_sale.sold.connect(self._gift_card_line_added)
        self.gift_card_sale.problem.connect(lambda text: self.say(text, error=True))
        right_layout.addWidget(self.gift_card_sale)
        pay_row = QHBoxLayout()
        pay_row.addWidget(self.open_drawer_button)
        pay_row.addWidget(self.custom_amount_button)
        pay_row.addWidget(self.pay_button, 1)
        right_layout.addLayout(pay_row)
        splitter = self.splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.products)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)

        central = QWidget()
        layout = QVBoxLayout(central)
        self.demo_banner = named(
            QLabel("DEMO MODE — payments go to the built-in Stripe test sandbox. No real money moves."), "demoBanner"
        )
        self.demo_banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.demo_banner)
        layout.addWidget(self._key_unavailable_bar())
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)  # Qt deletes the frame's placeholder (self.loading) here
        self._compact = None
        self._fit_layout()

        self._build_menus()
        self.customer_display = attach_customer_display(
            self, self.counter_bridge, self.counter, context.store_settings, self.say, keep=context.read_only is None
        )
        self.refresh_mode()
        self.products.product_chosen.connect(self.add_product)
        self.products.label_scanned.connect(self.add_label)
        self.products.not_found.connect(lambda text: self.say(text, error=True))
        self.cart_panel.problem.connect(lambda text: self.say(text, error=True))
        self.cart_panel.before_void = self.void_then
        self.cart_panel.check_discount = self.approve_discount
        self.sign_out_button.clicked.connect(self.sign_out)
        self.sign_in_dialog: QDialog | None = None
        self.approval_dialog: QDialog | None = None
        # Idle lock: any key or click restarts it (the store sets the minutes; 0 = never).
        self.idle_timer = QTimer(self, singleShot=True)
        self.idle_interval_ms: int | None = None  # tests shorten the store's minutes with this
        self.idle_timer.timeout.connect(self.lock_idle)
        # A cashier disabled or given a new PIN elsewhere (another process, `pos cashiers`) is
        # signed out within a moment; the dialogs opened on someone's rights close when the staff
        # service says they no longer stand (an idle lock, a sign-out, a disabled manager).
        self._granted: list[tuple[QDialog, Grant]] = []
        self.staff_timer = QTimer(self, interval=STAFF_CHECK_MS)
        self.staff_timer.timeout.connect(self.check_staff)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)  # the idle lock, and each new widget described (ui/accessible.py)
        accessible.describe_all(self)  # the widgets polished before the filter was installed
        self.reader_display_shown = False
        self._reader_display_timer = QTimer(self, interval=300, singleShot=True)  # one update per burst of scans
        self._reader_display_timer.timeout.connect(self.show_cart_on_reader)
        self.cart_panel.changed.connect(self.counter.cart_changed)  # the panel edits the cart; all hear of it
        self.pay_button.clicked.connect(self.pay)
        self._cart_changed()
        self.products.search.setFocus()

        self._recovery_timer = QTimer(self, interval=RECOVERY_INTERVAL_MS)
        self._recovery_timer.timeout.connect(lambda: self.run_recovery(quiet=True))
        if context.read_only:
            # Another process sells here and settles its own payments: this window only looks.
            self.demo_banner.setText(
                f"READ-ONLY — {context.read_only} is selling from this data folder. "
                "Receipts and reports can be viewed; nothing can be sold or changed here."
            )
            self.demo_banner.setObjectName("readOnlyBanner")
            self.demo_banner.style().unpolish(self.demo_banner)
            self.demo_banner.style().polish(self.demo_banner)
            self.demo_banner.setVisible(True)
            self.mode_label.setText("READ-ONLY")
            for widget in (self.pay_button, self.open_drawer_button, self.products, self.cart_panel):
                widget.setEnabled(False)
            for action in self._selling_actions:
                action.setEnabled(False)
            return
        self._recovery_timer.start()
        self._checking_storage = False
        self._storage_timer = QTimer(self, singleShot=True)  # re-armed after each check by the schedule
        self._storage_timer.timeout.connect(self.check_storage)
        self._storage_timer.start(int(context.storage.next_in() * 1000))
        if context.shop is not None:
            # Selling never waits on the shop database: a round runs on a worker, now and every so often.
            self.shop_label.setText(context.shop.status_text())
            self.shop_label.setVisible(True)
            # Single-shot, re-armed after each round: every 30 s, backing off while the shop is away.
            self._shop_timer = QTimer(self, singleShot=True)
            self._shop_timer.timeout.connect(self.sync_shop)
            QTimer.singleShot(0, self.sync_shop)
        QTimer.singleShot(0, lambda: self.run_recovery(quiet=False))
        QTimer.singleShot(0, self._check_audit_trail)
        QTimer.singleShot(0, self.require_sign_in)
        QTimer.singleShot(0, self.warm_printer)  # after the start-up's jobs, on a worker (drawer_desk.py)
        self.staff_timer.start()
        if context.demo:
            QTimer.singleShot(0, self._set_up_demo_reader)
        log.info("main window ready (%s)", "demo mode" if context.demo else "test mode")

    def on_counter_event(self, event: events.CounterEvent) -> None:
        """What the counter said changed, redrawn here (on the Qt thread, by the bridge)."""
        from pos.domain.tender import TenderKind
        from pos.services import counter_events as events

        from .customer_display import receipt_chosen_words

        if isinstance(event, events.CartChanged):
            self.cart_panel.refresh(select=self.cart_panel.selected_row())
            self._cart_changed()
        elif isinstance(event, events.PartPaid) and event.tender.kind is TenderKind.CASH:
            self.kick_drawer("cash part of a sale")
        elif isinstance(event, events.Voided) and event.cash:
            self.kick_drawer("void: hand back cash")
        elif isinstance(event, events.Paid):
            self.print_receipt(event.receipt, event.jobs)  # the drawer first when cash was taken
            if self.session.readers.reader_id:
                self.show_cart_on_reader(sale_ended=True)  # the next customer never sees this cart
        elif isinstance(event, events.ReceiptChosen):  # on the customer display: the cashier follows
            from pos.services.sale_words import Piece

            self.print_receipt(event.receipt, event.jobs)
            line = self.sale_words.say(event.receipt.number_text, Piece.CHOICE, receipt_chosen_words(event))
            self.say(line.text, error=line.error)

    # -- feedback -------------------------------------------------------------------
    def say(self, text: str, error: bool = False) -> None:
        show_message(self.status_message, text, "error" if error else "info")

    # -- cart -------------------------------------------------------------------------
    def add_product(self, product) -> None:
        from pos.domain.stock import Asks  # loaded by the till's services already; not the first paint's

        asks = Asks.NOTHING if self.context is None else self.session.stock.asks(product.sku)
        if asks is Asks.PRICE:
            self.ask_price(product, product.name)
            return
        if asks is Asks.WEIGHT:
            self.ask_weight(product)
            return
        self.cart_panel.add(product)  # the panel selects the line; the counter hears of it on `changed`
        self.say(f"Added {product.name}.")

    def add_label(self, label) -> None:
        """A scale label: the weighed (or priced) line at the label's price."""
        if not self.cart_panel.add_priced(label.product, label.price, label.measure):
            return  # refused (1 g at 0.01/kg rounds to nothing): the problem is on screen, not "Added"
        weighed = f" {label.measure.describe()}" if label.measure else ""
        self.say(f"Added {label.product.name}{weighed}: {label.price.format(self.locale_name)}.")

    def ask_weight(self, product) -> None:
        """A product sold by the kg, with no scale label: the weight typed, the line priced as a label's."""
        from .open_price import WeightDialog

        catalog = self.session.catalog

        def weighed(text: str):
            return catalog.weighed(product, text)

        self.weight_dialog = WeightDialog(product.name, weighed, self.add_label, self)
        self.weight_dialog.open()

    def add_custom_amount(self) -> None:
        catalog = self.session.catalog
        self.ask_price(catalog.custom_product(self.session.settings.default_tax_rate_bp), "the custom amount")

    def ask_price(self, product, what: str) -> None:
        """An open price: typed, and above the limit approved by a manager."""
        from pos.domain.money import typed_decimal_point

        from .open_price import OpenPriceDialog

        catalog = self.session.catalog

        def add(price) -> None:
            def go(_by: str) -> None:
                self.cart_panel.add_priced(product, price)
                self.say(f"Added {product.name}: {price.format(self.locale_name)}.")

            if catalog.open_price_needs_approval(price):
                self.with_approval(Permission.OPEN_PRICE_ABOVE_LIMIT, f"{what} at {price}", go)
            else:
                go("")

        self.open_price_dialog = OpenPriceDialog(
            what, catalog.open_price, add, self, typed_decimal_point(self.counter.cart.currency)
        )
        self.open_price_dialog.open()

    def _gift_card_line_added(self, text: str) -> None:
        self.say(text)  # the cart redraws on the counter's CartChanged

    def _cart_changed(self) -> None:
        from pos.services.payment_screen import pay_label

        empty = self.counter.cart.is_empty()
        self.pay_button.setEnabled(not empty)
        self.pay_button.setText("Pay" if empty else pay_label(self.counter.amount_due(), self.locale_name))
        dialog = self.payment_dialog
        if dialog is not None and dialog.isVisible() and self._paid is not None and self._cart() != self._paid[1]:
            dialog.accept()  # the next sale started at the counter: the last receipt steps aside
        if self.context is not None and self.session.read_only is None and self.session.readers.reader_id:
            self._reader_display_timer.start()  # the customer sees the cart on the reader as it is built

    def show_cart_on_reader(self, sale_ended: bool = False) -> None:
        """The reader's screen follows the cart (on a worker; a busy or unreachable reader keeps its
        screen): the cart as it is built, cleared when it empties or the sale ends."""
        readers = self.session.readers
        display = None if sale_ended else readers.display_for(self.counter.cart)
        if display is not None and self.payment_dialog is not None and self.payment_dialog.isVisible():
            return  # the reader is the payment's now (a clear touches only a cart on its display)
        job = readers.follow(display)
        run_in_background(
            lambda _p: job(),
            on_success=lambda done: setattr(self, "reader_display_shown", done and display is not None),
            on_failure=lambda exc: log.info("the reader's display did not follow the cart: %s", exc),
        )

    def _set_up_demo_reader(self) -> None:
        """Demo mode: a simulated card reader is registered for the till, so the reader flow can be tried."""
        readers = self.session.readers
        run_in_background(
            lambda _p: readers.ensure_simulated(),
            on_success=lambda status: log.info("demo card reader: %s", status.message),
            on_failure=lambda exc: log.warning("no demo card reader: %s", exc),
        )

    # -- paying -----------------------------------------------------------------------
    def pay(self) -> None:
        if self.payment_dialog is not None and self.payment_dialog.isVisible():
            return
        if self.session.key_state is not None and self.session.key_state.unavailable:
            self.say(
                "No payments: the till's Stripe key cannot be read from the keyring. Try the keyring again, "
                "or enter the key for this session.",
                error=True,
            )
            return
        if self.counter.cart.is_empty():
            self.say("The cart is empty: add products before taking a payment.", error=True)
            return
        from pos.services.payment_screen import mode_badge

        from . import keyboard

        from .payment_dialog import PaymentDialog

        counter = self.counter
        self.payment_dialog = PaymentDialog(
            counter,
            counter.total(),
            counter.amount_due(),
            counter.tenders(),
            self.locale_name,
            guard=_checkout_errors,
            parent=self,
            readers=self.session.readers,
            badge=mode_badge(self.session.demo, self.session.readers.test_mode),
        )

        def approved(go) -> None:  # the counter keeps who approved: the void's record names them
            self.with_approval(
                Permission.VOID_AFTER_PAY, "voiding a sale paid in part", lambda by: go(counter.approve_void(by))
            )

        self.payment_dialog.before_void = approved
        keyboard.bind_payment_keys(self.payment_dialog, self.products.search_box)
        self.payment_dialog.finished.connect(self._payment_closed)
        self.payment_dialog.paid.connect(self._sale_paid)
        self._paid = None
        self.payment_dialog.open()

    def _cart(self) -> list[tuple[str, int]]:
        return [(line.product.sku, line.quantity) for line in self.counter.cart.lines]

    def _sale_paid(self, result: Paid) -> None:
        """Paid: the till is ready for the next sale at once (issue 28: no tap to finish a sale). The
        receipt and change stay up, no longer modal, until New sale, Enter, or the next item rung up."""
        self._finish_paid(result)
        self._paid = (result, self._cart())
        dialog = self.payment_dialog
        if dialog is not None:
            from PySide6.QtCore import Qt

            dialog.hide()  # modality changes only while hidden
            dialog.setWindowModality(Qt.WindowModality.NonModal)
            dialog.show()
            # The keys go to it (Enter, Ctrl+N). The window first, as a window manager does when the
            # active window hides; without a window manager (offscreen) Qt still counted the hidden
            # dialog active and would not activate it again.
            self.activateWindow()
            QTimer.singleShot(0, dialog.take_keys)
            dialog.new_sale_button.setFocus()

    def _payment_closed(self, _code: int) -> None:
        from pos.services.checkout import Paid, VoidResult

        dialog = self.payment_dialog
        result = dialog.result_value if dialog else None
        if isinstance(result, Paid):
            if self._paid is None or self._paid[0] is not result:
                self._finish_paid(result)
        elif isinstance(result, VoidResult):  # recorded by the counter in the void's own transaction
            self.say(result.message, error=not result.voided)
        elif result is not None:
            self.say(getattr(result, "message", ""), error=True)
        self._paid = None
        self.activateWindow()  # the keys (and the scanner) come back here, whatever the window manager does
        self.products.search.setFocus()

    def _finish_paid(self, result: Paid) -> None:
        from pos.services.sale_words import Piece

        receipt = result.receipt
        self.counter.new_sale()  # settings saved mid-sale apply from now on; the cart redraws
        self.refresh_mode()
        self._restart_idle()
        paid = f"Paid {receipt.total.format(self.locale_name)} — receipt {receipt.number_text} saved."
        waiting = self.counter.activation_messages  # a gift card it sold that waits for the shop
        # The printer may have answered first (its own thread): the receipt's line holds both.
        line = self.sale_words.say(receipt.number_text, Piece.SALE, " ".join([paid, *waiting]), error=bool(waiting))
        self.say(line.text, error=line.error)
        counter = self.counter
        run_in_background(
            lambda _p: counter.label_with_receipt(receipt),
            on_success=lambda _r: None,
            on_failure=lambda exc: log.warning("receipt label failed: %s", exc),
        )

    def resume_parked(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        from pos.domain.money import Money

        parked = self.counter.parked_sales()
        if not parked:
            self.say("There are no parked sales.")
            return
        if not self.counter.cart.is_empty():
            self.say("Finish or clear the current cart before resuming a parked sale.", error=True)
            return
        labels = [
            f"Sale {s.id} — {Money(s.total_minor, s.currency).format(self.locale_name)} — {s.created_at[:16]}"
            for s in parked
        ]
        choice, ok = QInputDialog.getItem(self, "Resume a parked sale", "Parked sales:", labels, 0, False)
        if ok:
            self.resume_sale(parked[labels.index(choice)].id)

    def resume_sale(self, sale_id: int) -> None:
        resumed = self.counter.resume(sale_id)  # the cart redraws on the counter's CartChanged
        self.say(resumed.message, error=bool(resumed.problems))

    def closeEvent(self, event) -> None:
        if self.payment_dialog is not None and self.payment_dialog.charging:
            self.say("A payment is being charged: wait for its answer before closing.", error=True)
            event.ignore()
            return
        super().closeEvent(event)
        self._closed = True
        if self.context is not None:
            self.counter_bridge.close()
            self.customer_display.close()  # its own window: the till's last window closing quits the app
            self.staff_timer.stop()
            self._recovery_timer.stop()
            if self.session.read_only is None:
                self._storage_timer.stop()
            if self.session.shop is not None:
                self._shop_timer.stop()
            self.session.close()


def _checkout_errors(call):
    """Run a till call in the worker; a sale that could not be started is a message, not a crash."""
    from pos.services.checkout import CheckoutError, Failed

    try:
        return call()
    except CheckoutError as exc:
        return Failed(str(exc))
