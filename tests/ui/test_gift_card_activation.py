"""A gift card sold while the shop database that holds the shop's cards is away (issue 24, a known
gap): the sale is paid, the card waits for its ledger, and the window says so with the receipt
(`Till.activation_messages` were kept and never shown, so the cashier handed over a code that
could not be spent yet without a word). Real widgets offscreen, a real SQLite shop database made
unreachable (its folder is not there: a file share that is down), the sandbox for Stripe."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton

from pos.app import create_main_window
from pos.domain.giftcards import parse_code

from .conftest import wait_idle
from .test_tenders import tender_cash
from .test_till import open_payment


def test_a_gift_card_waiting_for_the_shop_is_said_with_the_receipt(qtbot, data_dir, tmp_path, sandbox, api_key):
    away = tmp_path / "share-not-mounted" / "shop.sqlite3"  # a joined till whose shop cannot be reached
    window = create_main_window(data_dir, stripe_base_url=sandbox.url, api_key=api_key, shop_db=f"sqlite:///{away}")
    window.show()
    qtbot.waitExposed(window)
    wait_idle(qtbot)
    try:
        window.findChild(QLineEdit, "giftCardAmountField").setText("20.00")
        qtbot.mouseClick(window.findChild(QPushButton, "sellGiftCardButton"), Qt.LeftButton)
        (line,) = window.till.cart.lines
        code = parse_code(line.product.name.split()[-1])
        dialog = open_payment(qtbot, window)
        tender_cash(qtbot, dialog, "20")
        qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=20000)
        dialog.new_sale_button.click()
        wait_idle(qtbot)
        said = window.status_message.text()
        assert said.startswith("Paid $20.00 — receipt") and "is not active yet" in said, said
        assert said.endswith("The till activates it by itself at a later sale or start; it cannot be spent until then.")
        assert code[-4:] in said.replace("-", ""), said
    finally:
        wait_idle(qtbot)
        window.close()
        window.deleteLater()
