"""The full check of the till's file in the background (issue 27 item 2): a start after a clean close
no longer reads the whole file, so a page that went bad while the till was off is found by the
window's background check, on a worker, and said to the cashier in plain words."""

from __future__ import annotations

from pos.app import create_main_window
from pos.ui import workers
from tests.services.test_open_in_constant_time import corrupt_a_table

from .conftest import wait_idle


def test_a_damaged_page_found_in_the_background_is_shown_to_the_cashier(qtbot, data_dir, sandbox, api_key):
    corrupt_a_table(data_dir)  # while the till is off; it was closed cleanly
    win = create_main_window(data_dir, stripe_base_url=sandbox.url, api_key=api_key)
    try:
        win.show()
        qtbot.waitExposed(win)
        wait_idle(qtbot)
        # The start did not read the whole file: the till opened and is selling.
        assert win.pay_button.isEnabled() or win.cart_panel.isEnabled()
        assert "damaged" not in win.status_message.text()
        assert win._storage_timer.isActive()  # the check is scheduled, not run on the UI thread at start
        win._storage_timer.start(0)  # its time has come
        qtbot.waitUntil(lambda: "damaged" in win.status_message.text(), timeout=20000)
        assert "restore the last backup" in win.status_message.text()
        box = win.findChild(object, "storageWarning")
        assert box is not None and box.isVisible() and "damaged" in box.text()
        assert win._storage_timer.isActive()  # and the next one is scheduled
    finally:
        qtbot.waitUntil(lambda: workers.busy_count() == 0, timeout=15000)
        win.close()
        win.deleteLater()


def test_a_sound_file_is_said_sound(qtbot, window):
    window._storage_timer.start(0)
    qtbot.waitUntil(lambda: "checked in full: it is sound" in window.status_message.text(), timeout=20000)
    assert window.findChild(object, "storageWarning") is None


def test_a_check_that_could_not_run_is_tried_again_in_minutes(qtbot, window, data_dir, tmp_path):
    """The check failed to run (the folder moved away for a moment; a busy or locked file fails it the
    same way): the window logs it and schedules the next try RETRY_S on, not a day on."""
    from pos.services.storage_watch import EVERY_S, RETRY_S

    away = tmp_path / "away"
    data_dir.rename(away)
    try:
        window._storage_timer.start(0)
        qtbot.waitUntil(lambda: window._storage_timer.interval() != 0, timeout=20000)  # failed() rescheduled it
        assert window._storage_timer.isActive()
        assert 0 < window._storage_timer.interval() <= RETRY_S * 1000 < EVERY_S * 1000
        assert "damaged" not in window.status_message.text()  # nothing was found either way
    finally:
        qtbot.waitUntil(lambda: workers.busy_count() == 0, timeout=15000)
        away.rename(data_dir)
