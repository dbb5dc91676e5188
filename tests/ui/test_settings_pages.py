"""Settings for a shop owner (issue 28 item 7): pages that fit the dialog at 1024x768, one Save, a
prompt before edits are thrown away, a time-zone picker. Real widgets (offscreen), a real till folder."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from pos.services.settings import time_zone_names
from pos.settings_text import key_warning_headline


def open_settings(qtbot, window):
    window.open_settings()
    dialog = window.settings_dialog
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def prompt_of(qtbot, dialog) -> QMessageBox:
    qtbot.waitUntil(lambda: dialog.discard_prompt is not None and dialog.discard_prompt.isVisible())
    prompt = dialog.discard_prompt
    assert prompt.objectName() == "discardEditsPrompt"
    return prompt


def answer(qtbot, prompt: QMessageBox, button: QMessageBox.StandardButton) -> None:
    qtbot.mouseClick(prompt.button(button), Qt.LeftButton)


@pytest.mark.parametrize("how", ["close button", "esc", "window close"])
def test_closing_settings_with_edits_asks_first(qtbot, window, how):
    dialog = open_settings(qtbot, window)
    before = window.session.settings
    dialog.store_name.setText("Kopi Corner")

    def close() -> None:
        if how == "close button":
            qtbot.mouseClick(dialog.close_button, Qt.LeftButton)
        elif how == "esc":
            qtbot.keyClick(dialog, Qt.Key_Escape)
        else:
            dialog.close()

    close()
    prompt = prompt_of(qtbot, dialog)
    assert dialog.isVisible() and window.session.settings == before
    answer(qtbot, prompt, QMessageBox.StandardButton.Cancel)
    assert dialog.isVisible() and dialog.store_name.text() == "Kopi Corner"  # the edit is still there

    close()
    answer(qtbot, prompt_of(qtbot, dialog), QMessageBox.StandardButton.Discard)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert window.session.settings == before


def test_the_prompts_save_saves_and_closes(qtbot, window):
    dialog = open_settings(qtbot, window)
    dialog.store_name.setText("Kopi Corner")
    dialog.show_page("Printer")
    dialog.printer_kind.setCurrentIndex(dialog.printer_kind.findData("network"))
    dialog.printer_address.setText("192.168.1.50")
    dialog.close()
    answer(qtbot, prompt_of(qtbot, dialog), QMessageBox.StandardButton.Save)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    settings = window.session.settings
    assert (settings.store_name, settings.printer_address) == ("Kopi Corner", "192.168.1.50")


def test_a_save_the_rules_refuse_keeps_the_dialog_open_with_why(qtbot, window):
    dialog = open_settings(qtbot, window)
    dialog.show_page("Staff")
    dialog.discount_limit.setText("lots")
    dialog.close()
    answer(qtbot, prompt_of(qtbot, dialog), QMessageBox.StandardButton.Save)
    assert dialog.isVisible() and "not a tax rate" in dialog.settings_message.text()
    dialog.discount_limit.setText("10")  # as it was: nothing left to lose
    dialog.close()
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_closing_without_edits_or_after_saving_asks_nothing(qtbot, window):
    dialog = open_settings(qtbot, window)
    dialog.close()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert dialog.discard_prompt is None
    dialog = open_settings(qtbot, window)
    dialog.footer.setText("See you soon!")
    qtbot.mouseClick(dialog.save_settings, Qt.LeftButton)
    assert dialog.settings_message.text() == "Store settings saved."
    dialog.close()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert dialog.discard_prompt is None and window.session.settings.receipt_footer == "See you soon!"


def test_pages_fit_the_dialog_on_a_1024x768_screen_with_one_save(qtbot, window):
    dialog = open_settings(qtbot, window)
    assert dialog.frameGeometry().width() <= 1024 and dialog.frameGeometry().height() <= 768 - 40  # a taskbar
    titles = [dialog.pages.item(row).text() for row in range(dialog.pages.count())]
    assert titles == ["Store", "Receipt", "Payments", "Printer", "Reader", "Staff"]
    for row in range(dialog.pages.count()):
        dialog.pages.setCurrentRow(row)
        page = dialog.stack.currentWidget()
        assert page.objectName() == f"settingsPage{titles[row]}"
        # No scrolling: what the page asks for is no taller (nor wider) than the room it has.
        assert page.sizeHint().height() <= dialog.stack.height(), titles[row]
        assert page.minimumSizeHint().width() <= dialog.stack.width(), titles[row]
    saves = [b for b in dialog.findChildren(QPushButton) if "save" in b.text().lower()]
    assert saves == [dialog.save_settings]
    dialog.close()


def test_the_time_zone_is_picked_from_a_searchable_list(qtbot, window):
    dialog = open_settings(qtbot, window)
    picker = dialog.time_zone
    names = [picker.itemData(i) for i in range(picker.count())]
    assert names == ["", *time_zone_names()]
    assert picker.zone() == ""  # the computer's, as the setting starts
    completer = picker.completer()
    completer.setCompletionPrefix("singa")  # any part of a name, any case
    assert completer.currentCompletion() == "Asia/Singapore"
    picker.setCurrentIndex(picker.findData("Asia/Singapore"))
    qtbot.mouseClick(dialog.save_settings, Qt.LeftButton)
    assert window.session.settings.time_zone == "Asia/Singapore"
    picker.setEditText("Mars/Olympus")  # typed, not picked: refused with why, nothing saved
    qtbot.mouseClick(dialog.save_settings, Qt.LeftButton)
    assert "is not a time zone" in dialog.settings_message.text()
    assert window.session.settings.time_zone == "Asia/Singapore"
    picker.setCurrentIndex(picker.findData("Asia/Singapore"))
    dialog.close()


def test_time_zone_names_are_area_city_names():
    names = time_zone_names()
    assert "Asia/Singapore" in names and "Europe/Paris" in names and names[-1] == "UTC"
    assert not [n for n in names if n.startswith(("Etc/", "US/", "posix/", "right/")) or "/" not in n and n != "UTC"]
    assert names[:-1] == sorted(names[:-1])


def test_the_keyring_warning_is_one_line_up_front_and_whole_under_details():
    warning = (
        "No keyring is available to keep the Stripe key safely. Install one (on Debian: gnome-keyring, "
        "or KDE Wallet) and log in again; until then a key typed in is kept for this session only."
    )
    line = key_warning_headline(warning)
    assert line == (
        "No keyring is available to keep the Stripe key safely. A key typed here is kept for this session only."
    )
    assert "gnome" not in line


def test_the_receipt_page_previews_the_receipt_as_typed_before_it_is_saved(qtbot, window):
    dialog = open_settings(qtbot, window)
    dialog.show_page("Receipt")
    preview = dialog.receipt_preview
    assert preview.isVisible() and "Kopi & Co. Café" in preview.toPlainText()
    dialog.footer.setText("Come again soon")
    dialog.store_name.setText("Kopi Corner")
    text = preview.toPlainText()
    assert "Come again soon" in text and "Kopi Corner" in text and "pi_" not in text
    assert window.session.settings.store_name == "Kopi & Co. Café"  # a preview saves nothing
    dialog.footer.setText(window.session.settings.receipt_footer)
    dialog.store_name.setText(window.session.settings.store_name)
    dialog.close()
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_the_back_office_windows_fit_a_1024x768_screen_and_the_counted_cash_words_show(qtbot, window):
    window.open_reports()
    reports = window.reports_dialog
    qtbot.waitUntil(reports.isVisible)
    window.open_receipts()
    receipts = window.receipts_window
    qtbot.waitUntil(receipts.isVisible)
    for dialog in (reports, receipts, open_settings(qtbot, window)):
        assert dialog.width() <= 1024 and dialog.height() <= 768 - 40, dialog.objectName()  # a title bar
    field = reports.counted
    assert field.width() >= field.fontMetrics().horizontalAdvance(field.placeholderText()) + 8  # not clipped
    for dialog in (window.settings_dialog, receipts, reports):
        dialog.reject()


def test_the_owner_sets_a_gift_card_expiry_on_the_payments_page_never_by_default(qtbot, window):
    """Issue 24 leftover: the expiry is the owner's choice (none by default, as many jurisdictions
    require); the Payments page shows "never" until set, and saves the months as `pos settings set` does."""
    dialog = open_settings(qtbot, window)
    dialog.show_page("Payments")
    field = dialog.gift_card_expiry
    assert field.isVisible() and field.text() == "never" and window.session.settings.gift_card_expiry_months == 0
    field.setValue(24)
    assert dialog.edited
    dialog.close()
    answer(qtbot, prompt_of(qtbot, dialog), QMessageBox.StandardButton.Save)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert window.session.settings.gift_card_expiry_months == 24
