"""Ring up a demo sale offscreen and save screenshots of the till for the README.

QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot.py docs/images [--theme dark]

--theme light (the default), dark, high-contrast or system themes every screen (pos/ui/theme.py);
a theme other than light adds its name to each file (till-dark.png), beside the light ones.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("POS_STRIPE_API_KEY", None)

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from pos.app import create_main_window  # noqa: E402
from pos.domain.appearance import Theme  # noqa: E402
from pos.services.settings import CustomerDisplayMode  # noqa: E402
from pos.ui import theme as themes  # noqa: E402
from pos.ui import workers  # noqa: E402
from pos.ui.view_menu import choose_theme  # noqa: E402


def settle(app, ms=50):
    for _ in range(400):
        QTest.qWait(ms // 5 or 1)
        if workers.busy_count() == 0:
            break
    QTest.qWait(ms)


def tap(window, *names: str) -> None:
    """Click the product buttons with these names, as a cashier taps them."""
    for name in names:
        window.products.tile_for(name).click()


def main(out: Path, theme: Theme = Theme.LIGHT) -> int:
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication([])
    themes.install(app)
    suffix = "" if theme is Theme.LIGHT else f"-{theme.value}"

    def save(widget, name: str) -> None:
        widget.grab().save(str(out / f"{name}{suffix}.png"))

    window = create_main_window(Path(tempfile.mkdtemp()) / "till")
    choose_theme(window, theme)  # as the owner picks it in the View menu: kept as the till's setting
    window.show()
    settle(app)
    window.customer_display.place(CustomerDisplayMode.ON)  # the customer display, as View turns it on
    window.customer_display.resize(800, 600)
    tabs = window.products.tabs
    tabs.setCurrentIndex([tabs.tabText(i) for i in range(tabs.count())].index("Coffee"))
    QTest.qWait(50)
    tap(window, "Flat White", "Café Latte", "Flat White")
    window.products.search.setText("8881230000174")  # Butter Croissant, as a scanner types it
    QTest.keyClick(window.products.search, Qt.Key_Return)
    settle(app)
    save(window, "till")
    for width, height in ((1024, 768), (1920, 1080)):  # the grid fits each (issue 28)
        window.resize(width, height)
        settle(app)
        save(window, f"till-{width}x{height}")
    save(window.customer_display, "customer-display")
    window.pay()
    dialog = window.payment_dialog
    settle(app)
    save(dialog, "payment")
    dialog.show_page(dialog.card_page)  # a test card from the test tools (demo mode), declined
    dialog.test_tools.set_expanded(True)
    dialog.methods.setCurrentRow(4)  # insufficient funds
    dialog.charge()
    settle(app)
    save(dialog, "declined")
    dialog.methods.setCurrentRow(0)
    dialog.charge()
    settle(app)
    save(dialog, "receipt")
    dialog.new_sale_button.click()
    settle(app)
    window.open_receipts()
    receipts = window.receipts_window
    settle(app)
    receipts.open_refund()
    refund = receipts.refund_dialog
    refund.set_line_quantity(1, 1)
    refund.submit()
    settle(app)
    refund.accept()
    settle(app)
    save(receipts, "receipts")
    receipts.accept()
    # Cash with change, then a bill split between cash and a card.
    tap(window, "Flat White", "Café Latte")
    window.pay()
    dialog = window.payment_dialog
    settle(app)
    dialog.cash_tender.click()
    dialog.cash_field.setText("20")
    settle(app)
    save(dialog, "cash")
    dialog.take_cash()
    settle(app)
    save(dialog, "cash-receipt")
    save(window.customer_display, "customer-display-change")
    dialog.new_sale_button.click()
    settle(app)
    tap(window, "Flat White", "Flat White", "Café Latte")
    window.pay()
    dialog = window.payment_dialog
    settle(app)
    dialog.split_tender.click()
    dialog.split_page.amount.setText("5")
    dialog.split_page.cash.click()
    settle(app)
    dialog.card_tender.click()  # the rest goes to the demo's reader
    for _ in range(500):
        QTest.qWait(10)
        if dialog.simulate_button.isEnabled():
            break
    save(dialog, "split")
    dialog.card_page.simulate()
    settle(app)
    dialog.new_sale_button.click()
    settle(app)
    # On the card reader (the demo's simulated reader): waiting for the customer, then a tap with a tip.
    window.session.readers.set_tipping(True)
    tap(window, "Café Latte", "Flat White")
    settle(app)
    window.pay()
    dialog = window.payment_dialog
    settle(app)
    dialog.card_tender.click()  # Card sends the amount to the reader
    dialog.test_tools.set_expanded(True)
    for _ in range(500):
        QTest.qWait(10)
        if "tap" in dialog.reader_status.text():
            break
    dialog.simulate_tip.setText("1")
    QTest.qWait(50)
    save(dialog, "reader")
    dialog.card_page.simulate()
    settle(app)
    save(dialog, "reader-receipt")
    dialog.new_sale_button.click()
    settle(app)
    window.open_settings("Reader")
    settle(app)
    dialog = window.settings_dialog
    QTest.qWait(50)
    save(dialog, "reader-settings")
    dialog.show_page("Store")
    QTest.qWait(50)
    save(dialog, "settings")
    dialog.show_page("Payments")
    QTest.qWait(50)
    save(dialog, "settings-payments")
    dialog.show_page("Receipt")
    QTest.qWait(50)
    save(dialog, "settings-receipt")
    window.settings_dialog.close()
    window.open_about()
    QTest.qWait(50)
    save(window.about_dialog, "about")
    window.about_dialog.reject()
    window.open_reports()
    window.reports_dialog.show_x()
    settle(app)
    save(window.reports_dialog, "report")
    window.reports_dialog.accept()
    # With cashiers: the sign-in screen, and a manager's approval for a cashier's report.
    staff = window.session.staff
    staff.add("Ann", "manager", "2468")
    staff.add("Bob", "cashier", "1357")
    window.require_sign_in()
    settle(app)
    save(window.sign_in_dialog, "sign-in")
    window.sign_in_dialog.cashiers.setCurrentRow(1)
    window.sign_in_dialog.pin.setText("1357")
    window.sign_in_dialog.sign_in()
    settle(app)
    window.open_reports()
    settle(app)
    window.approval_dialog.pin.setText("0000")
    window.approval_dialog.approve()
    settle(app)
    save(window.approval_dialog, "approval")
    window.approval_dialog.reject()
    window.close()
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Screenshots of the till for the README.")
    parser.add_argument("out", nargs="?", default="docs", type=Path, help="the folder the pictures go to")
    parser.add_argument("--theme", default=Theme.LIGHT.value, choices=[t.value for t in Theme])
    args = parser.parse_args()
    sys.exit(main(args.out, Theme(args.theme)))
