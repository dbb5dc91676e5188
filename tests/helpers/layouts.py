"""A till file as a till from before Alembic left it: its layout numbered in PRAGMA user_version.

Tests that need an older layout than the fixtures in tests/fixtures hold make one from a file the
till just wrote: every revision after the baseline (0001, layout 12) is taken back by its own
downgrade, the version table goes, and the old number is set; the test then drops what that
layout did not have yet.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from pos.adapters.db.storage import VERSION_TABLE, alembic_config


def as_numbered_layout(db: Path, layout: int) -> None:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")  # before any BEGIN
            with conn.begin():
                command.downgrade(alembic_config(conn), "0001")
                conn.exec_driver_sql(f"DROP TABLE {VERSION_TABLE}")
                conn.exec_driver_sql(f"PRAGMA user_version = {int(layout)}")
    finally:
        engine.dispose()
