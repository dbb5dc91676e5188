"""Help → About this till (issue 28 item 7): the technical facts live there, and the status bar says
how cards are taken in plain words instead of "Stripe: http://127.0.0.1:…". Real widgets, real sandbox."""

from __future__ import annotations

import platform

import stripe
from PySide6.QtCore import qVersion


def help_action(window, text: str):
    for action in window.menuBar().actions():
        if action.menu() is not None and action.text().replace("&", "") == "Help":
            found = [a for a in action.menu().actions() if a.text().replace("&", "") == text]
            if found:
                return found[0]
    raise AssertionError(f"no Help → {text}")


def test_the_status_bar_says_card_test_mode_not_stripes_address(window, sandbox):
    assert window.endpoint_label.text() == "Card: test mode"
    assert sandbox.url not in window.statusBar().findChild(type(window.endpoint_label), "endpointLabel").text()


def test_about_this_till_shows_versions_the_data_folder_and_stripe(qtbot, window, sandbox, data_dir, api_key):
    menus = [a.text().replace("&", "") for a in window.menuBar().actions() if a.menu() is not None]
    assert menus[-1] == "Help"
    help_action(window, "About this till").trigger()
    dialog = window.about_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.objectName() == "aboutDialog"
    shown = {label: widget.text() for label, widget in dialog.values.items()}
    assert shown["Python"] == platform.python_version()
    assert shown["Qt"].startswith(qVersion())
    assert shown["stripe package"] == stripe.VERSION
    assert shown["Stripe API version"] == str(stripe.api_version)
    assert shown["Stripe address"] == sandbox.url
    assert shown["Data folder"] == str(data_dir)
    assert shown["Stripe key"].startswith("Test key sk_test_…")
    assert api_key not in dialog.text()  # the key itself is never shown
    dialog.copy()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == dialog.text()
    dialog.reject()
