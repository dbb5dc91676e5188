"""The main window's menus and back office: the Sale and Back office menus, the key bar and mode
line, and the dialogs opened from them (each on someone's rights, some with a manager's approval)."""

from __future__ import annotations


from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from pos.domain.staff import Permission

from .widgets import named, shortcut_action
from .window_parts import WindowParts


class BackOfficeMenus(WindowParts):
    """Mixed into MainWindow (pos/ui/main_window.py), which builds the labels and panels named here."""

    def _build_menus(self) -> None:
        # The menus are built when the till is attached, after the frame's first paint: what they
        # need loads then (issue 27 item 3; tests/ui/test_first_paint_imports.py).
        from PySide6.QtGui import QAction, QKeySequence

        from . import keyboard
        from .view_menu import build_view_menu

        sale_menu = self.menuBar().addMenu("&Sale")
        pay = shortcut_action("&Pay", self, keyboard.PAY.sequence())
        pay.triggered.connect(self.pay)
        resume = QAction("&Resume a parked sale…", self)
        resume.triggered.connect(self.resume_parked)
        recover_now = QAction("&Check unfinished payments now", self)
        recover_now.triggered.connect(lambda: self.run_recovery(quiet=False))
        focus_search = shortcut_action("&Search products", self, keyboard.SEARCH.sequence())
        focus_search.triggered.connect(self.products.search.setFocus)
        new_sale = shortcut_action("&New sale (clear the cart)…", self, keyboard.NEW_SALE.sequence())
        new_sale.triggered.connect(self.cart_panel.ask_clear)
        go_to_cart = shortcut_action("The cart's &lines", self, keyboard.GO_TO_CART.sequence())
        go_to_cart.triggered.connect(self.cart_panel.focus_lines)
        open_drawer = QAction("&Open the cash drawer", self)
        open_drawer.triggered.connect(self.open_drawer_no_sale)
        cash_moves = QAction("Cash &in or out of the drawer…", self)
        cash_moves.triggered.connect(self.open_cash_movements)
        for action in (pay, new_sale, resume, recover_now, focus_search, go_to_cart, open_drawer, cash_moves):
            sale_menu.addAction(action)
        self._selling_actions = [pay, new_sale, resume, recover_now, open_drawer, cash_moves]
        for action in (pay, new_sale, focus_search, go_to_cart):
            self.addAction(action)
        back_office = self.menuBar().addMenu("&Back office")
        for title, shortcut, slot in (
            ("&Receipts…", "Ctrl+R", self.open_receipts),
            ("&End of day (X / Z report)…", "Ctrl+E", self.open_reports),
            ("&Catalog…", "Ctrl+K", self.open_catalog),
            ("&Stock…", "Ctrl+Shift+K", self.open_stock),
        ):
            action = shortcut_action(title, self, QKeySequence(shortcut))
            action.triggered.connect(slot)
            back_office.addAction(action)
            self.addAction(action)
        settings = shortcut_action("Se&ttings…", self, QKeySequence("Ctrl+,"))
        settings.triggered.connect(lambda: self.open_settings())
        sale_menu.addSeparator()
        sale_menu.addAction(settings)
        self.addAction(settings)
        self._selling_actions.append(settings)
        quit_action = shortcut_action("&Quit", self, QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        sale_menu.addSeparator()
        sale_menu.addAction(quit_action)
        build_view_menu(self)
        keyboard.add_shortcuts_sheet(self)
        about = QAction("&About this till", self)  # Help comes last on the menu bar
        about.triggered.connect(self.open_about)
        self._help_menu().addAction(about)

    # -- mode and settings ------------------------------------------------------------
    def _key_unavailable_bar(self) -> QWidget:
        from PySide6.QtWidgets import QHBoxLayout  # built on attach, after the first paint

        """Shown when the till has a key but the keyring cannot give it: why, and the two ways on."""
        self.key_bar = named(QWidget(), "keyUnavailableBar")
        row = QHBoxLayout(self.key_bar)
        row.setContentsMargins(0, 0, 0, 0)
        self.key_bar_text = named(QLabel(""), "keyUnavailableText")
        self.key_bar_text.setWordWrap(True)
        retry = named(QPushButton("Try the keyring again"), "retryKeyringButton")
        retry.clicked.connect(self.retry_keyring)
        session = named(QPushButton("Enter the key for this session…"), "sessionKeyButton")
        session.clicked.connect(lambda: self.open_settings("Payments"))
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
        from pos.services.about import card_mode

        # A key change builds new sales services around the same cart (and the same counter): follow them.
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
        # Plain words; Stripe's address and API version are under Help → About this till.
        self.endpoint_label.setText(card_mode(state, read_only=self.session.read_only is not None))
        self.setWindowTitle(f"{self.session.settings.store_name} — Till {self.session.till_id}")

    def open_settings(self, page: str = "Store") -> None:

        from .settings_dialog import SettingsDialog

        def show(by: str) -> None:
            self.settings_dialog = SettingsDialog(self)
            self.settings_dialog.show_page(page)
            self.keep_granted(self.settings_dialog, by)
            self.settings_dialog.open()

        self.with_approval(Permission.SETTINGS, "the settings", show)

    def _help_menu(self):
        """The Help menu, made once whichever part of the window asks for it first."""
        for action in self.menuBar().actions():
            if action.menu() is not None and action.text().replace("&", "") == "Help":
                return action.menu()
        return self.menuBar().addMenu("&Help")

    def open_about(self) -> None:
        from .about_dialog import AboutDialog

        self.about_dialog = AboutDialog(self.session, self)
        self.about_dialog.open()

    def open_receipts(self) -> None:
        from .receipts_window import ReceiptsWindow

        self.receipts_window = ReceiptsWindow(self.session, self)
        self.receipts_window.exchanged.connect(self._exchanged)
        self.keep_granted(self.receipts_window)
        self.receipts_window.open()

    def _exchanged(self, result) -> None:
        """An exchange went through the counter (services/exchanges.py): a sale the credit paid in full
        is done (its receipt printed on the counter's Paid event), else the cashier presses Pay for the rest."""
        from pos.services.outcomes import Paid

        if isinstance(result.paid, Paid):
            self.counter.new_sale()
            self.refresh_mode()
        self.say(result.message, error=not result.ok)

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

    def open_stock(self) -> None:
        from .stock_window import StockWindow

        def show(by: str) -> None:
            self.stock_window = StockWindow(self.session, self.with_approval, self)
            self.keep_granted(self.stock_window, by)
            self.stock_window.open()

        # Opening it receives deliveries (a catalog right); applying a count asks its own approval.
        self.with_approval(Permission.CATALOG, "stock", show)

    def apply_settings(self) -> None:
        """Saved store settings: the next empty cart takes the currency and tax mode; the title the till id."""
        self.counter.apply_store_terms()  # the cart redraws on the counter's CartChanged
        self.refresh_mode()
        self._restart_idle()  # the idle lock's minutes may have changed
        self.warm_printer()  # a printer set up now: its library loads on a worker, not at the first receipt
