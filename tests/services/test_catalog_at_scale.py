"""A catalog whose size costs nothing (issue 27 item 5): what the sale screen reads is a page.

The work SQLite does for each read is counted (its progress handler ticks every few virtual-machine
instructions, so a read that walks every product ticks in proportion to the catalog) on a small
catalog and on one 20 times larger: the sale screen's reads cost the same on both. Times are
bench/catalog.py's; nothing here asserts one. The reads still find what they found.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event

from pos.adapters.db.catalog import CatalogRepo
from pos.services.catalog import PAGE
from pos.adapters.db.core import writer
from pos.adapters.db.schema import products
from pos.adapters.db.storage import open_engine
from tests.helpers.folders import new_till_folder

SMALL, LARGE = 1_500, 30_000  # a category has more than two pages on both
CATEGORIES = ["Bakery", "Coffee", "Drinks", "Retail", "Tea"]
TICK = 50  # VM instructions between two ticks of the progress handler


def _row(n: int) -> dict:
    return {
        "sku": f"SKU-{n:06d}",
        "barcode": f"29{n:011d}",
        "name": f"Item {(n * 7919) % 100_000:05d} {['oat', 'kaya', 'pandan', 'mocha'][n % 4]}",
        "category": CATEGORIES[n % len(CATEGORIES)],
        "price_minor": 100 + n % 900,
        "currency": "SGD",
        "tax_rate_bp": 900,
        "active": n % 10 != 3,  # some products no longer sold: never shown
        "favourite": (n // 1000 + 1) if n % 1000 == 0 else None,
    }


class Counted:
    """A till's catalog with SQLite's work counted on every connection it uses."""

    def __init__(self, folder: Path, size: int):
        self.engine = open_engine(folder)
        with writer(self.engine).begin() as conn:
            conn.execute(products.insert(), [_row(n) for n in range(size)])
        self.engine.dispose()  # the connections the handler goes on are the ones opened from now
        self.ticks = 0

        def tick() -> int:
            self.ticks += 1
            return 0  # go on

        @event.listens_for(self.engine, "connect")
        def _count(dbapi_connection, _record):
            dbapi_connection.set_progress_handler(tick, TICK)

        self.repo = CatalogRepo(self.engine)

    def work(self, read) -> tuple[int, object]:
        self.ticks = 0
        result = read(self.repo)
        return self.ticks, result


@pytest.fixture(scope="module")
def catalogs(migrated_folder, tmp_path_factory):
    root = tmp_path_factory.mktemp("scale")
    small = Counted(new_till_folder(migrated_folder, root / "small"), SMALL)
    large = Counted(new_till_folder(migrated_folder, root / "large"), LARGE)
    yield small, large
    small.engine.dispose()
    large.engine.dispose()


READS = {
    "categories": lambda repo: repo.categories(),
    "a category's first page": lambda repo: repo.in_category("Coffee"),
    "a category's next page": lambda repo: repo.in_category("Coffee", after=repo.in_category("Coffee")[-1]),
    "the Favourites page": lambda repo: repo.favourites(),
    "a scan": lambda repo: repo.find_code("2900000000101"),
    "a search": lambda repo: repo.search("pandan"),
}


@pytest.mark.parametrize("read", READS)
def test_the_sale_screens_reads_cost_the_same_on_a_catalog_20_times_larger(catalogs, read):
    small, large = catalogs
    small_ticks, _ = small.work(READS[read])
    large_ticks, _ = large.work(READS[read])
    # A read that walks the catalog ticks ~20 times more on the larger one; a page read, about the
    # same (a deeper index: a few more steps per seek).
    assert large_ticks <= 2 * small_ticks + 20, f"{read}: {small_ticks} ticks at {SMALL}, {large_ticks} at {LARGE}"


def _active(size: int) -> list[dict]:
    return [r for r in map(_row, range(size)) if r["active"]]


def test_the_pages_are_what_reading_the_whole_catalog_would_show(catalogs):
    _small, large = catalogs
    repo = large.repo
    active = _active(LARGE)
    assert repo.categories() == sorted({r["category"] for r in active})
    coffee = sorted((r for r in active if r["category"] == "Coffee"), key=lambda r: r["name"])
    pages, page = [], repo.in_category("Coffee")
    while page:  # page after page to the end: every product once, in name order
        pages += page
        page = repo.in_category("Coffee", after=page[-1])
    assert len(repo.in_category("Coffee")) == PAGE
    assert [p.sku for p in pages] == [r["sku"] for r in coffee]
    favourites = sorted((r for r in active if r["favourite"] is not None), key=lambda r: (r["favourite"], r["name"]))
    assert [p.sku for p in repo.favourites()] == [r["sku"] for r in favourites]


def test_search_and_scan_still_find_on_the_large_catalog(catalogs):
    _small, large = catalogs
    repo = large.repo
    row = _row(12_345)
    assert repo.find_code(row["barcode"]).sku == row["sku"]
    assert repo.find_code(row["sku"]).sku == row["sku"]
    assert repo.find_code(_row(13)["barcode"]) is None  # not sold any more: not found by a scan
    found = repo.search(row["name"])
    assert found[0].sku == row["sku"]
    assert all("pandan" in p.name for p in repo.search("pand"))
