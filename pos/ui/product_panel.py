"""Products: category tabs, a grid of large tiles, and a search field that also takes scans.

The grid fits the space it has (issue 28): the number of columns and the tiles' size come from
the grid's width and height (`grid_shape`), so a 1024x768 till shows no horizontal scroll bar and a
1920x1080 one is not two thirds empty; a tile's name wraps to two lines and is elided past that,
the whole name in its tooltip and accessible name, never cut off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QPushButton,
    QScrollArea,
    QStyle,
    QStyleOptionButton,
    QTabBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from pos.domain.catalog import Product
from pos.domain.appearance import text_on

from .search_box import SearchBox
from .widgets import named

if TYPE_CHECKING:
    from pos.services.catalog import SaleScreenCatalog

SEARCH_DELAY_MS = 40  # coalesce a scanner's burst of keystrokes into one search
SPACING = 8
TILE_MIN = QSize(132, 88)  # two lines of name and the price at the theme's 15 px, with padding
TILE_MAX = QSize(300, 200)  # a few products on a wide screen: large tiles, not giant ones
TILE_ASPECT = 0.62  # height / width when the tiles do not all fit and the grid scrolls
NEAR_LARGEST = 0.85  # of shapes with tiles this near the largest, the one with most columns
NAME_LINES = 2
FAVOURITES = "Favourites"
_FAVOURITES_TAB = ""  # the Favourites tab's data: no category is empty (domain/catalog.product_from_row)
# The tabs (and their scroll arrows in a narrow window) are touch targets (44 px, WCAG 2.5.5);
# the look is the theme's.
TABS_STYLE = "QTabBar::tab { min-height: 44px; min-width: 44px; padding: 0 16px; } QTabBar::scroller { width: 88px; }"


# What the grid reads its products with: the next `limit` after a product (None: from the first).
PageReader = Callable[[Product | None, int], list[Product]]


@dataclass(frozen=True)
class GridShape:
    columns: int
    tile: QSize


def grid_shape(count: int, width: int, height: int) -> GridShape:
    """Columns and tile size for `count` tiles in a width x height area: the largest tiles (up to
    TILE_MAX) that show them all without scrolling; when they cannot all show at TILE_MIN, as
    many columns as fit at TILE_MIN wide, and the grid scrolls down (never sideways)."""
    count = max(count, 1)
    fit_columns = max(1, (width + SPACING) // (TILE_MIN.width() + SPACING))
    shapes: list[GridShape] = []
    for columns in range(1, fit_columns + 1):
        rows = math.ceil(count / columns)
        tile_w = min((width - SPACING * (columns - 1)) // columns, TILE_MAX.width())
        tile_h = min((height - SPACING * (rows - 1)) // rows, TILE_MAX.height(), int(tile_w * 0.8))
        if tile_w >= TILE_MIN.width() and tile_h >= TILE_MIN.height():
            shapes.append(GridShape(columns, QSize(tile_w, tile_h)))
    if shapes:
        # Near the largest tiles, the most columns: the grid spreads across the width rather
        # than leaving a column's worth of it empty for tiles a little larger.
        largest = max(s.tile.width() * s.tile.height() for s in shapes)
        return max(
            (s for s in shapes if s.tile.width() * s.tile.height() >= NEAR_LARGEST * largest),
            key=lambda s: s.columns,
        )
    tile_w = min((width - SPACING * (fit_columns - 1)) // fit_columns, TILE_MAX.width())
    tile_w = max(tile_w, TILE_MIN.width())
    tile_h = max(TILE_MIN.height(), min(int(tile_w * TILE_ASPECT), TILE_MAX.height()))
    return GridShape(fit_columns, QSize(tile_w, tile_h))


def grid_capacity(width: int, height: int) -> int:
    """How many tiles the grid builds for a width x height viewport (issue 27 item 5): the most it
    can show at TILE_MIN without scrolling, and a row more. A category with no more products than
    that is shown whole, as grid_shape fits it; one with more is laid out scrolling (that many tiles
    never fit unscrolled, so grid_shape gives the shape every product built would have), the extra
    row below the fold, and the rest is read and built as the grid is scrolled to its end. A
    category of 166,000 products builds the tiles a category of 17 does."""
    columns = max(1, (width + SPACING) // (TILE_MIN.width() + SPACING))
    rows = max(0, (height + SPACING) // (TILE_MIN.height() + SPACING))
    return columns * (rows + 1)


def fit_lines(text: str, metrics: QFontMetrics, width: int, lines: int = NAME_LINES) -> list[str]:
    """`text` word-wrapped into at most `lines` lines of `width` px, the last one elided ("…") when
    the rest does not fit; a word wider than a line is elided on its own line."""
    words = text.split()
    out: list[str] = []
    while words and len(out) < lines - 1:
        line = words.pop(0)
        while words and metrics.horizontalAdvance(f"{line} {words[0]}") <= width:
            line = f"{line} {words.pop(0)}"
        out.append(metrics.elidedText(line, Qt.TextElideMode.ElideRight, width))
    if words:
        out.append(metrics.elidedText(" ".join(words), Qt.TextElideMode.ElideRight, width))
    return out


class ProductTile(QPushButton):
    """One product: its name (wrapped, elided past two lines) over its price. The text it is given
    (`setText`: name lines, then the price on the last line) is kept whole in `full_text`; what it
    shows is fitted to its size each time that changes."""

    def __init__(self, product: Product, price_text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.product = product
        self.setObjectName("productButton")
        self.setProperty("sku", product.sku)
        # In the Tab order, not taken by a tap (the scanner types into the search field); keys typed on
        # a focused tile go to the search field (ProductPanel.keyPressEvent).
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.full_text = ""
        if product.colour:
            # The owner's colour, the text black or white by contrast (>= 4.5:1, domain/appearance.py).
            self.setStyleSheet(
                f"QPushButton#productButton {{ background: {product.colour}; color: {text_on(product.colour)}; }}"
            )
        self.setText(f"{product.name}\n{price_text}")

    @property
    def name(self) -> str:
        return self.product.name

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name: the label as given, fitted here
        self.full_text = text
        self.setProperty("fullText", text)  # tests/helpers/ui_audit.py: a hook lengthens this, not the fit
        name, _sep, price = text.rpartition("\n") if "\n" in text else (text, "", "")
        name = " ".join(name.split("\n"))
        self.setToolTip(
            f"{name} — {price} — SKU {self.product.sku}"
            + (f", barcode {self.product.barcode}" if self.product.barcode else "")
        )
        self.setAccessibleName(f"{name}, {price}" if price else name)
        if self.isVisible():
            self._fit()  # else when it is shown: its size and the style's font are known then

    def _fit(self) -> None:
        name, _sep, price = self.full_text.rpartition("\n") if "\n" in self.full_text else (self.full_text, "", "")
        width = max(self._text_width(), 1)
        metrics = self.fontMetrics()
        lines = fit_lines(" ".join(name.split("\n")), metrics, width)
        if price:
            lines.append(metrics.elidedText(price, Qt.TextElideMode.ElideRight, width))
        # "&" is a shortcut marker on a button: "&&" shows one ("Ham & Cheese Toastie").
        shown = "\n".join(line.replace("&", "&&") for line in lines)
        if shown != self.text():  # a resize that changes nothing sets nothing (every tile fits on a resize)
            super().setText(shown)

    def _text_width(self) -> int:
        opt = QStyleOptionButton()
        opt.initFrom(self)
        return self.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, opt, self).width()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.isVisible():
            self._fit()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange) and self.isVisible():
            self._fit()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._fit()

    def focusInEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """The tile the keyboard is on is in view. The grid keeps tiles a viewport above and below
        the view; a Tab from the category tabs or a Shift+Tab from the cart reaches one of those
        without the scroll area's own Tab handling (the focus came from outside it), and Enter
        added a product the cashier could not see."""
        super().focusInEvent(event)
        area = self.parentWidget()
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        if area is not None:
            area.ensureWidgetVisible(self, 0, 0)


class ProductPanel(QWidget):
    product_chosen = Signal(object)  # Product
    label_scanned = Signal(object)  # services.catalog.Labelled: a scale label's product, price, weight
    not_found = Signal(str)  # why Enter added nothing (shown at the field too: search_box.py)

    def __init__(self, catalog: "SaleScreenCatalog", locale: str, parent=None):
        super().__init__(parent)
        self._catalog = catalog
        self._locale = locale
        self.search_box = SearchBox(catalog, locale)  # the field, its message and its choices
        self.search = self.search_box.field
        self.search.setMinimumHeight(48)
        self.tabs = named(QTabBar(), "categoryTabs")
        self.tabs.setAccessibleName("Categories")
        self.tabs.setExpanding(False)
        self.tabs.setStyleSheet(TABS_STYLE)
        for arrow in self.tabs.findChildren(QToolButton):
            arrow.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # not Tab stops: the arrow keys move between tabs
        # The tiles are placed on the grid by hand (`_place`), not by a layout: only the rows near the
        # viewport have tiles (`_window`), and a row without its tiles must keep its height.
        self.grid_host = named(QWidget(), "productGrid")
        self.grid_host.setAccessibleName("Products")
        self.empty = named(QLabel(""), "productGridEmpty")
        self.empty.setWordWrap(True)
        self.grid_scroll = QScrollArea()
        self.grid_scroll.setWidgetResizable(True)
        self.grid_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # columns fit the width
        self.grid_scroll.setWidget(self.grid_host)
        self.grid_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a tap on a tile leaves the focus with the scanner
        self.grid_scroll.viewport().installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search_box)
        layout.addWidget(self.tabs)
        layout.addWidget(self.empty)
        layout.addWidget(self.grid_scroll, 1)
        self._products: list[Product] = []  # what the grid lays out (read so far), in its order
        self._tiles: dict[int, ProductTile] = {}  # the tiles alive, by place in _products: the rows near the view
        self.tiles_built = 0  # every tile made (tests count a scroll's)
        self._shape: GridShape | None = None
        self._showing: tuple[str, str] | None = None  # what the grid shows: ("category", name), a search…
        self._pending: list[Product] = []  # read, not laid out yet (a search's results past the fold, a page's last)
        self._next_page: PageReader | None = None  # reads what comes after; None once all is read
        self.grid_scroll.verticalScrollBar().valueChanged.connect(self._scrolled)

        self._timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._timer.timeout.connect(self._run_search)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.search_box.product_chosen.connect(self.product_chosen)
        self.search_box.label_scanned.connect(self.label_scanned)
        self.search_box.not_found.connect(self.not_found)
        self.tabs.currentChanged.connect(lambda _i: self._show_category())
        self.reload()

    def reload(self) -> None:
        """The tabs and the grid read again (the catalog changed)."""
        self._showing = None
        self.tabs.blockSignals(True)
        while self.tabs.count():
            self.tabs.removeTab(0)
        if self._catalog.favourites(limit=1):  # the owner's page first, when they made one
            index = self.tabs.addTab(FAVOURITES)
            self.tabs.setTabData(index, _FAVOURITES_TAB)
            self.tabs.setTabToolTip(index, "Shows the products the owner chose")  # what a screen reader says
        for name in self._catalog.categories():
            index = self.tabs.addTab(name.replace("&", "&&"))  # "&" as itself, not a shortcut marker
            self.tabs.setTabData(index, name)  # the category, whatever the tab shows
            self.tabs.setTabToolTip(index, f"Shows the {name} products")  # what a screen reader says of the tab
        self.tabs.blockSignals(False)
        self._show_category()

    def category(self, index: int | None = None) -> str | None:
        """The category a tab shows (the current one by default); "" for the Favourites page."""
        index = self.tabs.currentIndex() if index is None else index
        return self.tabs.tabData(index) if index >= 0 else None

    def _show_category(self) -> None:
        if self.search.text().strip():
            return self._run_search()
        category = self.category()
        catalog = self._catalog
        empty = "No products yet: import a catalog (pos catalog import FILE.csv)."
        if category == _FAVOURITES_TAB:
            self._fill(("favourites", ""), lambda after, _n: [] if after else catalog.favourites(), empty)
        elif category is not None:
            self._fill(("category", category), lambda after, n: catalog.in_category(category, n, after=after), empty)
        else:
            self._fill(("category", ""), lambda _after, _n: [], empty)

    def _scrolled(self, value: int) -> None:
        """The tiles follow the view: the rows near it built, those far from it dropped. At the grid's
        end a viewport's more products, from what was read or the next page read now (issue 27 item 5:
        the sale screen holds the tiles looked at, never a category)."""
        if not self._products:
            return
        if value >= self.grid_scroll.verticalScrollBar().maximum():
            self._top_up(len(self._products) + self._capacity())  # laid out after the others (the shape holds)
        self._place()

    def _run_search(self) -> None:
        query = self.search.text().strip()
        if not query:
            return self._show_category()
        catalog = self._catalog
        self._fill(
            ("search", query), lambda after, _n: [] if after else catalog.search(query), f"Nothing matches “{query}”."
        )

    def _fill(self, showing: tuple[str, str], read: PageReader, empty_text: str) -> None:
        """The grid shows `showing`, read with `read`: the tiles the viewport holds are built now. What
        it shows already is left alone: the field cleared after a scan asks for the category again,
        and nothing is read or built for it."""
        if showing == self._showing:
            return
        self._showing = showing
        focus = QApplication.focusWidget()
        if focus is not None and self.grid_host.isAncestorOf(focus):
            # A tile leaving the grid had the focus: hidden, it would pass the focus down the Tab
            # order past every tile leaving with it, to the cart's table, and the next scan was lost.
            self.search.setFocus()
        # From the top, before the old tiles go: the bar's value, clamped to the new grid's smaller
        # range as they leave, was a scroll to the end that read and built a second viewport.
        self._products = []
        self.grid_scroll.verticalScrollBar().setValue(0)  # _scrolled reads nothing with nothing laid out
        for index in list(self._tiles):
            self._drop(index)
        self._pending, self._next_page = [], read
        self._top_up(self._capacity())
        self.empty.setText("" if self._products else empty_text)
        self.empty.setVisible(not self._products)
        self._shape = None
        self._place()

    def _capacity(self) -> int:
        viewport = self.grid_scroll.viewport()
        return grid_capacity(viewport.width(), viewport.height())

    def _top_up(self, want: int) -> bool:
        """Products laid out up to `want`: from those read and not laid out yet, then from the next
        page, read now for what is missing and one more (so a page that ends the category is known
        as the last: nothing is read after it). True when a product was added."""
        need = want - len(self._products)
        if need <= 0:
            return False
        if len(self._pending) < need and self._next_page is not None:
            last = self._pending[-1] if self._pending else (self._products[-1] if self._products else None)
            limit = need - len(self._pending) + 1
            more = self._next_page(last, limit)
            if len(more) < limit:
                self._next_page = None  # all read: a scroll to the end reads nothing more
            self._pending += more
        taken, self._pending = self._pending[:need], self._pending[need:]
        self._products += taken
        return bool(taken)

    def _window(self) -> range:
        """The places in the grid that have tiles: the rows in view and a viewport's rows above and
        below (a Tab or a scroll's step lands on a tile already built). However far the grid was
        scrolled, three viewports of tiles and a few rows: g2 measured 258 MB at ~5,000 tiles kept."""
        shape = self._shape
        if shape is None or not self._products:
            return range(0)
        row = shape.tile.height() + SPACING
        top, height = self.grid_scroll.verticalScrollBar().value(), self.grid_scroll.viewport().height()
        margin = height // row + 1
        first = max(0, top // row - margin)
        last = (top + height) // row + margin
        return range(first * shape.columns, min(len(self._products), (last + 1) * shape.columns))

    def _tile_position(self, index: int) -> tuple[int, int]:
        assert self._shape is not None
        shape = self._shape
        row, column = divmod(index, shape.columns)
        return column * (shape.tile.width() + SPACING), row * (shape.tile.height() + SPACING)

    def _build(self, index: int) -> ProductTile:
        product = self._products[index]
        tile = ProductTile(product, product.price.format(self._locale), self.grid_host)
        tile.clicked.connect(lambda _c=False, p=product: self.product_chosen.emit(p))
        assert self._shape is not None
        tile.setFixedSize(self._shape.tile)
        tile.move(*self._tile_position(index))
        self._tiles[index] = tile
        self.tiles_built += 1
        # Tab goes from the category tabs through the tiles in the grid's order, then on to the cart:
        # a tile takes its place in the window's focus chain where it is made (after the cart's
        # controls); it is put after the tile before it, or after the tabs when it is the first built.
        QWidget.setTabOrder(self._tiles.get(index - 1, self.tabs), tile)
        tile.show()
        return tile

    def _drop(self, index: int) -> None:
        tile = self._tiles.pop(index)
        if tile.hasFocus():
            # Scrolled far from the tile the keyboard was on: the focus goes to the scanner's home,
            # not down the Tab order past the tiles leaving with it.
            self.search.setFocus()
        tile.hide()  # out of the Tab order now, not when the event loop deletes it
        tile.deleteLater()

    def _place(self) -> None:
        """Lay the grid out for its size now, and give tiles to the rows near the view only: every
        tile moved when the shape changes, else only those built since (a scroll's page). Every tile
        laid out again on each page made a scroll to the end cost as much as the tiles built before
        it: 0.8 s of CPU a page at 5,000 tiles."""
        viewport = self.grid_scroll.viewport()
        shape = grid_shape(len(self._products), viewport.width(), viewport.height())
        if shape != self._shape:
            self._shape = shape
            for index, tile in self._tiles.items():
                tile.setFixedSize(shape.tile)
                tile.move(*self._tile_position(index))
        # The grid's height for all its rows, tiles or none: the scroll bar's range is the category's
        # laid out so far, set now (the scroll area grows the grid to it before the next paint).
        rows = math.ceil(len(self._products) / shape.columns)
        self.grid_host.setMinimumHeight(max(0, rows * (shape.tile.height() + SPACING) - SPACING))
        window = self._window()
        for index in [i for i in self._tiles if i not in window]:
            self._drop(index)
        for index in window:
            if index not in self._tiles:
                self._build(index)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.grid_scroll.viewport() and event.type() == QEvent.Type.Resize:
            self._top_up(self._capacity())  # a larger grid: the tiles it now has room for
            self._place()
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        """Keys a focused tile does not take: Enter adds its product (as Space does); anything typed
        (a scan that began while a tile had the focus) goes to the search field, not lost."""
        tile = self.focusWidget()
        if isinstance(tile, ProductTile) and tile.parent() is self.grid_host:
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                tile.click()
                return
            if event.text().isprintable() and event.text().strip():
                self.search.setFocus()
                self.search.insert(event.text())
                return
        super().keyPressEvent(event)

    @property
    def shape(self) -> GridShape | None:
        return self._shape

    def buttons(self) -> list[ProductTile]:
        """The tiles alive, in the grid's order: those of the rows near the view."""
        return [self._tiles[index] for index in sorted(self._tiles)]

    def products(self) -> list[Product]:
        """What the grid lays out: every product read for it so far, tile or none, in its order."""
        return list(self._products)

    def tile_for(self, name: str) -> ProductTile:
        """The tile of the product with this name (tests click it), read and built if it is further
        down than the grid has gone so far, and scrolled into view (as a scroll to it would)."""
        while True:
            index = next((n for n, product in enumerate(self._products) if product.name == name), None)
            if index is not None:
                tile = self._tiles.get(index) or self._build(index)
                self.grid_scroll.ensureWidgetVisible(tile)
                return tile
            if not self._top_up(len(self._products) + self._capacity()):
                raise LookupError(f"no tile for {name!r}")
            self._place()
