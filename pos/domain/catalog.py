"""Products as the till sells them, and the CSV row format shared by import and export."""

from __future__ import annotations

import re

from dataclasses import dataclass

from . import tax
from .errors import PosError
from .money import Money, MoneyError
from .text import TextError, check_text

CSV_COLUMNS = ("sku", "barcode", "name", "category", "price", "tax_rate")
# Optional columns: how the product's tile looks on the sale screen. A file without them imports
# as before (a tile keeps its colour and place); export writes them.
TILE_COLUMNS = ("colour", "favourite")
MAX_FAVOURITE = 999
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
# Stripe's largest card amount, in minor units (8 digits): no shelf price can be more.
MAX_PRICE_MINOR = 99_999_999
# Cells a spreadsheet would run as a formula (OWASP "CSV injection"): exported with a leading quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def csv_cell(value: object) -> object:
    """A cell of an export a spreadsheet opens (receipts, reports): text that a spreadsheet would run
    as a formula (a till id or a cashier's name such as =HYPERLINK(…)) is quoted as csv_safe does;
    numbers, negative amounts among them, stay numbers."""
    if not isinstance(value, str) or _PLAIN_NUMBER.fullmatch(value):
        return value
    return csv_safe(value)


def csv_plain(value: str) -> str:
    """The cell as typed, without the quote csv_safe added (so an export imports back the same)."""
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_START) else value


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    category: str
    price: Money  # as shown on the shelf: gross if the store is tax-inclusive
    tax_rate_bp: int  # basis points, 900 = 9%
    barcode: str | None = None
    active: bool = True
    id: int | None = None
    colour: str | None = None  # the tile's colour, #rrggbb (parse_colour); None: the theme's
    favourite: int | None = None  # its place on the Favourites page (1 first); None: not there


# The SKUs of gift card lines (domain/giftcards.py: the code follows): never a catalog product's.
GIFT_CARD_SKUS = "GIFTCARD"


def is_gift_card_sku(sku: str) -> bool:
    """A line selling (or reloading) a gift card: money kept for the customer, not goods."""
    return sku.upper().startswith(GIFT_CARD_SKUS)


def is_gift_card_line(product: Product) -> bool:
    return is_gift_card_sku(product.sku)


class CatalogRowError(PosError, ValueError):
    pass


class CatalogImportError(PosError, ValueError):
    """A catalog file that is not imported: the line and the reason, for the person who made it."""

    def __init__(self, line: int, reason: str):
        super().__init__(f"line {line}: {reason}")
        self.line, self.reason = line, reason


def check_header(cells: list[str], required: tuple[str, ...], allowed: tuple[str, ...] | None = None) -> list[str]:
    """A CSV file's header, trimmed: each column once, the required ones there, and (when `allowed`
    is given) no other; else CatalogImportError on line 1."""
    header = [h.strip() for h in cells]
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise CatalogImportError(1, f"column {', '.join(repeated)} appears more than once in the header")
    missing = [c for c in required if c not in header]
    if missing:
        raise CatalogImportError(1, f"missing column(s): {', '.join(missing)}")
    unknown = [h for h in header if allowed is not None and h not in allowed]
    if unknown:
        raise CatalogImportError(1, f"unknown column(s): {', '.join(unknown)}")
    return header


def product_from_row(row: dict[str, str], currency: str) -> Product:
    """One CSV row -> Product, with the reason in plain words when the row is bad."""
    missing = [c for c in CSV_COLUMNS if c not in row]
    if missing:
        raise CatalogRowError(f"missing column(s): {', '.join(missing)}")
    # Trimmed again once the export's quote is off: a tab or a line end that led a name in an older
    # catalog comes back without it (a control character inside a cell is refused below).
    sku = csv_plain((row["sku"] or "").strip()).strip()
    name = csv_plain((row["name"] or "").strip()).strip()
    category = csv_plain((row["category"] or "").strip()).strip()
    barcode = (row["barcode"] or "").strip() or None
    if not sku:
        raise CatalogRowError("sku is empty")
    if is_gift_card_sku(sku):
        raise CatalogRowError(f"SKUs starting {GIFT_CARD_SKUS} are the till's own gift card lines")
    if not name:
        raise CatalogRowError("name is empty")
    if not category:
        raise CatalogRowError("category is empty")
    try:
        for field_name, value in (("sku", sku), ("name", name), ("category", category)):
            check_text(value, field_name)
    except TextError as exc:
        raise CatalogRowError(str(exc)) from None
    if barcode is not None and not barcode.isdigit():
        raise CatalogRowError(f"barcode {barcode!r} must be digits only")
    try:
        price = Money.parse(row["price"] or "", currency)
    except MoneyError as exc:
        raise CatalogRowError(f"price: {exc}") from None
    if price.minor <= 0:
        raise CatalogRowError(f"price {row['price'].strip()} must be more than zero")
    if price.minor > MAX_PRICE_MINOR:
        raise CatalogRowError(
            f"price {row['price'].strip()} is more than a card payment can take "
            f"({Money(MAX_PRICE_MINOR, currency).major_text()} {currency.upper()})"
        )
    if price.minor % tax.rounding_step(currency):
        raise CatalogRowError(
            f"price must be a multiple of {tax.rounding_step(currency)} minor units "
            f"for {currency} (card amounts end in 0)"
        )
    try:
        rate = tax.parse_rate(row["tax_rate"] or "")
    except ValueError as exc:
        raise CatalogRowError(str(exc)) from None
    colour = parse_colour(row.get("colour") or "")
    favourite = parse_favourite(row.get("favourite") or "")
    return Product(
        sku=sku,
        name=name,
        category=category,
        price=price,
        tax_rate_bp=rate,
        barcode=barcode,
        colour=colour,
        favourite=favourite,
    )


def parse_colour(text: str) -> str | None:
    """A tile's colour as typed or in a file: "" is none (the theme's); else #rrggbb, stored lower
    case (the tile's text is black or white by contrast: domain/appearance.text_on)."""
    cleaned = text.strip()
    if not cleaned:
        return None
    if not _HEX_COLOUR.fullmatch(cleaned):
        raise CatalogRowError(f"colour {cleaned!r} must be written #rrggbb, like #ffd54a (or left empty)")
    return cleaned.lower()


def parse_favourite(text: str) -> int | None:
    """A product's place on the Favourites page as typed or in a file: "" is not a favourite."""
    cleaned = text.strip()
    if not cleaned:
        return None
    if not (cleaned.isascii() and cleaned.isdigit()) or not 1 <= int(cleaned) <= MAX_FAVOURITE:
        raise CatalogRowError(
            f"favourite {cleaned!r} must be a whole number from 1 (shown first) to {MAX_FAVOURITE}, or left empty"
        )
    return int(cleaned)


def product_to_row(product: Product) -> dict[str, str]:
    return {
        "sku": csv_safe(product.sku),
        "barcode": product.barcode or "",
        "name": csv_safe(product.name),
        "category": csv_safe(product.category),
        "price": product.price.major_text(),
        "tax_rate": tax.format_rate(product.tax_rate_bp),
        "colour": product.colour or "",
        "favourite": str(product.favourite) if product.favourite is not None else "",
    }
