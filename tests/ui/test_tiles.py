"""The grid's tiles as the owner sets them (issue 28 item 2): a Favourites page in the owner's
order, shown first when any exist; a tile's colour from the catalog with readable text; both set
in the catalog dialog and a CSV file (the demo catalog has both), and kept by a file without them."""

from __future__ import annotations

import io

from PySide6.QtGui import QColor

from pos.domain.appearance import contrast_ratio

FAVOURITES = ["Almond Croissant", "Banana Bread", "Flat White", "Café Latte", "Teh Tarik", "Ham & Cheese Toastie"]


def tab_names(window) -> list[str]:
    tabs = window.products.tabs
    return [tabs.tabText(i) for i in range(tabs.count())]


def test_the_favourites_page_comes_first_in_the_owners_order(qtbot, window):
    panel = window.products
    assert tab_names(window) == ["Favourites", "Bakery", "Coffee", "Drinks", "Retail", "Sandwiches", "Tea"]
    assert panel.tabs.currentIndex() == 0 and panel.category() == ""
    assert [t.name for t in panel.buttons()] == FAVOURITES
    panel.tabs.setCurrentIndex(tab_names(window).index("Coffee"))  # the rest by category, as before
    assert all(t.product.category == "Coffee" for t in panel.buttons())


def test_a_tile_shows_its_catalog_colour_with_text_that_reads(qtbot, window, themed):
    window.resize(1024, 768)
    tile = window.products.tile_for("Flat White")  # Coffee: #6f4e37 in the demo catalog
    qtbot.waitUntil(lambda: tile.isVisible() and tile.width() > 0)
    image = tile.grab().toImage()
    assert image.pixelColor(10, tile.height() // 2) == QColor("#6f4e37")
    text = tile.palette().color(tile.foregroundRole()).name()
    assert text == "#ffffff" and contrast_ratio("#6f4e37", text) >= 4.5
    plain = window.products.tile_for("Teh Tarik")  # Tea: a light green, black text
    assert plain.palette().color(plain.foregroundRole()).name() == "#000000"


def test_the_owner_sets_a_favourite_and_a_colour_in_the_catalog_dialog(qtbot, window):
    window.open_catalog()
    dialog = window.catalog_dialog
    qtbot.waitUntil(dialog.isVisible)
    dialog.search.setText("Espresso")
    row = next(i for i, p in enumerate(dialog.products) if p.name == "Espresso")
    dialog.table.selectRow(row)
    dialog.fields["colour"].setText("orange")
    assert dialog.save() is None and "colour 'orange' must be written #rrggbb" in dialog.message.text()
    dialog.fields["colour"].setText("#FFD54A")
    dialog.fields["favourite"].setText("7")
    saved = dialog.save()
    assert (saved.colour, saved.favourite) == ("#ffd54a", 7)
    dialog.reject()
    window.products.tabs.setCurrentIndex(0)
    assert [t.name for t in window.products.buttons()] == [*FAVOURITES, "Espresso"]
    espresso = window.products.tile_for("Espresso")
    assert espresso.palette().color(espresso.foregroundRole()).name() == "#000000"


def test_a_file_without_the_columns_keeps_them_and_one_with_them_empty_clears_them(qtbot, window, tmp_path):
    catalog = window.session.catalog
    without = tmp_path / "without.csv"
    without.write_text(
        "sku,barcode,name,category,price,tax_rate\nBAK-002,8881230000181,Almond Croissant,Bakery,4.90,9\n"
    )
    assert catalog.import_file(without).summary.updated == 1
    croissant = catalog.find_code("BAK-002")
    assert (croissant.price.minor, croissant.favourite, croissant.colour) == (490, 1, "#f6d8a8")
    exported = io.StringIO()
    catalog.export(exported)
    emptied = "\n".join(
        line if n == 0 else ",".join(line.split(",")[:6] + ["", ""])
        for n, line in enumerate(exported.getvalue().splitlines())
    )
    (tmp_path / "emptied.csv").write_text(emptied)
    catalog.import_file(tmp_path / "emptied.csv")
    assert catalog.favourites() == [] and catalog.find_code("BAK-002").colour is None
    window.products.reload()
    assert "Favourites" not in tab_names(window)  # no favourites: the grid opens on the first category
    assert window.products.category() == "Bakery"


def test_a_category_with_an_ampersand_shows_it_on_its_tab(qtbot, window):
    """Finding (h1): the tiles show "&" as itself, but a category tab read it as a shortcut marker:
    "Food & Drink" showed as "Food _Drink". The tab still selects the category by its own name."""
    from tests.helpers.ui_audit import shown_text

    row = {"sku": "FND1", "barcode": "", "name": "Soup & Roll", "category": "Food & Drink", "price": "6.50"}
    window.session.catalog.save_form({**row, "tax_rate": "9"}, active=True)
    window.products.reload()
    index = [window.products.category(i) for i in range(window.products.tabs.count())].index("Food & Drink")
    assert shown_text(window.products.tabs.tabText(index)) == "Food & Drink"
    window.products.tabs.setCurrentIndex(index)
    assert [t.name for t in window.products.buttons()] == ["Soup & Roll"]
