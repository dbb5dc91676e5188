"""Products in SQLite: instant search (FTS5 for names, indexes for barcode and SKU) and CSV."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

from sqlalchemy import bindparam, column, func, literal_column, select, table, tuple_, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from pos.domain.catalog import (
    CSV_COLUMNS,
    TILE_COLUMNS,
    CatalogImportError,
    CatalogRowError,
    Product,
    check_header,
    product_from_row,
    product_to_row,
)
from pos.domain.money import Money
from pos.domain.stock import StockError, StockItem, stock_item_from_row
from pos.services.catalog import PAGE, ImportSummary

from . import audit, core, outbox, stock
from . import schema as tables
from .errors import StorageError, storage_errors
from .core import writer

_P = tables.products
# The full-text index (FTS5, kept by triggers; not a table in schema.py): its rowid is the product's id.
_FTS = table("products_fts", column("rowid"))
_MATCH = literal_column("products_fts").op("MATCH")
_COUNT = select(func.count()).select_from(_P).where(_P.c.active)
_ACTIVE = _P.c.active == True  # noqa: E712 - "active = 1", the term the partial indexes are over (schema.py)


def _skip_scan_categories():
    """The active products' categories in order, one index seek each (a recursive query that jumps
    to the next category after the last one): DISTINCT would read every product to find six names."""
    cats = select(
        select(_P.c.category).where(_ACTIVE).order_by(_P.c.category).limit(1).scalar_subquery().label("category")
    ).cte("cats", recursive=True)
    following = (
        select(_P.c.category)
        .where(_ACTIVE, _P.c.category > cats.c.category)
        .order_by(_P.c.category)
        .limit(1)
        .scalar_subquery()
    )
    cats = cats.union_all(select(following).where(cats.c.category.is_not(None)))
    return select(cats.c.category).where(cats.c.category.is_not(None))


_CATEGORIES = _skip_scan_categories()
# A category's page (ix_products_active_category_name): in name order, then id, so a page can start
# after the last product of the one before it and read only its own rows.
_PAGE_ORDER = (_P.c.name, _P.c.id)
# A scan's lookups, built once (building the statement cost more than running it).
_BY_BARCODE = select(_P).where(_P.c.barcode == bindparam("code"), _P.c.active)
_BY_SKU = select(_P).where(_P.c.sku == bindparam("code"), _P.c.active)
_FAVOURITES = select(_P).where(_ACTIVE, _P.c.favourite.is_not(None)).order_by(_P.c.favourite, _P.c.name)
_IMPORTED = ("barcode", "name", "category", "price_minor", "currency", "tax_rate_bp")


def _upsert(tile_columns: tuple[str, ...]):
    """An import row: added, or the product with its SKU updated (whether it is active is kept; its
    tile's colour and place only when the file has those columns)."""
    statement = sqlite_insert(_P).values(active=True)
    return statement.on_conflict_do_update(
        index_elements=[_P.c.sku],
        set_={c: statement.excluded[c] for c in _IMPORTED + tile_columns},
    )


# Rows written per transaction on import (a fifth of a second of the write lock or so), and the pause
# between two: SQLite's lock is not a queue, and a till waiting for it retries at most every 100 ms,
# so without the pause an import could take the lock back before the till ever got it.
IMPORT_BATCH = 2000
IMPORT_PAUSE_S = 0.12
_WORD = re.compile(r"\w+", re.UNICODE)


def _product(row) -> Product:
    return Product(
        id=row.id,
        sku=row.sku,
        barcode=row.barcode,
        name=row.name,
        category=row.category,
        price=Money(row.price_minor, row.currency),
        tax_rate_bp=row.tax_rate_bp,
        active=bool(row.active),
        colour=row.colour,
        favourite=row.favourite,
    )


def product_row(p: Product) -> dict:
    """A product as its row in the till's products table (the catalog's writes, and the shop's products taken down)."""
    return {
        "sku": p.sku,
        "barcode": p.barcode,
        "name": p.name,
        "category": p.category,
        "price_minor": p.price.minor,
        "currency": p.price.currency,
        "tax_rate_bp": p.tax_rate_bp,
        "active": p.active,
        "colour": p.colour,
        "favourite": p.favourite,
    }


class CatalogRepo:
    def __init__(self, engine: Engine):
        self._engine = engine
        self._writer = writer(engine)

    def count(self) -> int:
        with core.reading(self._engine) as conn:
            return conn.execute(_COUNT).scalar_one()

    def categories(self) -> list[str]:
        with core.reading(self._engine) as conn:
            return list(conn.execute(_CATEGORIES).scalars())

    def in_category(self, category: str, limit: int = PAGE, *, after: Product | None = None) -> list[Product]:
        """A page of the category's active products in name order: the first `limit`, or the `limit`
        after the product `after` (the last one of the page before). Reads only the page's rows."""
        query = select(_P).where(_P.c.category == category, _ACTIVE)
        if after is not None:
            query = query.where(tuple_(*_PAGE_ORDER) > tuple_(after.name, after.id))
        with core.reading(self._engine) as conn:
            return [_product(r) for r in conn.execute(query.order_by(*_PAGE_ORDER).limit(limit))]

    def favourites(self, limit: int = PAGE) -> list[Product]:
        """The active products on the Favourites page, in the owner's order (then by name): the first
        `limit` of them (an owner who marks the whole catalog still gets one page)."""
        with core.reading(self._engine) as conn:
            return [_product(r) for r in conn.execute(_FAVOURITES.limit(limit))]

    def find_code(self, code: str) -> Product | None:
        """The active product whose barcode or SKU is exactly this code (a scan, or Enter)."""
        code = code.strip()
        if not code:
            return None
        with self._engine.connect() as conn:
            row = conn.execute(_BY_BARCODE, {"code": code}).first()
            if row is None:
                row = conn.execute(_BY_SKU, {"code": code}).first()
            return _product(row) if row else None

    def search(self, query: str, limit: int = 60) -> list[Product]:
        """Products matching every word by name, SKU or category prefix; exact codes first."""
        words = _WORD.findall(query)
        if not words:
            return []
        match = " AND ".join(f'"{w}"*' for w in words)
        with self._engine.connect() as conn:
            exact = conn.execute(
                select(_P).where((_P.c.barcode == query.strip()) | (_P.c.sku == query.strip()), _P.c.active)
            ).all()
            # No ORDER BY rank: ranking every match of a one-letter prefix in a big catalog costs
            # more than a frame. The first matches, sorted by name, are what a cashier scans.
            rows = sorted(
                conn.execute(
                    select(_P).join(_FTS, _FTS.c.rowid == _P.c.id).where(_MATCH(match), _P.c.active).limit(limit)
                ).all(),
                key=lambda r: r.name.lower(),
            )
            if query.strip().isdigit() and len(rows) + len(exact) < limit:
                # A partly typed barcode: a range scan on the barcode index.
                q = query.strip()
                rows += conn.execute(
                    select(_P)
                    .where(_P.c.barcode >= q, _P.c.barcode < q + ":", _P.c.active)
                    .order_by(_P.c.barcode)
                    .limit(limit)
                ).all()
        seen, out = set(), []
        for row in [*exact, *rows]:
            if row.id not in seen:
                seen.add(row.id)
                out.append(_product(row))
        return out[:limit]

    def get(self, product_id: int) -> Product | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(_P).where(_P.c.id == product_id)).first()
            return _product(row) if row else None

    def all(self, include_inactive: bool = False) -> list[Product]:
        query = select(_P).order_by(_P.c.category, _P.c.name)
        if not include_inactive:
            query = query.where(_P.c.active)
        with self._engine.connect() as conn:
            return [_product(r) for r in conn.execute(query)]

    def save(self, product: Product) -> Product:
        """Insert, or update the product with the same SKU."""
        with storage_errors(), self._writer.begin() as conn:
            existing = conn.execute(select(_P.c.id).where(_P.c.sku == product.sku)).scalar()
            if existing is None:
                inserted = conn.execute(_P.insert().values(**product_row(product))).inserted_primary_key
                new_id = inserted[0] if inserted else None
            else:
                conn.execute(update(_P).where(_P.c.id == existing).values(**product_row(product)))
                new_id = existing
            outbox.product_edited(conn, product.sku)
            # The product's price, tax rate and codes as saved: an edit behind the catalog's back is found.
            audit.append(
                conn,
                audit.till_of(conn),
                "product_added" if existing is None else "product_changed",
                f"product {product.sku}",
                {"sku": product.sku, **audit.covers(conn, "product", [new_id])},
            )
        saved = self.get(new_id) if new_id is not None else None
        if saved is None:  # written in the transaction just committed
            raise StorageError("The product was saved but cannot be read back.")
        return saved

    def set_active(self, product_id: int, active: bool) -> None:
        with storage_errors(), self._writer.begin() as conn:
            conn.execute(update(_P).where(_P.c.id == product_id).values(active=active))
            sku = conn.execute(select(_P.c.sku).where(_P.c.id == product_id)).scalar()
            if sku is not None:
                outbox.product_edited(conn, sku)
                audit.append(
                    conn,
                    audit.till_of(conn),
                    "product_enabled" if active else "product_disabled",
                    f"product {sku}",
                    {"sku": sku, **audit.covers(conn, "product", [product_id])},
                )

    # -- CSV ---------------------------------------------------------------
    def import_csv(self, source: Path | str | io.TextIOBase, currency: str) -> ImportSummary:
        """Import every row or none: a bad row aborts with its line number and reason.

        Rows are checked before the database is touched; then they are written in batches of short
        transactions (an upsert per row on the SKU), so a selling till waits a moment at most. A
        product that was deactivated stays deactivated: the summary names it.
        """
        handle = open(source, newline="", encoding="utf-8-sig") if isinstance(source, (str, Path)) else source
        with handle:
            reader = csv.reader(handle)
            header = check_header(next(reader, []), CSV_COLUMNS)
            tile_columns = tuple(c for c in TILE_COLUMNS if c in header)
            products: list[Product] = []
            items: dict[str, StockItem] = {}  # the optional stock columns, by SKU
            seen_sku: dict[str, int] = {}  # first line of each SKU and barcode, to name both in an error
            seen_barcode: dict[str, int] = {}
            for cells in reader:
                line = reader.line_num
                if not cells:
                    continue
                if len(cells) != len(header):
                    raise CatalogImportError(
                        line,
                        f"has {len(cells)} fields but the header has {len(header)} (a comma inside a "
                        "value, like a decimal comma in 1,50, must be quoted; prices take a dot)",
                    )
                row = dict(zip(header, cells, strict=True))
                try:
                    product = product_from_row(row, currency)
                    item = stock_item_from_row(row)
                except (CatalogRowError, StockError) as exc:
                    raise CatalogImportError(line, str(exc)) from None
                if item is not None:
                    items[product.sku] = item
                if product.sku in seen_sku:
                    raise CatalogImportError(line, f"sku {product.sku} already on line {seen_sku[product.sku]}")
                if product.barcode and product.barcode in seen_barcode:
                    raise CatalogImportError(
                        line, f"barcode {product.barcode} already on line {seen_barcode[product.barcode]}"
                    )
                seen_sku[product.sku] = line
                if product.barcode:
                    seen_barcode[product.barcode] = line
                products.append(product)
        with core.reading(self._engine) as conn:
            by_sku = {sku: bool(active) for sku, active in conn.execute(select(_P.c.sku, _P.c.active))}
            by_barcode = {
                barcode: sku
                for barcode, sku in conn.execute(select(_P.c.barcode, _P.c.sku).where(_P.c.barcode.is_not(None)))
            }
        for product in products:
            owner = by_barcode.get(product.barcode)
            if product.barcode and owner is not None and owner != product.sku:
                raise CatalogImportError(
                    seen_sku[product.sku], f"barcode {product.barcode} belongs to sku {owner} already"
                )
        # Every row is checked above, so what follows only writes. In batches, each its own short
        # transaction: a selling till waits for one batch at most, never for the whole file. Should the
        # disk fail half-way, the batches written are whole, valid products and a new import completes it.
        for start in range(0, len(products), IMPORT_BATCH):
            if start:
                time.sleep(IMPORT_PAUSE_S)
            with core.writing(self._engine) as conn:
                batch = products[start : start + IMPORT_BATCH]
                conn.execute(
                    _upsert(tile_columns), [{k: v for k, v in product_row(p).items() if k != "active"} for p in batch]
                )
                skus = [p.sku for p in batch]
                # How they are stocked goes with them, with its own audit event.
                stock.write_items(conn, {sku: items[sku] for sku in skus if sku in items})
                outbox.products_edited(conn, skus)
                # One event per batch, in its transaction: every row it wrote, as written.
                audit.append(
                    conn,
                    audit.till_of(conn),
                    "products_imported",
                    f"{len(skus)} products from a CSV file",
                    audit.covers(conn, "product", audit.product_ids(conn, skus)),
                )
        return ImportSummary(
            added=sum(1 for p in products if p.sku not in by_sku),
            updated=sum(1 for p in products if p.sku in by_sku),
            kept_inactive=tuple(p.sku for p in products if by_sku.get(p.sku) is False),
        )

    def export_csv(self, target: io.TextIOBase) -> int:
        # RFC 4180 line ends: a cell holding a bare CR or LF is quoted, so it cannot break the row.
        writer_ = csv.DictWriter(target, fieldnames=CSV_COLUMNS + TILE_COLUMNS, lineterminator="\r\n")
        writer_.writeheader()
        products = self.all()
        for product in products:
            writer_.writerow(product_to_row(product))
        return len(products)
