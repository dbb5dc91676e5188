"""The local half of the shop's catalog and settings outbox (table `shop_outbox`, schema.py)."""

from __future__ import annotations

from .raw import now_iso


def product_edited(conn, sku: str) -> None:
    """Inside the edit's transaction (a sqlite3 connection): this product is to go to the shop."""
    conn.execute("INSERT INTO shop_outbox (kind, key, at) VALUES ('product', ?, ?)", (sku, now_iso()))


def products_edited(conn, skus: list[str]) -> None:
    stamp = now_iso()
    conn.executemany("INSERT INTO shop_outbox (kind, key, at) VALUES ('product', ?, ?)", [(s, stamp) for s in skus])


def settings_edited(conn, keys: list[str]) -> None:
    stamp = now_iso()
    conn.executemany("INSERT INTO shop_outbox (kind, key, at) VALUES ('setting', ?, ?)", [(k, stamp) for k in keys])
