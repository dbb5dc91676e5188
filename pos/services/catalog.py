"""The catalog service: what the sale screen reads and what the back office changes.

The rules of a product edit (a SKU never changes, a barcode belongs to one
product, prices parse at the edge) live here, so the catalog dialog and the
CLI apply the same ones. The database adapter (CatalogRepo) is the store.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Protocol

from pos.domain.barcodes import Embedded, Pattern, decode, parse_patterns
from pos.domain.cart import Measure, priced_by
from pos.domain.catalog import CatalogImportError, CatalogRowError, Product, product_from_row
from pos.domain import tax
from pos.domain.catalog import MAX_PRICE_MINOR
from pos.domain.errors import PosError
from pos.domain.money import Money, MoneyError
from pos.domain.stock import StockError, Unit, parse_quantity, to_milli
from pos.domain.text import quoted_short

from .sales import StorageError
from .settings import StoreSettings


@dataclass(frozen=True)
class ImportSummary:
    added: int
    updated: int
    kept_inactive: tuple[str, ...]  # SKUs in the file that stay deactivated (never revived silently)

    @property
    def count(self) -> int:
        return self.added + self.updated

    def describe(self) -> str:
        text = f"Imported {self.count} products ({self.added} new, {self.updated} updated)."
        if self.kept_inactive:
            shown = ", ".join(self.kept_inactive[:5]) + (" …" if len(self.kept_inactive) > 5 else "")
            text += f" {len(self.kept_inactive)} stay deactivated: {shown} (reactivate them in Back office → Catalog)."
        return text


PAGE = 120  # the most products one read of a category (or the Favourites) hands the sale screen


class CatalogReader(Protocol):
    """What the sale screen reads (the product panel sees only this)."""

    def categories(self) -> list[str]: ...
    def in_category(self, category: str, limit: int = PAGE, *, after: Product | None = None) -> list[Product]: ...
    def favourites(self, limit: int = PAGE) -> list[Product]: ...
    def search(self, query: str, limit: int = 60) -> list[Product]: ...
    def find_code(self, code: str) -> Product | None: ...


CUSTOM_SKU = "CUSTOM"  # the "custom amount" key's line: no product row, the store's default tax rate


class OpenPriceError(PosError, ValueError):
    pass


@dataclass(frozen=True)
class Labelled:
    """A product found by a scale label: the line's price, and the weight if it was weighed."""

    product: Product
    price: Money
    measure: Measure | None


@dataclass(frozen=True)
class Found:
    """Enter in the search field found one product: it goes on the cart."""

    product: Product


@dataclass(frozen=True)
class LabelFound:
    """Enter found a scale label: its product at the label's price (and weight)."""

    label: Labelled


@dataclass(frozen=True)
class Choices:
    """Several products match what was typed: the cashier picks one (`more`: how many more match
    than are offered, so the cashier knows to type more of the name)."""

    products: tuple[Product, ...]
    more: bool


@dataclass(frozen=True)
class NotFound:
    """Nothing to add; the message is for the cashier, at the field."""

    message: str


Lookup = Found | LabelFound | Choices | NotFound
CHOICES = 8  # a list the cashier reads at a glance; more than that, typing more of the name is quicker


class SaleScreenCatalog(CatalogReader, Protocol):
    """What the sale screen's product panel reads: the catalog, scale labels, and what Enter finds."""

    def find_label(self, code: str) -> Labelled | None: ...
    def look_up(self, text: str) -> Lookup: ...


class CatalogStore(CatalogReader, Protocol):
    def count(self) -> int: ...
    def get(self, product_id: int) -> Product | None: ...
    def all(self, include_inactive: bool = False) -> list[Product]: ...
    def save(self, product: Product) -> Product: ...
    def set_active(self, product_id: int, active: bool) -> None: ...
    def import_csv(self, source: Path | str | io.TextIOBase, currency: str) -> ImportSummary: ...
    def export_csv(self, target: io.TextIOBase) -> int: ...


@dataclass(frozen=True)
class Saved:
    product: Product


@dataclass(frozen=True)
class NotSaved:
    message: str  # for the person editing: why, in their words


@dataclass(frozen=True)
class Imported:
    summary: ImportSummary


