"""What the main window's parts (staff_desk, back_office_menus, drawer_desk, background_rounds) use
of the window they are mixed into: for the type checker only; at run time MainWindow is all of it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QDialog, QLabel, QMainWindow, QPushButton

    from pos.services.counter import Counter
    from pos.services.sale_words import SaleWords
    from pos.services.session import Session
    from pos.services.staff import Grant
    from pos.services.till import Till

    from .cart_panel import CartPanel
    from .payment_dialog import PaymentDialog
    from .product_panel import ProductPanel

    class WindowParts(QMainWindow):
        context: Session | None
        counter: Counter
        till: Till
        products: ProductPanel
        cart_panel: CartPanel
        payment_dialog: PaymentDialog | None
        sign_in_dialog: QDialog | None
        approval_dialog: QDialog | None
        idle_timer: QTimer
        idle_interval_ms: int | None
        _granted: list[tuple[QDialog, Grant]]
        cashier_label: QLabel
        sign_out_button: QPushButton
        open_drawer_button: QPushButton
        sale_words: SaleWords
        demo_banner: QLabel
        mode_label: QLabel
        endpoint_label: QLabel
        shop_label: QLabel
        shop_interval_ms: int | None
        _shop_timer: QTimer
        _storage_timer: QTimer
        _checking_storage: bool
        _selling_actions: list[QAction]
        last_recovery: list[str]
        audit_warning: str | None
        _syncing: bool
        _recovering: bool
        _closed: bool

        @property
        def session(self) -> Session: ...
        def say(self, text: str, error: bool = False) -> None: ...
        def apply_settings(self) -> None: ...
        def warm_printer(self) -> None: ...
        def keep_granted(self, dialog: QDialog, approved_by: str = "") -> None: ...
        def with_approval(self, permission, what: str, then) -> None: ...
        def _restart_idle(self) -> None: ...
        def pay(self) -> None: ...
        def resume_parked(self) -> None: ...
        def run_recovery(self, quiet: bool) -> None: ...
        def open_drawer_no_sale(self) -> None: ...
        def open_cash_movements(self) -> None: ...

else:

    class WindowParts:
        """Nothing at run time: MainWindow (a QMainWindow) provides every name above."""
