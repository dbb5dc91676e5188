"""The cart's summary on screen (issue 28 item 7), as domain/cart_summary.py words it: with prices that
include tax, the total and "includes tax"; with tax added, Subtotal / Tax / Total, the lines adding up
to the subtotal. Real widgets (offscreen), a real till folder."""

from __future__ import annotations

from PySide6.QtCore import Qt

from pos.domain.money import Money


def listed_sum(panel, currency: str) -> Money:
    total = Money(0, currency)
    for row in range(panel.table.rowCount()):
        total += Money.parse(panel.table.item(row, 3).text().replace("$", ""), currency)
    return total


def test_prices_with_tax_show_the_total_and_includes_tax(qtbot, window):
    panel = window.cart_panel
    for product in window.context.catalog.all()[:3]:
        panel.add(product)
    totals = window.till.cart.totals()
    assert totals.tax.minor > 0 and window.till.cart.tax_inclusive
    assert not panel.subtotal_label.isVisible() and not panel.tax_label.isVisible()  # no "Tax (included)" row
    assert panel.total_label.text() == totals.total.format("en_SG")
    assert panel.includes_tax_label.isVisible()
    assert panel.includes_tax_label.text() == f"includes tax {totals.tax.format('en_SG')}"
    assert listed_sum(panel, "SGD") == totals.total  # the lines add up to the total shown


def test_tax_added_shows_subtotal_tax_and_total(qtbot, window):
    window.open_settings()
    dialog = window.settings_dialog
    qtbot.waitUntil(dialog.isVisible)
    dialog.inclusive.setChecked(False)
    qtbot.mouseClick(dialog.save_settings, Qt.LeftButton)
    assert dialog.settings_message.text() == "Store settings saved."
    dialog.close()
    panel = window.cart_panel
    for product in window.context.catalog.all()[:3]:
        panel.add(product)
    totals = window.till.cart.totals()
    assert not window.till.cart.tax_inclusive
    assert panel.subtotal_label.isVisible() and panel.tax_label.isVisible()
    assert not panel.includes_tax_label.isVisible()
    assert panel.subtotal_label.text() == totals.subtotal.format("en_SG")
    assert panel.tax_label.text() == totals.tax.format("en_SG")
    assert listed_sum(panel, "SGD") == totals.subtotal  # the lines add up to the subtotal, tax on top
