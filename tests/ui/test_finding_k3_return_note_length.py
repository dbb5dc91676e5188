"""Hostile tester k3 (issue 27, tenth session): a return's note, "at most 200 characters at every
door" (72aab5e), was held at the window by QLineEdit.setMaxLength, which counts UTF-16 code units, not
characters. A note in a script outside the Basic Multilingual Plane (CJK Extension B, as in a
customer's or a product's name; emoji) was cut at 100 characters with no word, where `pos returns
take` and the service take 200: the same note was kept cut at the window and whole at the CLI. And
a pasted note longer than the rule was cut silently (the slip named something else than was typed),
where the CLI refuses it in the cashier's words. Now the window asks the service's rule, as the CLI
does, and says its words. Real widgets (offscreen), real SQLite, the sandbox; nothing mocked."""

from __future__ import annotations

from PySide6.QtCore import Qt

from pos.services.returns import NOTE_MOST

from .conftest import wait_idle
from .test_staff import ANN, BOB, approve, data_dir, db_rows, sign_in  # noqa: F401 - data_dir: with Ann and Bob

ASTRAL = "\U00020bb7"  # 𠮷: one character, two UTF-16 code units


def _return_dialog(qtbot, window):
    sign_in(qtbot, window, *BOB)
    window.open_receipts()
    receipts = window.receipts_window
    wait_idle(qtbot)
    qtbot.mouseClick(receipts.return_button, Qt.LeftButton)
    approve(qtbot, receipts, *ANN)
    dialog = receipts.return_dialog
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def _submit(qtbot, dialog, note: str) -> None:
    dialog.note.setText(note)
    dialog.amount.setText("4.50")
    dialog.in_cash.click()
    qtbot.mouseClick(dialog.confirm, Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=20000)


def test_finding_a_pasted_note_over_the_rule_is_refused_in_the_clis_words_not_cut(qtbot, window):
    dialog = _return_dialog(qtbot, window)
    _submit(qtbot, dialog, "M" * (NOTE_MOST + 1))
    assert dialog.message.text() == f"Say what the customer brought back in at most {NOTE_MOST} characters."
    assert db_rows(window, "SELECT count(*) FROM unverified_returns") == [(0,)]
    dialog.close()
    wait_idle(qtbot)


def test_finding_a_note_of_characters_outside_the_bmp_is_kept_whole_as_the_cli_keeps_it(qtbot, window):
    dialog = _return_dialog(qtbot, window)
    note = ASTRAL * 150  # 150 characters, 300 UTF-16 code units: within the rule
    _submit(qtbot, dialog, note)
    assert dialog.message.text().startswith("Took it back:"), dialog.message.text()
    assert db_rows(window, "SELECT note FROM unverified_returns") == [(note,)]
    dialog.close()
    wait_idle(qtbot)
