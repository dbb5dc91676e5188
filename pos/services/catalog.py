"""The catalog as the sale screen reads it: categories, products of one, search, exact codes.

The database adapter (CatalogRepo) answers it; the product panel sees only this.
"""

from __future__ import annotations

from typing import Protocol

from pos.domain.catalog import Product


class CatalogReader(Protocol):
    def categories(self) -> list[str]: ...
    def in_category(self, category: str) -> list[Product]: ...
    def search(self, query: str, limit: int = 60) -> list[Product]: ...
    def find_code(self, code: str) -> Product | None: ...
