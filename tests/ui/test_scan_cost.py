"""A scan costs the same in a full cart and on a big catalog (issue 27 item 5): it draws its own line
and not the cart's other lines (the cells of the lines already there are the same cells, and no
other row is even looked at), and it reads the till's database twice, the product by its code and
its stock settings (what adding it asks), where it read the stock settings twice. Counted, not
timed: bench/catalog.py times it."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QListWidget, QPushButton, QWidget
from sqlalchemy import event
from sqlalchemy.engine import Engine

ESPRESSO = "8881230000013"


@pytest.fixture
def codes(window):
    return [p.barcode for p in window.context.catalog.search("a", limit=10) if p.barcode][:4]


def scan(panel, code: str) -> None:
    panel.search.setText(code)
    panel.search.returnPressed.emit()  # the scanner's Enter


def test_a_scan_keeps_the_cells_of_the_lines_already_in_the_cart(qtbot, window, codes):
    panel, table = window.products, window.cart_panel.table
    for code in codes[:3]:
        scan(panel, code)
    assert table.rowCount() == 3
    before = [[table.item(row, col) for col in range(table.columnCount())] for row in range(3)]
    texts = [[table.item(row, col).text() for col in range(table.columnCount())] for row in range(3)]
    scan(panel, codes[3])
    assert table.rowCount() == 4
    assert [[table.item(row, col).text() for col in range(table.columnCount())] for row in range(3)] == texts
    # The same objects (held above, so a new cell cannot reuse an old one's identity).
    assert all(table.item(row, col) is item for row, cells in enumerate(before) for col, item in enumerate(cells))


def test_a_scan_draws_only_its_own_line(qtbot, window, codes, monkeypatch):
    panel, table = window.products, window.cart_panel.table
    for code in codes[:3]:
        scan(panel, code)
    looked_at: list[int] = []
    cell = table.item
    monkeypatch.setattr(table, "item", lambda row, col: looked_at.append(row) or cell(row, col))
    scan(panel, codes[3])  # a new line, the fourth
    assert table.rowCount() == 4 and set(looked_at) == {3}  # its cells only (were every row's, twice)
    looked_at.clear()
    scan(panel, codes[1])  # one more of the second line
    assert window.counter.cart.lines[1].quantity == 2
    assert set(looked_at) == {1} and table.item(1, 1).text() == "2"


def test_a_scan_reads_the_product_once_and_its_stock_settings_once(qtbot, window):
    """The SQL statements a scan runs on the UI thread (the till's connection; background rounds
    run on workers and are not the scan's)."""
    statements: list[str] = []
    ui = threading.current_thread()

    def heard(_conn, _cursor, statement, *_args) -> None:
        if threading.current_thread() is ui:
            statements.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", heard)
    try:
        scan(window.products, ESPRESSO)
    finally:
        event.remove(Engine, "before_cursor_execute", heard)
    assert [line.product.barcode for line in window.counter.cart.lines] == [ESPRESSO]
    reads = [s for s in statements if s.upper().startswith("SELECT")]
    assert len(reads) == 2, reads
    assert "products.barcode = ?" in reads[0]  # the product by its code
    assert "FROM stock_items" in reads[1]  # what adding it asks (an open price? a weight?)
    assert not [s for s in statements if s.split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]


def test_a_scan_computes_the_cart_totals_once(qtbot, window, codes, monkeypatch):
    """The panel, the counter's event and the amount due each asked the cart for its totals, and
    each computed every line again: once per version of the cart now."""
    import pos.domain.cart as cart_module

    computed: list[int] = []
    compute = cart_module.compute_totals
    monkeypatch.setattr(cart_module, "compute_totals", lambda *a, **k: computed.append(1) or compute(*a, **k))
    for code in codes[:3]:
        computed.clear()
        scan(window.products, code)
        assert len(computed) == 1


def test_a_hidden_customer_display_draws_nothing_and_the_cart_when_shown(qtbot, window, codes):
    """One screen and the display off (the default): a scan folds the customer's view (so it is
    right when turned on) but draws no list; turned on, it shows the cart; shown, a scan keeps the
    rows of the lines already there."""
    display = window.findChild(QWidget, "customerDisplay")
    rows = display.findChild(QListWidget, "customerDisplayLines")
    assert not display.isVisible()
    for code in codes[:2]:
        scan(window.products, code)
    assert rows.count() == 0  # nothing drawn for nobody
    window.findChild(QAction, "customerDisplayAction").trigger()
    qtbot.waitUntil(display.isVisible)
    assert rows.count() == 2
    first = rows.item(0)
    scan(window.products, codes[2])
    assert rows.count() == 3 and rows.item(0) is first  # the scan drew its own row, not the list


def test_a_scan_formats_only_the_amounts_that_show(qtbot, window, codes, monkeypatch):
    """A new amount is Babel's work (~0.1 ms); the cart's summary formatted Subtotal and Tax on
    each scan where prices include tax and neither row shows."""
    import babel.numbers

    from pos.domain import money

    formatted: list[str] = []
    babel_format = babel.numbers.format_currency

    def counted(*args, **kwargs):
        text = babel_format(*args, **kwargs)
        formatted.append(text)
        return text

    monkeypatch.setattr(babel.numbers, "format_currency", counted)
    scan(window.products, codes[0])
    money._formatted.cache_clear()  # every amount of the next scan is formatted anew, and counted
    scan(window.products, codes[1])
    table = window.cart_panel.table
    widgets = [*window.findChildren(QLabel), *window.findChildren(QPushButton)]
    shown = [w.text() for w in widgets if w.isVisible()]
    shown += [table.item(row, col).text() for row in range(table.rowCount()) for col in range(table.columnCount())]
    assert formatted and [text for text in formatted if not any(text in words for words in shown)] == []
