"""A real PostgreSQL for the shop tests (tests/helpers/pg.py), one cluster per test run, a fresh
database per test. It takes TCP connections over TLS only; the tests' tills keep its CA in their
data folders (tests/helpers/shop.py) and so check its certificate (verify-full)."""

from __future__ import annotations

import os

import pytest

from tests.helpers.pg import PgServer
from tests.helpers.shop import SHOP_CA_ENV


@pytest.fixture(scope="session")
def pg():
    server = PgServer()
    kept = {
        "PGPASSFILE": str(server.pgpass),  # what a shop's tills would keep in ~/.pgpass
        SHOP_CA_ENV: str(server.ca),  # what a shop's tills keep with `pos shop set-ca`
    }
    previous = {name: os.environ.get(name) for name in kept}
    os.environ.update(kept)
    try:
        yield server
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
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
