"""A second window on a data folder another till sells from; a data folder the till cannot use."""

from __future__ import annotations

import os

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMessageBox

from pos.domain.money import Money
from pos.services.refunds import RefundFailed
from pos.launch import open_context
from pos.ui.main_window import MainWindow

from .conftest import wait_idle
from .test_till import charge, open_payment, ring_up_three


def test_a_second_window_asks_and_opens_read_only(qtbot, window, data_dir, sandbox, api_key, tmp_path):
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    charge(qtbot, dialog, "pm_card_visa")
    dialog.accept()
    wait_idle(qtbot)
    second = MainWindow()
    qtbot.addWidget(second)
    second.show()

    def choose_read_only():
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox) and box.objectName() == "folderInUse"
        assert f"process {os.getpid()}" in box.text()
        next(b for b in box.buttons() if b.text() == "Open read-only").click()

    QTimer.singleShot(50, choose_read_only)
    shown = []
    context = open_context(data_dir, sandbox.url, None, second.ask_read_only, shown.append)
    assert context is not None and context.read_only and not shown
    second.attach(context)
    qtbot.waitUntil(second.demo_banner.isVisible)
    assert "READ-ONLY" in second.demo_banner.text()
    assert f"process {os.getpid()}" in second.demo_banner.text()
    assert not second.pay_button.isEnabled() and second.mode_label.text() == "READ-ONLY"
    second.grab().save(str(tmp_path / "read-only.png"))
    # The customer display shows in this window only: the read-only window keeps no setting.
    second.findChild(QAction, "customerDisplayAction").trigger()
    assert second.customer_display.isVisible() and context.settings.customer_display == "auto"
    # The back office opens to look, with nothing that writes.
    second.open_reports()
    assert not second.reports_dialog.z_button.isEnabled() and second.reports_dialog.x_button.isEnabled()
    second.reports_dialog.reject()
    second.open_catalog()
    assert not second.catalog_dialog.save_button.isEnabled() and not second.catalog_dialog.import_button.isEnabled()
    second.catalog_dialog.reject()
    second.open_receipts()
    qtbot.waitUntil(lambda: second.receipts_window.current_id is not None)
    assert second.receipts_window.reprint_button.isEnabled() and not second.receipts_window.refund_button.isEnabled()
    second.receipts_window.reject()
    # Records can be read; nothing can be written, even through a path the window left open.
    receipt_id = context.receipts.receipt_id_for(1, context.settings.till_id)
    assert receipt_id is not None
    refused = context.refunds.refund(receipt_id, amount=Money(100, "SGD"))
    assert isinstance(refused, RefundFailed) and "read-only" in refused.message
    second.close()
    # The selling window is unaffected.
    assert window.context.read_only is None and window._recovery_timer.isActive()


def test_a_second_window_can_quit_instead(qtbot, window, data_dir, sandbox):
    asked = []
    assert (
        open_context(data_dir, sandbox.url, None, lambda holder: asked.append(holder) or False, lambda _m: None) is None
    )
    assert asked and "process" in asked[0]


def test_a_data_folder_that_cannot_be_used_is_shown_not_loading_forever(qtbot, tmp_path, sandbox):
    (tmp_path / "data").write_text("a file where the folder should be")
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    context = open_context(tmp_path / "data", sandbox.url, None, lambda _h: True, window.show_startup_error)
    assert context is None
    assert "The till cannot start" in window.loading.text() and "is a file, not a folder" in window.loading.text()
    assert window.mode_label.text() == "NOT SELLING"
    window.grab().save(str(tmp_path / "startup-error.png"))


def test_a_database_path_that_is_a_folder_is_said_in_the_owners_words_on_the_window(qtbot, tmp_path, sandbox):
    """Hostile k2, left over: the window said "Something unexpected stopped the till
    (IsADirectoryError)" where the commands said "Is a directory: …"; now both say what it is."""
    (tmp_path / "data" / "pos.sqlite3").mkdir(parents=True)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    assert open_context(tmp_path / "data", sandbox.url, None, lambda _h: True, window.show_startup_error) is None
    said = window.loading.text()
    assert f"{tmp_path / 'data' / 'pos.sqlite3'} is a folder, not a file" in said and "unexpected" not in said
    assert window.mode_label.text() == "NOT SELLING"


def test_the_window_opens_its_data_off_the_ui_thread(qtbot, window, data_dir, sandbox, tmp_path):
    from pos.launch import start_context

    # A held folder: the question comes back to the UI thread, then the read-only context.
    second = MainWindow()
    qtbot.addWidget(second)
    second.ask_read_only = lambda holder: "process" in holder
    start_context(second, data_dir, sandbox.url, None)
    assert second.loading.text() == "Checking the till's data…"  # the window is free meanwhile
    qtbot.waitUntil(lambda: second.context is not None, timeout=15000)
    assert second.context.read_only
    second.close()
    # A folder that cannot be used: the reason replaces "Checking…".
    (tmp_path / "not-a-folder").write_text("x")
    third = MainWindow()
    qtbot.addWidget(third)
    start_context(third, tmp_path / "not-a-folder", sandbox.url, None)
    qtbot.waitUntil(lambda: "cannot start" in third.loading.text(), timeout=15000)
    assert "is a file, not a folder" in third.loading.text()
