"""What comes down from the shop database is checked with the rules of a local edit.

Another till, an older version of this app, or a person with a SQL prompt may have written the
shop's rows: a till takes a product or a setting from the shop only if the catalog's rules (the
CSV import's and the back office's: domain.catalog.product_from_row) and the settings' rules
(services.settings.checked) would take it typed here. A row that fails is set aside by the sync
(adapters/shop/sync.py), reported, and never applied; the rest of the round goes on.

The one place for these checks: extend these two functions, not the sync.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pos.domain import tax
from pos.domain.catalog import CatalogRowError, Product, product_from_row
from pos.domain.money import Money

from .settings import SettingsError, StoreSettings, checked


def product_from_shop(row: Mapping[Any, Any], currency: str) -> Product:
    """The shop's product row as this till would save it; CatalogRowError (why) if it must not be taken."""
    if str(row["currency"]).upper() != currency.upper():
        raise CatalogRowError(f"its price is in {row['currency']}, and this till sells in {currency}")
    product = product_from_row(
        {
            "sku": str(row["sku"] or ""),
            "barcode": str(row["barcode"] or ""),  # "" is no barcode (never a barcode two products share)
            "name": str(row["name"] or ""),
            "category": str(row["category"] or ""),
            "price": Money(int(row["price_minor"]), currency).major_text(),
            "tax_rate": tax.format_rate(int(row["tax_rate_bp"])),
            # The tile's look, checked as a file's or a form's (a shop row from an older till has none).
            "colour": "" if row.get("colour") is None else str(row["colour"]),
            "favourite": "" if row.get("favourite") is None else str(row["favourite"]),
        },
        currency,
    )
    return replace(product, active=bool(row["active"]))


def setting_from_shop(current: StoreSettings, name: str, value: Any) -> StoreSettings:
    """The settings with the shop's value of `name`; SettingsError (why) if it must not be taken."""
    return checked(replace(current, **{name: value}))


__all__ = ["SettingsError", "product_from_shop", "setting_from_shop"]
