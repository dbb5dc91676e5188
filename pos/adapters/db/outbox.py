"""The local half of the shop's catalog and settings outbox (table `shop_outbox`, schema.py)."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from . import schema as tables
from .raw import now_iso

_EDITED = insert(tables.shop_outbox)


def product_edited(conn: Connection, sku: str) -> None:
    """Inside the edit's transaction: this product is to go to the shop."""
    products_edited(conn, [sku])


def products_edited(conn: Connection, skus: list[str]) -> None:
    _edited(conn, "product", skus)


def settings_edited(conn: Connection, keys: list[str]) -> None:
    _edited(conn, "setting", keys)


def _edited(conn: Connection, kind: str, keys: list[str]) -> None:
    if keys:
        stamp = now_iso()
        conn.execute(_EDITED, [{"kind": kind, "key": key, "at": stamp} for key in keys])
