"""A scan adds its line without redrawing the cart's other lines (issue 27 item 5): the table's
cells that did not change are the same cells after the scan, so a scan's cost does not grow with
the cart (bench/catalog.py times it)."""

from __future__ import annotations


def test_a_scan_keeps_the_cells_of_the_lines_already_in_the_cart(qtbot, window):
    panel, table = window.products, window.cart_panel.table
    codes = [p.barcode for p in window.context.catalog.search("a", limit=10) if p.barcode][:4]
    for code in codes[:3]:
        panel.search.setText(code)
        panel.search.returnPressed.emit()  # the scanner's Enter
    assert table.rowCount() == 3
    before = [[table.item(row, col) for col in range(table.columnCount())] for row in range(3)]
    texts = [[table.item(row, col).text() for col in range(table.columnCount())] for row in range(3)]
    panel.search.setText(codes[3])
    panel.search.returnPressed.emit()
    assert table.rowCount() == 4
    assert [[table.item(row, col).text() for col in range(table.columnCount())] for row in range(3)] == texts
    # The same objects (held above, so a new cell cannot reuse an old one's identity).
    assert all(table.item(row, col) is item for row, cells in enumerate(before) for col, item in enumerate(cells))