@dataclass(frozen=True)
class NotImported:
    message: str  # why, with the line number when a row is at fault; nothing was written


class Catalog:
    def __init__(
        self,
        store: CatalogStore,
        currency: Callable[[], str],
        settings: Callable[[], StoreSettings] = StoreSettings,
        unit_of: Callable[[str], Unit | None] = lambda sku: None,
    ):
        self._store = store
        self._currency = currency  # the store's currency now: prices in a file or a form are in it
        self._settings = settings  # the scale-label patterns and the open-price limit, as set now
        self._unit_of = unit_of  # how a product is stocked (None: no stock columns for it)

    # -- reads (the sale screen, the back office, the CLI) ----------------------------
    def categories(self) -> list[str]:
        return self._store.categories()

    def in_category(self, category: str, limit: int = PAGE, *, after: Product | None = None) -> list[Product]:
        """A page of the category's products in name order: the first `limit`, or the `limit` after
        `after` (the last product read before). The sale screen never reads a whole category: it
        asks for as many as its grid shows (product_panel.py)."""
        return self._store.in_category(category, limit, after=after)

    def favourites(self, limit: int = PAGE) -> list[Product]:
        """The Favourites page, in the owner's order: shown first on the sale screen when not empty
        (limit=1 asks only whether there is one)."""
        return self._store.favourites(limit)

    def search(self, query: str, limit: int = 60) -> list[Product]:
        return self._store.search(query, limit)

    def find_code(self, code: str) -> Product | None:
        return self._store.find_code(code)

    def look_up(self, text: str) -> Lookup:
        """What Enter in the sale screen's search field means (typed or scanned): a scale label, a
        product by its exact barcode or SKU, else the products whose name matches — one is added,
        several are offered to pick from. A misread label or nothing found is a message."""
        # NFKC: an input method left in full-width mode sends ８８８… and ＬＡＴＴＥ for 888… and LATTE.
        text = unicodedata.normalize("NFKC", text).strip()
        if not text:
            return NotFound("Type a name, SKU or barcode, or scan.")
        try:
            label = self.find_label(text)
        except PosError as exc:  # a misread label (its check digit), or a weight on an "each" product
            return NotFound(str(exc))
        if label is not None:
            return LabelFound(label)
        product = self._store.find_code(text)
        if product is not None:
            return Found(product)
        matches = self._store.search(text, CHOICES + 1)
        if len(matches) == 1 and not text.isdigit():
            return Found(matches[0])
        # Digits are a code, and this one is no product's: one that only begins a barcode (a digit
        # dropped, another product's 12-digit UPC-A) is offered to pick, never rung up by itself.
        if matches:
            return Choices(tuple(matches[:CHOICES]), more=len(matches) > CHOICES)
        if text.isdigit():
            return NotFound(f"No product with barcode or SKU “{quoted_short(text)}”. Scan it again or type the name.")
        return NotFound(f"No product matches “{quoted_short(text)}”.")

    def open_price(self, text: str) -> Money:
        """A price typed for an open-price item or a custom amount: more than zero, in the store's
        currency's decimals and rounding step, no more than a card can take."""
        currency = self._currency()
        try:
            price = Money.parse(text, currency)
        except MoneyError as exc:
            raise OpenPriceError(f"Type the price, like 4.50 ({exc}).") from None
        if price.minor <= 0:
            raise OpenPriceError("The price must be more than zero.")
        if price.minor > MAX_PRICE_MINOR:
            raise OpenPriceError(f"{price} is more than a card payment can take.")
        if price.minor % tax.rounding_step(currency):
            raise OpenPriceError(f"{currency} prices end in 0 (card amounts).")
        return price

    def open_price_needs_approval(self, price: Money) -> bool:
        """Above the store's open-price limit (a typed price has no shelf to check it against)."""
        return price.minor > self._settings().open_price_limit_minor

    def custom_product(self, tax_rate_bp: int) -> Product:
        """The line the "custom amount" key adds (its price set by add_priced)."""
        return Product(CUSTOM_SKU, "Custom amount", "Custom", Money(1, self._currency()), tax_rate_bp)

    def weighed(self, product: Product, text: str) -> Labelled:
        """A weight typed for a product sold by the kg (no scale label): exact, up to three decimals,
        more than zero; the line priced as a label's, weight × price per kg rounded once (priced_by).
        OpenPriceError in the cashier's words otherwise."""
        try:
            milli = to_milli(parse_quantity(text, Unit.KG))
        except StockError as exc:
            raise OpenPriceError(f"Type the weight in kg, like 1.250 ({exc}).") from None
        if milli <= 0:
            raise OpenPriceError("The weight must be more than zero.")
        price = priced_by(product.price, milli)
        if price.minor > MAX_PRICE_MINOR:
            raise OpenPriceError(f"{price} is more than a card payment can take.")
        return Labelled(product, price, Measure(milli, Unit.KG.value, product.price))

    def find_label(self, code: str, patterns: tuple[Pattern, ...] | None = None) -> Labelled | None:
        """A scale label (GS1 prefix 20–29): the product whose barcode is the label with its value
        zeroed, at the label's price, or its weight times the price per kg (rounded once). None: not
        a label, or no product carries its code. A wrong check digit raises BarcodeError. The
        patterns are the store's `scale_labels` setting unless given."""
        if patterns is None:
            patterns = parse_patterns(self._settings().scale_labels)  # saved settings were checked
        scanned = decode(code, patterns)
        if scanned is None or scanned.value == 0:
            # Value zeroed: the product's own catalog barcode (the shelf's sticker), not a label read
            # off a scale; found as any barcode is (a kg product then asks its weight).
            return None
        product = self._store.find_code(scanned.lookup_code)
        if product is None:
            return None
        if scanned.kind is Embedded.WEIGHT and self._unit_of(product.sku) is Unit.EACH:
            # A weight taken off a product counted whole would leave 1.250 of an "each" on the shelf.
            raise OpenPriceError(f"{product.name} is sold each, not by weight (set its unit to kg in the catalog).")
        if scanned.kind is Embedded.WEIGHT:
            measure: Measure | None = Measure(scanned.value, Unit.KG.value, product.price)
            price = priced_by(product.price, scanned.value)
        else:
            measure, price = None, Money(scanned.value, product.price.currency)
        if price.minor > MAX_PRICE_MINOR:  # a pattern with a short item code has room for 9 digits
            raise OpenPriceError(f"{price} is more than a card payment can take.")
        return Labelled(product, price, measure)

    def get(self, product_id: int) -> Product | None:
        return self._store.get(product_id)

    def all(self, include_inactive: bool = False) -> list[Product]:
        return self._store.all(include_inactive)

    def count(self) -> int:
        return self._store.count()

    # -- changes ----------------------------------------------------------------------
    def save(self, product: Product) -> Product:
        """Insert, or update the product with the same SKU (no rules: for code that built the product)."""
        return self._store.save(product)

    def save_form(self, row: dict[str, str], *, active: bool, editing: Product | None = None) -> Saved | NotSaved:
        """A product typed into the back office: parsed, checked against the catalog, then saved."""
        try:
            product = product_from_row(row, self._currency())
        except CatalogRowError as exc:
            return NotSaved(f"Not saved: {exc}.")
        if editing is not None and editing.sku != product.sku:
            return NotSaved("Not saved: the SKU of an existing product cannot change (add a new product).")
        clash = self._store.find_code(product.barcode) if product.barcode else None
        if clash is not None and clash.sku != product.sku:
            return NotSaved(f"Not saved: barcode {product.barcode} belongs to {clash.name} ({clash.sku}).")
        try:
            return Saved(self._store.save(replace(product, active=active)))
        except StorageError as exc:
            return NotSaved(f"Not saved: {exc}")

    def deactivate(self, product_id: int) -> None:
        """No longer sold at the till; its sales stay on record."""
        self._store.set_active(product_id, False)

    def import_file(self, path: Path) -> Imported | NotImported:
        """Every row or none (the store writes in short batches, so a selling till barely waits)."""
        try:
            return Imported(self._store.import_csv(Path(path), self._currency()))
        except (CatalogImportError, StorageError, UnicodeDecodeError, OSError, csv.Error) as exc:
            return NotImported(str(exc))

    def export(self, target: io.TextIOBase) -> int:
        return self._store.export_csv(target)
