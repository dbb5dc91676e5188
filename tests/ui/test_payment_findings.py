"""Hostile tests of the payment dialog's keyboard leftovers (issue 27 ninth session, g2): the doors
the empty-Enter fix (a try clears a decline's header) left open."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from .conftest import wait_idle
from .test_payment_screen import after_a_decline


@pytest.mark.parametrize(("page", "typed"), [("cash", "0"), ("cash", "0.00"), ("cash", "-1"), ("split", "0")])
def test_finding_an_amount_that_is_no_cash_leaves_a_decline_in_the_header(qtbot, window, monkeypatch, page, typed):
    """Enter with nothing typed was made no try (the decline stays); 0, 0.00 or -1 typed in the cash
    field, or a split part of 0, was still a try the domain refuses, and its refusal cleared the
    decline's header: the cashier lost what the card said. The domain's own rule (domain/cash.take_cash)
    is asked before anything is taken, and its words go on the message line."""
    dialog, declined = after_a_decline(qtbot, window, monkeypatch)
    dialog.show_page(dialog.cash_page if page == "cash" else dialog.split_page)
    field = dialog.cash_field if page == "cash" else dialog.split_page.amount
    field.setText(typed)
    qtbot.keyClick(field, Qt.Key_Return)
    assert not dialog.charging  # no try started
    assert dialog.banner.isVisible() and dialog.banner.text() == declined
    assert dialog.message.text() == "Type the cash the customer handed over."
    field.setText("20")
    qtbot.keyClick(field, Qt.Key_Return)  # the cash typed next is taken
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=20000)
    qtbot.keyClick(dialog, Qt.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    wait_idle(qtbot)
