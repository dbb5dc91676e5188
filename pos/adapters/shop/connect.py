"""Connecting to the shop database: the URL, its password, the engine, and its migrations.

`--shop-db postgresql://user@host[:port]/shop` (or POS_SHOP_DB). The password never travels in the
URL, argv or a log line: it is read from the OS keyring (`pos shop set-password`), else libpq finds
it in ~/.pgpass (or PGPASSFILE) as for any PostgreSQL client. `sqlite:///path` is taken too: the
same tables and migrations on one machine (a trial, and the tests that run both engines).
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from pos.services.shop import ShopRefused, ShopUnreachable

log = logging.getLogger(__name__)

SHOP_DB_ENV = "POS_SHOP_DB"
KEYRING_SERVICE = "pos-till-shop-db"
MIGRATIONS = Path(__file__).parent / "migrations"


def parse_url(text: str) -> URL:
    """The shop database's address, checked; ShopRefused in the owner's words if it cannot be one."""
    try:
        url = make_url(text.strip())
    except ArgumentError:
        raise ShopRefused(
            "The shop database address is not one the till understands (use postgresql://user@host/shop)."
        ) from None
    if url.password:
        # Other users can read a process's arguments and environment: the password goes elsewhere.
        raise ShopRefused(
            "Keep the password out of the shop database address: store it with `pos shop set-password` "
            "(the OS keyring) or in ~/.pgpass."
        )
    backend = url.get_backend_name()
    if backend == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and url.database:
        return url
    raise ShopRefused("The shop database must be PostgreSQL (postgresql://user@host/shop).")


def keyring_account(url: URL) -> str:
    """The keyring entry's name for this database's password: who, where, which database."""
    return f"{url.username or ''}@{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def stored_password(url: URL) -> str | None:
    """The password kept in the OS keyring for this database, if any (None: let libpq look in .pgpass)."""
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, keyring_account(url))
    except (KeyringError, RuntimeError, OSError) as exc:
        log.warning("The keyring could not be read for the shop database's password (%s); trying ~/.pgpass.", exc)
        return None


def store_password(url: URL, password: str) -> None:
    import keyring

    keyring.set_password(KEYRING_SERVICE, keyring_account(url), password)


def describe(exc: BaseException) -> str:
    """psycopg's first line, without anything that could be a secret (it never echoes a password)."""
    text = str(getattr(exc, "orig", exc)).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    for known, words in (
        ("connection refused", "the server refused the connection: is it running?"),
        ("password authentication failed", "the password was refused"),
        ("no password supplied", "it asks for a password: store it with `pos shop set-password` or in ~/.pgpass"),
        ("does not exist", first),
        ("timeout", "it did not answer in time"),
        ("could not translate host name", "its host name is unknown"),
        ("server closed the connection", "the server closed the connection"),
        ("terminating connection", "the server is shutting down"),
        ("the database system is shutting down", "the server is shutting down"),
        ("the database system is starting up", "the server is starting up"),
    ):
        if known in first.lower():
            return words
    return first[:160]


def _read_only(exc: DBAPIError) -> bool:
    """PostgreSQL's read-only transaction (SQLSTATE 25006: a hot standby, default_transaction_read_only)
    or a trial shop's SQLite file that cannot be written."""
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) == "25006":
        return True
    return "readonly database" in str(orig).lower()


@contextlib.contextmanager
def shop_errors():
    """Failures of the shop database as ShopUnreachable (try again later) with a short reason."""
    try:
        yield
    except (OperationalError, DBAPIError) as exc:
        if _read_only(exc):
            raise ShopUnreachable(
                "The shop database is read-only (a standby server, or its administrator set it so); "
                "this till's records wait here until it takes writes again."
            ) from None
        if isinstance(exc, DBAPIError) and not exc.connection_invalidated and not isinstance(exc, OperationalError):
            raise  # a bug in a statement is not an outage
        raise ShopUnreachable(f"The shop database is unreachable: {describe(exc)}.") from None
    except OSError as exc:
        raise ShopUnreachable(f"The shop database is unreachable: {exc.strerror or exc}.") from None


def open_shop_engine(text: str, *, connect_timeout: int = 5) -> Engine:
    """An engine on the shop database (no connection made yet), its password from the keyring."""
    url = parse_url(text)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # SQLAlchemy's begin owns transactions
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA busy_timeout=30000")

        @event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # one writer at a time, as PostgreSQL's row locks give

        return engine
    connect_args: dict[str, object] = {
        "connect_timeout": connect_timeout,
        "application_name": "pos-till",
        # A network that drops packets (rather than refusing) must not hold a sync round for the
        # kernel's quarter of an hour: TCP keepalives notice a dead peer in ~25 s, and no statement
        # of the sync or a shop report runs longer than two minutes.
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "options": "-c statement_timeout=120000",
    }
    password = stored_password(url)
    if password:
        connect_args["password"] = password  # handed to libpq, never part of the URL that is logged
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True, pool_size=2, max_overflow=2)


def migrate(engine: Engine) -> None:
    """Bring the shop database to this till's layout (Alembic, the same migrations on both engines).
    Concurrent tills starting at once: PostgreSQL serialises them on an advisory lock."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with shop_errors(), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7246001)")  # 'pos' shop migrations
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


__all__ = [
    "SHOP_DB_ENV",
    "ShopRefused",
    "ShopUnreachable",
    "describe",
    "migrate",
    "open_shop_engine",
    "parse_url",
    "shop_errors",
    "store_password",
]
