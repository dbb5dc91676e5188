"""A real PostgreSQL for the shop tests (tests/helpers/pg.py), one cluster per test run, a fresh
database per test."""

from __future__ import annotations

import os

import pytest

from tests.helpers.pg import PgServer


@pytest.fixture(scope="session")
def pg():
    server = PgServer()
    previous = os.environ.get("PGPASSFILE")
    os.environ["PGPASSFILE"] = str(server.pgpass)  # what a shop's tills would keep in ~/.pgpass
    try:
        yield server
    finally:
        if previous is None:
            os.environ.pop("PGPASSFILE", None)
        else:
            os.environ["PGPASSFILE"] = previous
        server.destroy()


@pytest.fixture
def shop_db(pg):
    """The URL of an empty shop database."""
    if not _running(pg):
        pg.start()
    return pg.new_database()


def _running(pg) -> bool:
    try:
        with pg.admin():
            return True
    except Exception:  # noqa: BLE001 - a stopped server is what this asks about
        return False
