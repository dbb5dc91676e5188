"""The back office (issue 28 item 7) measured as the sale screen is (tests/helpers/ui_audit.py): every
Settings page, About this till, Receipts and End of day, on a 1024x768 till, in English and with
every text ~40 % longer: no clipped text, every control at least 44 px, every control named for a
screen reader. Real widgets (offscreen), a real till folder and the sandbox."""

from __future__ import annotations

import pytest

from tests.helpers.ui_audit import audit, lengthen, report, show_at


@pytest.mark.parametrize("longer", [False, True], ids=["english", "pseudo-locale"])
def test_settings_about_receipts_and_end_of_day_pass_the_audit(qtbot, window, longer):
    show_at(window, (1024, 768))

    def checked(dialog, name: str) -> None:
        qtbot.waitUntil(dialog.isVisible)
        if longer:
            lengthen(dialog)
        qtbot.wait(10)
        findings = audit(dialog)
        assert not findings, f"{name}:\n{report(findings)}"

    window.open_settings()
    settings = window.settings_dialog
    for title in settings.PAGES:
        settings.show_page(title)
        checked(settings, f"Settings → {title}")
    settings.reject()
    assert not settings.isVisible()  # nothing was edited: it closes without asking
    window.open_about()
    checked(window.about_dialog, "About this till")
    window.about_dialog.reject()
    window.open_receipts()
    checked(window.receipts_window, "Receipts")
    window.receipts_window.reject()
    window.open_reports()
    window.reports_dialog.show_x()
    checked(window.reports_dialog, "End of day")
    window.reports_dialog.reject()
