"""Alembic's environment for the till's own SQLite file: run by `pos.adapters.db.storage.migrate` on
the connection it hands over (config.attributes["connection"]), inside the one transaction that
migrates the file, with foreign keys already off so a table can be rebuilt."""

from __future__ import annotations

from alembic import context
from pos.adapters.db import schema

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=schema.metadata,
    version_table="till_schema_version",
    render_as_batch=True,  # SQLite changes most things about a table only by copying it
)
with context.begin_transaction():
    context.run_migrations()
