"""Alembic's environment for the shop database: run by `pos.adapters.shop.connect.migrate` on the
connection it hands over (config.attributes["connection"]), on PostgreSQL or SQLite alike."""

from __future__ import annotations

from alembic import context

from pos.adapters.shop.tables import ALL_TABLES

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=ALL_TABLES,
    version_table="shop_schema_version",
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
