"""What Enter in the sale screen's search field finds (services/catalog.py, Catalog.look_up): the rule
the product panel shows, tested without Qt on a real SQLite catalog."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pos.adapters.db.catalog import CatalogRepo
from pos.adapters.db.storage import open_engine
from pos.domain.barcodes import Embedded, Pattern
from pos.paths import resource_path
from pos.services.catalog import CHOICES, Catalog, Choices, Found, LabelFound, NotFound
from tests.helpers.folders import new_till_folder


@pytest.fixture
def catalog(tmp_path, migrated_folder):
    engine = open_engine(new_till_folder(migrated_folder, tmp_path / "till"))
    repo = CatalogRepo(engine)
    repo.import_csv(resource_path("demo_catalog.csv"), "SGD")
    yield Catalog(repo, lambda: "SGD")
    engine.dispose()


def test_a_barcode_or_sku_finds_its_product(catalog):
    assert catalog.look_up("8881230000044") == Found(catalog.find_code("8881230000044"))
    assert catalog.look_up("  COF-006 ").product.name == "Café Latte"


def test_a_name_with_one_match_is_that_product(catalog):
    found = catalog.look_up("almond croiss")
    assert isinstance(found, Found) and found.product.name == "Almond Croissant"


def test_a_name_with_several_matches_offers_them_all(catalog):
    """The issue's "latte": four lattes on screen, and Enter said there was no such product."""
    found = catalog.look_up("latte")
    assert isinstance(found, Choices) and not found.more
    assert sorted(p.name for p in found.products) == ["Café Latte", "Chai Latte", "Iced Latte", "Matcha Latte"]


def test_more_matches_than_a_list_holds_says_so(catalog):
    found = catalog.look_up("888")  # a partly typed barcode: every demo product
    assert isinstance(found, Choices) and found.more and len(found.products) == CHOICES


def test_nothing_found_is_a_message_in_the_cashiers_words(catalog):
    assert catalog.look_up("8881230009998") == NotFound(
        "No product with barcode or SKU “8881230009998”. Scan it again or type the name."
    )
    assert catalog.look_up("zebra cake") == NotFound("No product matches “zebra cake”.")
    assert isinstance(catalog.look_up("   "), NotFound)


def test_a_scale_label_and_a_misread_one(catalog):
    price_label = Pattern("23", Embedded.PRICE)  # a default pattern: 23 + item + price in cents
    sample = catalog.find_code("8881230000044")
    cheese = catalog.save(replace(sample, sku="CHEESE", name="Cheddar", barcode=price_label.lookup_code("12345")))
    label = price_label.encode("12345", 450)
    found = catalog.look_up(label)
    assert isinstance(found, LabelFound) and found.label.product == cheese and found.label.price.minor == 450
    misread = label[:-1] + str((int(label[-1]) + 1) % 10)
    assert "scan it again" in catalog.look_up(misread).message


@pytest.mark.parametrize("short_scan", ["888123000001", "88812300000", "8881230"])
def test_a_code_that_only_begins_a_barcode_is_never_rung_up_by_itself(catalog, short_scan):
    """Hostile pass (h2): a scan with a digit dropped, or a 12-digit UPC-A of another product, that
    begins exactly one barcode in the catalog (888123000001 → Espresso's 8881230000013) was that
    product, added without a word. Digits are a code: a code that is not a product's is offered, never
    rung up; the cashier picks it (or scans again, which replaces it)."""
    found = catalog.look_up(short_scan)
    assert not isinstance(found, Found), found
    if isinstance(found, Choices):
        assert catalog.find_code("8881230000013") in found.products or len(found.products) > 1


def test_pasted_text_is_quoted_short_in_the_message(catalog):
    """Hostile pass (h2): a page pasted into the search (or a scanner stuck on a key) was quoted whole
    in the message under the field and in the status bar."""
    for pasted in ("a" * 10_000, "x " * 5000, "9" * 5000):
        message = catalog.look_up(pasted).message
        assert len(message) < 120 and "…" in message, message[:80]


def test_full_width_keys_from_an_input_method_find_the_product(catalog):
    """Hostile pass (h2): with an Asian input method left in full-width mode, a scanner's keys arrive as
    full-width digits (８８８…) and a typed name as ＬＡＴＴＥ: "No product with barcode" for a product
    on the shelf."""
    assert catalog.look_up("８８８１２３０００００４４") == Found(catalog.find_code("8881230000044"))
    assert isinstance(catalog.look_up("ＬＡＴＴＥ"), Choices)
    assert catalog.look_up("ＣＯＦ－００６").product.name == "Café Latte"
