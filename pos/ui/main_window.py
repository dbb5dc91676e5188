"""The till's main window: products on the left, the cart and Pay on the right."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from pos.domain.errors import PosError
from pos.domain.redaction import redact
from pos.domain.money import Money
from pos.services.settlement import settle_unfinished
from pos.domain.tender import TenderKind
from pos.services.checkout import CheckoutError, Failed, Paid, VoidResult
from pos.domain.staff import Permission
from pos.services.staff import Grant, VoidKind
from pos.services.receipt_printing import Printed, PrintResult

from .cart_panel import CartPanel
from .gift_card_sale import GiftCardSale
from .widgets import named, shortcut_action
from .payment_dialog import PaymentDialog
from .product_panel import ProductPanel
from .feedback import show_message
from .workers import run_in_background

if TYPE_CHECKING:  # annotations only: the window's frame paints before the services load
    from pos.services.session import Session
    from pos.domain.receipt import Receipt

RECOVERY_INTERVAL_MS = 60_000
STAFF_CHECK_MS = 2_000  # how soon a cashier disabled or given a new PIN elsewhere is signed out
log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    def __init__(self, context: Session | None = None, parent: QWidget | None = None) -> None:
        """The window's frame paints at once; with a context it is wired at once too.

        The launcher passes no context, shows the frame, and attaches the context after the
        first paint, so SQLAlchemy, pydantic and stripe load while the cashier already sees
        the till (see bench/startup.py).
        """
        super().__init__(parent)
        self.context: Session | None = None
        self.payment_dialog: PaymentDialog | None = None
        self.last_recovery: list[str] = []
        self._recovering = False
        self.setObjectName("mainWindow")
        self.setWindowTitle("Till")
        self.resize(1200, 760)
        self.loading = named(QLabel("Opening the till…"), "loadingLabel")
        self.loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(self.loading)
        self.mode_label = named(QLabel(), "modeLabel")
        self.endpoint_label = named(QLabel(), "endpointLabel")
        self.status_message = named(QLabel(""), "statusMessage")
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

    def ask_read_only(self, holder: str) -> bool:
        """Another till sells from this folder: look at its records read-only, or quit."""
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
    def session(self) -> Session:
        """The till's services, once attached (every action below is wired only then)."""
        if self.context is None:
            raise LookupError("the window has no till attached yet")
        return self.context

    def attach(self, context: Session) -> None:
        """Wire the window to the till's services and data."""
        self.context = context
        self.till = context.till
        self.locale_name = context.settings.locale

        self.products = ProductPanel(context.catalog, self.locale_name)
        self.cart_panel = CartPanel(self.till.cart, self.locale_name)
        self.pay_button = named(QPushButton("Pay  (F12)"), "payButton")
        self.pay_button.setMinimumHeight(64)
        self.open_drawer_button = named(QPushButton("Open\ndrawer"), "openDrawerButton")
        self.open_drawer_button.setMinimumSize(96, 64)  # a touch target beside Pay, clearly smaller
        self.open_drawer_button.setToolTip(
            "Opens the cash drawer through the receipt printer; every opening is recorded."
        )
        self.open_drawer_button.clicked.connect(self.open_drawer_no_sale)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.cart_panel, 1)
        self.gift_card_sale = GiftCardSale(
            lambda amount, code: self.till.sell_gift_card(amount, code), lambda: self.till.cart.currency
        )
        self.gift_card_sale.sold.connect(self._gift_card_line_added)
        self.gift_card_sale.problem.connect(lambda text: self.say(text, error=True))
        right_layout.addWidget(self.gift_card_sale)
        pay_row = QHBoxLayout()
        pay_row.addWidget(self.open_drawer_button)
        pay_row.addWidget(self.pay_button, 1)
        right_layout.addLayout(pay_row)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.products)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

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

        self._build_menus()
        self.refresh_mode()
        self.products.product_chosen.connect(self.add_product)
        self.products.code_not_found.connect(
            lambda code: self.say(f"No product with barcode or SKU “{code}”.", error=True)
        )
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
            app.installEventFilter(self)
        self.reader_display_shown = False
        self._reader_display_timer = QTimer(self, interval=300, singleShot=True)  # one update per burst of scans
        self._reader_display_timer.timeout.connect(self.show_cart_on_reader)
        self.cart_panel.changed.connect(self._cart_changed)
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
        self.staff_timer.start()
        if context.demo:
            QTimer.singleShot(0, self._set_up_demo_reader)
        log.info("main window ready (%s)", "demo mode" if context.demo else "test mode")

    # -- who is at the till ----------------------------------------------------------
    def require_sign_in(self, locked: bool = False) -> None:
        """Once the shop has cashiers, nobody sells without signing in (no cashiers: nothing asked)."""
        staff = self.session.staff
        self._show_cashier()
        if not staff.required or staff.current is not None:
            self._restart_idle()
            return
        if self.sign_in_dialog is not None and self.sign_in_dialog.isVisible():
            return
        from .staff_dialogs import SignInDialog

        self.sign_in_dialog = SignInDialog(staff, self, locked=locked)
        self.sign_in_dialog.accepted.connect(self._signed_in)
        self.sign_in_dialog.open()

    def _signed_in(self) -> None:
        self._show_cashier()
        self._restart_idle()
        current = self.session.staff.current
        if current is not None:
            self.say(f"Signed in: {current.name} ({current.role}).")
        self.products.search.setFocus()

    def _show_cashier(self) -> None:
        current = self.session.staff.current
        self.cashier_label.setText(f"Cashier: {current.name}" if current else "")
        self.sign_out_button.setVisible(current is not None)

    def sign_out(self) -> None:
        """Sign out (or switch cashier): the till waits on the sign-in screen."""
        if self.payment_dialog is not None and self.payment_dialog.charging:
            self.say("A payment is being taken: finish it before signing out.", error=True)
            return
        self.session.staff.sign_out()
        self.close_revoked()
        self.require_sign_in()

    def check_staff(self) -> None:
        """The signed-in cashier still stands (not disabled, same PIN), else signed out at once."""
        if self._closed or self.context is None:
            return
        staff = self.session.staff
        why = staff.recheck()
        if why is not None:
            self.say(why, error=True)
        if staff.current is None and staff.required:
            self.require_sign_in()  # also when a worker's check signed them out (it shows nothing)
        self.close_revoked()

    def keep_granted(self, dialog: QDialog, approved_by: str = "") -> None:
        """A dialog opened on the signed-in cashier's rights or a manager's approval: closed when
        that no longer stands (`Staff.stands`)."""
        self._granted.append((dialog, self.session.staff.grant(approved_by)))

    def close_revoked(self) -> None:
        staff, kept = self.session.staff, []
        for dialog, grant in self._granted:
            if not dialog.isVisible():
                continue
            if not staff.stands(grant):
                dialog.reject()  # a busy dialog stays until its work answers: tried again next check
            if dialog.isVisible():
                kept.append((dialog, grant))
        self._granted = kept

    def lock_idle(self) -> None:
        staff = self.session.staff
        if staff.current is None or not staff.required:
            return
        if self.payment_dialog is not None and self.payment_dialog.charging:
            self._restart_idle()  # never in the middle of a payment
            return
        who = staff.current.name
        staff.sign_out()
        self.close_revoked()
        self.require_sign_in(locked=True)
        self.say(f"The till locked after {self.session.settings.idle_lock_minutes} idle minutes ({who} signed out).")

    def _restart_idle(self) -> None:
        minutes = self.session.settings.idle_lock_minutes
        if minutes and self.session.staff.current is not None:
            self.idle_timer.start(self.idle_interval_ms or minutes * 60_000)
        else:
            self.idle_timer.stop()

    def eventFilter(self, watched, event) -> bool:
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress) and self.idle_timer.isActive():
            self.idle_timer.start()  # the same interval again: someone is at the till
        return False

    def with_approval(self, permission, what: str, then) -> None:
        from .staff_dialogs import with_approval

        self.approval_dialog = with_approval(self, self.session.staff, permission, what, then)

    def void_then(self, kind: VoidKind, amount: Money, what: str, go) -> None:
        """Removing a line or clearing the cart after Pay was pressed is a void: a reason, recorded,
        and a manager's approval when the cashier may not do it alone. Before Pay: just done."""
        if self.till.sale_id is None:
            go()
            return

        def recorded(approved_by: str) -> None:
            reasons = ["Customer changed their mind", "Wrong item", "Price check", "Other"]
            reason, ok = QInputDialog.getItem(self, "Why?", f"Void: {what}. Reason:", reasons, 0, True)
            if not ok or not reason.strip():
                self.say("Nothing was removed: a void needs a reason.", error=True)
                return
            try:
                self.session.staff.record_void(kind, amount, reason, self.till.sale_id, approved_by)
            except PosError as exc:
                self.say(str(exc), error=True)
                return
            go()
            self.say(f"Voided ({what}): {reason}." + (f" Approved by {approved_by}." if approved_by else ""))

        self.with_approval(Permission.VOID_AFTER_PAY, what, recorded)

    def approve_discount(self, before, go) -> None:
        """A discount above the store's limit needs a manager; refused, the earlier discounts come back."""

        share = self.till.cart.discount_share_bp()
        limit = self.session.settings.discount_limit_bp
        if share <= limit or not self.session.staff.needs_approval(Permission.DISCOUNT_ABOVE_LIMIT):
            go()
            return
        what = f"a discount of {share / 100:g}% (the limit is {limit / 100:g}%)"
        self.with_approval(Permission.DISCOUNT_ABOVE_LIMIT, what, lambda _by: go())
        dialog = self.approval_dialog
        if dialog is not None:
            dialog.rejected.connect(lambda: self._undo_discount(before))

    def _undo_discount(self, before) -> None:
        self.till.cart.restore_discounts(before)
        self.cart_panel.refresh()
        self._cart_changed()
        self.say("The discount was not approved; the earlier discounts stand.", error=True)

    def _check_audit_trail(self) -> None:
        audit = self.session.audit
        run_in_background(
            lambda _p: audit.check_at_start(),
            on_success=lambda warning: self._audit_warning(warning),
            on_failure=lambda exc: log.warning("the audit trail could not be checked: %s", exc),
        )

    def _audit_warning(self, warning: str | None) -> None:
        self.audit_warning = warning
        if warning:
            self.say(warning, error=True)
            box = QMessageBox(QMessageBox.Icon.Warning, "Audit trail", warning, QMessageBox.StandardButton.Ok, self)
            box.setObjectName("auditWarning")
            box.setModal(False)
            box.show()

    def _build_menus(self) -> None:
        sale_menu = self.menuBar().addMenu("&Sale")
        pay = shortcut_action("&Pay", self, QKeySequence(Qt.Key.Key_F12))
        pay.triggered.connect(self.pay)
        resume = QAction("&Resume a parked sale…", self)
        resume.triggered.connect(self.resume_parked)
        recover_now = QAction("&Check unfinished payments now", self)
        recover_now.triggered.connect(lambda: self.run_recovery(quiet=False))
        focus_search = shortcut_action("&Search products", self, QKeySequence.StandardKey.Find)
        focus_search.triggered.connect(self.products.search.setFocus)
        open_drawer = QAction("&Open the cash drawer", self)
        open_drawer.triggered.connect(self.open_drawer_no_sale)
        cash_moves = QAction("Cash &in or out of the drawer…", self)
        cash_moves.triggered.connect(self.open_cash_movements)
        for action in (pay, resume, recover_now, focus_search, open_drawer, cash_moves):
            sale_menu.addAction(action)
        self._selling_actions = [pay, resume, recover_now, open_drawer, cash_moves]
        self.addAction(pay)
        back_office = self.menuBar().addMenu("&Back office")
        for title, shortcut, slot in (
            ("&Receipts…", "Ctrl+R", self.open_receipts),
            ("&End of day (X / Z report)…", "Ctrl+E", self.open_reports),
            ("&Catalog…", "Ctrl+K", self.open_catalog),
        ):
            action = shortcut_action(title, self, QKeySequence(shortcut))
            action.triggered.connect(slot)
            back_office.addAction(action)
            self.addAction(action)
        settings = shortcut_action("Se&ttings…", self, QKeySequence("Ctrl+,"))
        settings.triggered.connect(self.open_settings)
        sale_menu.addSeparator()
        sale_menu.addAction(settings)
        self.addAction(settings)
        self._selling_actions.append(settings)
        quit_action = shortcut_action("&Quit", self, QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        sale_menu.addSeparator()
        sale_menu.addAction(quit_action)

    # -- mode and settings ------------------------------------------------------------
    def _key_unavailable_bar(self) -> QWidget:
        """Shown when the till has a key but the keyring cannot give it: why, and the two ways on."""
        self.key_bar = named(QWidget(), "keyUnavailableBar")
        row = QHBoxLayout(self.key_bar)
        row.setContentsMargins(0, 0, 0, 0)
        self.key_bar_text = named(QLabel(""), "keyUnavailableText")
        self.key_bar_text.setWordWrap(True)
        retry = named(QPushButton("Try the keyring again"), "retryKeyringButton")
        retry.clicked.connect(self.retry_keyring)
        session = named(QPushButton("Enter the key for this session…"), "sessionKeyButton")
        session.clicked.connect(self.open_settings)
        row.addWidget(self.key_bar_text, 1)
        row.addWidget(retry)
        row.addWidget(session)
        self.key_bar.setVisible(False)
        return self.key_bar

    def retry_keyring(self) -> None:
        state = self.session.keys.current()
        if not state.unavailable:
            self.session.use_key(state)
        self.refresh_mode()
        if state.unavailable:
            self.say(
                "The keyring still cannot be read. No payments until it can, or until the key is entered "
                "for this session.",
                error=True,
            )
        else:
            self.say("The Stripe key was read from the keyring." if state.key else "No key: demo mode.")

    def refresh_mode(self) -> None:
        # A key change builds new sales services around the same cart: follow them.
        self.till = self.session.till
        state = self.session.key_state
        demo = self.session.demo
        unavailable = state is not None and state.unavailable
        self.demo_banner.setVisible(demo)
        self.key_bar.setVisible(unavailable)
        if state is not None and state.unavailable:
            self.key_bar_text.setText(
                "NO PAYMENTS — this till's Stripe key is kept in the OS keyring, which cannot "
                f"be read now. {state.warning or ''} The till will not switch to demo mode."
            )
        self.mode_label.setText("KEY UNAVAILABLE" if unavailable else "DEMO" if demo else "TEST MODE")
        self.endpoint_label.setText(f"Stripe: {self.session.endpoint}")
        self.setWindowTitle(f"{self.session.settings.store_name} — Till {self.session.till_id}")

    def open_settings(self) -> None:

        from .settings_dialog import SettingsDialog

        def show(by: str) -> None:
            self.settings_dialog = SettingsDialog(self)
            self.keep_granted(self.settings_dialog, by)
            self.settings_dialog.open()

        self.with_approval(Permission.SETTINGS, "the settings", show)

    def open_receipts(self) -> None:
        from .receipts_window import ReceiptsWindow

        self.receipts_window = ReceiptsWindow(self.session, self)
        self.keep_granted(self.receipts_window)
        self.receipts_window.open()

    def open_reports(self) -> None:

        from .reports_dialog import ReportsDialog

        def show(by: str) -> None:
            self.reports_dialog = ReportsDialog(self.session, self)
            self.keep_granted(self.reports_dialog, by)
            self.reports_dialog.open()

        self.with_approval(Permission.REPORTS, "the X and Z reports", show)

    def open_catalog(self) -> None:

        from .catalog_dialog import CatalogDialog

        def show(by: str) -> None:
            self.catalog_dialog = CatalogDialog(self.session, self)
            self.keep_granted(self.catalog_dialog, by)
            self.catalog_dialog.changed.connect(self.products.reload)
            self.catalog_dialog.open()

        self.with_approval(Permission.CATALOG, "the catalog", show)

    def apply_settings(self) -> None:
        """Saved store settings: the next empty cart takes the currency and tax mode; the title the till id."""
        settings = self.session.settings
        self.till.apply_store_terms(settings.currency, settings.tax_inclusive, settings.cash_rounding)
        self.cart_panel.refresh()
        self.refresh_mode()
        self._restart_idle()  # the idle lock's minutes may have changed

    # -- feedback -------------------------------------------------------------------
    def say(self, text: str, error: bool = False) -> None:
        show_message(self.status_message, text, "error" if error else "info")

    # -- cart -------------------------------------------------------------------------
    def add_product(self, product) -> None:
        self.cart_panel.add(product)
        self.say(f"Added {product.name}.")

    def _gift_card_line_added(self, text: str) -> None:
        self.cart_panel.refresh(select=len(self.till.cart.lines) - 1)
        self._cart_changed()
        self.say(text)

    def _cart_changed(self) -> None:
        self.pay_button.setEnabled(not self.till.cart.is_empty())
        if self.context is not None and self.session.read_only is None and self.session.readers.reader_id:
            self._reader_display_timer.start()  # the customer sees the cart on the reader as it is built

    def show_cart_on_reader(self) -> None:
        """Send the cart to the reader's screen (on a worker; a busy or unreachable reader keeps its screen)."""
        if self.payment_dialog is not None and self.payment_dialog.isVisible():
            return  # the reader is the payment's now
        readers = self.session.readers
        display = readers.display_for(self.till.cart)
        if display is None:
            return
        run_in_background(
            lambda _p: readers.show(display),
            on_success=lambda shown: setattr(self, "reader_display_shown", shown),
            on_failure=lambda exc: log.info("cart not shown on the reader: %s", exc),
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
        if self.till.cart.is_empty():
            self.say("The cart is empty: add products before taking a payment.", error=True)
            return
        till = self.till
        self.payment_dialog = PaymentDialog(
            till,
            till.total(),
            till.amount_due(),
            till.tenders(),
            self.locale_name,
            guard=_checkout_errors,
            parent=self,
            readers=self.session.readers,
        )
        self.payment_dialog.before_void = lambda go: self.with_approval(
            Permission.VOID_AFTER_PAY, "voiding a sale paid in part", go
        )
        self.payment_dialog.finished.connect(self._payment_closed)
        self.payment_dialog.paid.connect(self.print_receipt)
        self.payment_dialog.drawer.connect(self.kick_drawer)
        self.payment_dialog.open()

    def _payment_closed(self, _code: int) -> None:
        dialog = self.payment_dialog
        result = dialog.result_value if dialog else None
        if isinstance(result, Paid):
            receipt = result.receipt
            self.till.new_sale()
            self.apply_settings()  # settings saved mid-sale apply from now on
            self.cart_panel.refresh()
            self._cart_changed()
            self.say(f"Paid {receipt.total.format(self.locale_name)} — receipt {receipt.number_text} saved.")
            till = self.till
            run_in_background(
                lambda _p: till.label_with_receipt(receipt),
                on_success=lambda _r: None,
                on_failure=lambda exc: log.warning("receipt label failed: %s", exc),
            )
        elif isinstance(result, VoidResult):
            self.say(result.message, error=not result.voided)
            if result.voided and dialog is not None:
                try:  # the abandoned sale is a void on record (its parts were given back)
                    self.session.staff.record_void(
                        VoidKind.SALE,
                        dialog.total,
                        "sale voided: paid parts given back",
                        approved_by=dialog.void_approved_by,
                    )
                except PosError as exc:
                    self.say(f"{result.message} (The void could not be recorded: {exc})", error=True)
        elif result is not None:
            self.say(getattr(result, "message", ""), error=True)
        self.products.search.setFocus()

    # -- receipt printer and drawer ----------------------------------------------------
    def print_receipt(self, receipt: Receipt) -> None:
        """On the receipt printer, if one is set up: off the UI thread, after the sale is saved. A sale
        paid (partly) in cash opens the drawer first, through the same printer, in the same job."""
        printing = self.session.printing
        if not printing.configured:
            return
        cash = any(t.kind is TenderKind.CASH for t in receipt.tenders)

        def work(_progress):
            if cash:
                opened = printing.open_drawer(f"cash sale {receipt.number_text}")
                if not isinstance(opened, Printed):
                    return opened
            return printing.print_receipt(receipt)

        run_in_background(work, on_success=self._printed, on_failure=self._print_crashed)

    def kick_drawer(self, reason: str) -> None:
        """Cash went in or out outside a printed sale (a cash part, a void): open the drawer, if it can be."""
        printing = self.session.printing
        if not printing.configured:
            return

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
        self.open_drawer_button.setEnabled(self.session.read_only is None)
        self.say(result.message, error=not isinstance(result, Printed))

    def _print_crashed(self, exc: Exception) -> None:
        self.open_drawer_button.setEnabled(self.session.read_only is None)
        log.warning("printing failed: %s", exc)
        self.say("The printer could not be used (details are in the till's log).", error=True)

    # -- recovery ---------------------------------------------------------------------
    def sync_shop(self) -> None:
        """One sync round with the shop database on a worker (never two at once); the status bar says
        how it went: "Shop: synced 12:03", or what is waiting while the shop database is away."""
        shop = self.session.shop
        if shop is None or self._syncing or self._closed:
            return
        self._syncing = True

        def done(_result) -> None:
            self._syncing = False
            if self._closed:
                return  # the window closed while the round ran: nothing left to show it on
            self._show_shop()
            self._shop_timer.start(self.shop_interval_ms or int(shop.next_round_in() * 1000))

        def failed(exc: BaseException) -> None:
            self._syncing = False
            log.warning("shop sync failed: %s", exc)
            if self._closed:
                return
            self.shop_label.setText(f"Shop sync failed: {exc}")
            self._shop_timer.start(self.shop_interval_ms or int(shop.next_round_in() * 1000))

        run_in_background(lambda _p: shop.round(), on_success=done, on_failure=failed)

    def _show_shop(self) -> None:
        shop = self.session.shop
        if shop is None:
            return
        self.shop_label.setText(shop.status_text(self.session.settings.time_zone))
        last = shop.last
        if last is not None and last.pulled.settings:
            self.apply_settings()  # the shop's settings came down: as if saved here

    def run_recovery(self, quiet: bool) -> None:
        if self._recovering:
            return
        context = self.context
        till = self.till
        self._recovering = True

        def work(_progress):
            settled = settle_unfinished(till, context.refunds)
            return settled.messages, settled.needs_person

        run_in_background(
            work, on_success=lambda r: self._recovered(r, quiet), on_failure=lambda exc: self._recovery_failed(exc)
        )

    def _recovered(self, outcome: tuple[list[str], bool], quiet: bool) -> None:
        self._recovering = False
        messages, needs_person = outcome
        if self.payment_dialog is None or not self.payment_dialog.isVisible():
            # A sale this till was paying in parts when it stopped comes back to the counter, owing the rest.
            restored = self.till.restore_split_sale(self.session.catalog)
            if restored:
                self.cart_panel.refresh()
                self._cart_changed()
                messages = [*messages, restored]
        again = quiet and messages == self.last_recovery  # the timer's round said nothing new (cash still owed)
        self.last_recovery = messages
        if again and messages:
            return
        if not messages:
            if not quiet:
                self.say("No unfinished payments.")
            return
        text = "\n".join(messages)
        self.say(messages[-1], error=needs_person)
        box = QMessageBox(
            QMessageBox.Icon.Information, "Unfinished payments checked", text, QMessageBox.StandardButton.Ok, self
        )
        box.setObjectName("recoveryReport")
        box.setModal(False)
        box.show()

    def _recovery_failed(self, exc: Exception) -> None:
        self._recovering = False
        self.say(f"Could not check unfinished payments: {redact(str(exc))}", error=True)

    def resume_parked(self) -> None:
        parked = self.till.parked_sales()
        if not parked:
            self.say("There are no parked sales.")
            return
        if not self.till.cart.is_empty():
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
        problems = self.till.resume(sale_id, self.session.catalog)
        self.cart_panel.refresh()
        self._cart_changed()
        self.say(
            f"Resumed sale {sale_id}." + (" Not added: " + "; ".join(problems) if problems else ""),
            error=bool(problems),
        )

    def closeEvent(self, event) -> None:
        if self.payment_dialog is not None and self.payment_dialog.charging:
            self.say("A payment is being charged: wait for its answer before closing.", error=True)
            event.ignore()
            return
        super().closeEvent(event)
        self._closed = True
        if self.context is not None:
            self.staff_timer.stop()
            self._recovery_timer.stop()
            if self.session.shop is not None:
                self._shop_timer.stop()
            self.session.close()


def _checkout_errors(call):
    """Run a till call in the worker; a sale that could not be started is a message, not a crash."""
    try:
        return call()
    except CheckoutError as exc:
        return Failed(str(exc))
