"""Connecting to the shop database: the URL, its password, the engine, and its migrations.

`--shop-db postgresql://user@host[:port]/shop` (or POS_SHOP_DB). The password never travels in the
URL, argv or a log line: it is read from the OS keyring (`pos shop set-password`), else libpq finds
it in ~/.pgpass (or PGPASSFILE) as for any PostgreSQL client. `sqlite:///path` is taken too: the
same tables and migrations on one machine (a trial, and the tests that run both engines).

The link is TLS, verified (`sslmode=verify-full`: the server's certificate is signed by a CA the
till trusts and names the host dialled): the CA kept in the data folder by `pos shop set-ca FILE`,
else the system's store. libpq's own default (`prefer`) would fall back to plaintext and take any
certificate, so receipts could cross the shop's network readable and a machine in the middle would
go unnoticed. Plaintext is allowed only when the owner opts out for a trusted network with
`pos shop allow-plaintext` (recorded in the audit trail), or when the server is on this machine
(loopback or a Unix socket: nothing crosses a network) and no CA was set.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import logging
import os
import re
import ssl
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from pos.adapters.shop import SHOP_DB_ENV
from pos.services.shop import ShopRefused, ShopUnreachable

log = logging.getLogger(__name__)

KEYRING_SERVICE = "pos-till-shop-db"
MIGRATIONS = Path(__file__).parent / "migrations"
CA_FILE = "shop-ca.pem"  # in the data folder: the CA that signs the shop server's certificate
PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"
MAX_CA_BYTES = 4_000_000  # a bundle of every public CA is ~0.25 MB


def parse_url(text: str) -> URL:
    """The shop database's address, checked; ShopRefused in the owner's words if it cannot be one."""
    try:
        url = make_url(text.strip())
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
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
    if backend == "postgresql" and any(key.startswith("ssl") or key == "requiressl" for key in url.query):
        # One door for the link's security: a weaker sslmode typed into an address would undo it.
        raise ShopRefused(
            "Leave ssl settings out of the shop database address: the till always checks the server's "
            "certificate (set its CA with `pos shop set-ca FILE`)."
        )
    if backend == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and url.database:
        return url
    raise ShopRefused("The shop database must be PostgreSQL (postgresql://user@host/shop).")


def ca_file(data_dir: Path) -> Path:
    return Path(data_dir) / CA_FILE


def read_ca(source: Path) -> bytes:
    """The CA certificate file `source`, checked as OpenSSL reads it; ShopRefused in the owner's
    words if it cannot be read or is not a PEM certificate."""
    try:
        if Path(source).exists() and not Path(source).is_dir() and not Path(source).is_file():
            # /dev/zero, /dev/stdin or a pipe: read whole it never ends, or waits for ever.
            raise ShopRefused(f"{source} is not a file (a CA certificate is a PEM file).")
        with open(source, "rb") as handle:
            pem = handle.read(MAX_CA_BYTES + 1)
        if len(pem) > MAX_CA_BYTES:
            raise ShopRefused(f"{source} is larger than a CA certificate file (over {MAX_CA_BYTES // 1_000_000} MB).")
    except FileNotFoundError:
        raise ShopRefused(f"There is no file {source}.") from None
    except IsADirectoryError:
        raise ShopRefused(f"{source} is a folder, not a CA certificate file.") from None
    except OSError as exc:
        raise ShopRefused(f"{source} cannot be read ({exc.strerror or exc}).") from None
    # The certificates themselves, as OpenSSL (and so libpq) reads them: text around them, such as
    # a bundle's "# Issuer: …" comments, is skipped there too.
    blocks = re.findall(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", pem, re.DOTALL)
    try:
        if not blocks:
            raise ssl.SSLError
        ssl.create_default_context(cadata=b"\n".join(blocks).decode("ascii"))
    except (ssl.SSLError, UnicodeDecodeError, ValueError):
        raise ShopRefused(f"{source} is not a CA certificate (a PEM file with {PEM_CERTIFICATE}).") from None
    return pem


def keep_ca(data_dir: Path, pem: bytes) -> str:
    """Keep the CA certificate `pem` (from read_ca) in the data folder, where the link looks for
    it; its SHA-256, for the audit trail."""
    target = ca_file(data_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_bytes(pem)
    os.replace(partial, target)  # a CA half written is never the one the link reads
    return hashlib.sha256(pem).hexdigest()


def _hosts(url: URL) -> list[str]:
    """Every host (and host address) libpq may dial for this URL, as it picks them."""
    given = [url.host or ""]
    for key in ("host", "hostaddr"):
        values = url.query.get(key, ())
        given.extend([values] if isinstance(values, str) else values)
    if "hostaddr" not in url.query:
        # libpq takes PGHOSTADDR from the environment even when the address names a host, and then
        # dials it instead of that host: `localhost` in the address would not make the link local.
        given.append(os.environ.get("PGHOSTADDR", ""))
    named = [part.strip() for value in given for part in value.split(",")]  # libpq's multi-host lists
    return [host for host in named if host] or [os.environ.get("PGHOST", "")]


def _service_named(url: URL) -> bool:
    """A connection service (`?service=` or PGSERVICE): its file (pg_service.conf) may name any host
    or host address, which libpq dials though the address names none; the till does not read it, so
    such a link is not taken to stay on this machine."""
    return bool(url.query.get("service") or os.environ.get("PGSERVICE"))


def _on_this_machine(host: str) -> bool:
    """Loopback or a Unix socket (libpq's default when no host is named): no network is crossed."""
    if not host or host.startswith("/") or host.startswith("@") or host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _system_roots() -> str:
    """The system's trusted CAs: the file Python's OpenSSL reads, else libpq's own `system`."""
    found = ssl.get_default_verify_paths()
    for path in (found.cafile, found.openssl_cafile):
        if path and os.path.isfile(path):
            return path
    return "system"


@dataclass(frozen=True)
class LinkSecurity:
    """How the till reaches the shop database: libpq's sslmode, the CAs it checks with, and why."""

    sslmode: str
    rootcert: str | None
    text: str  # for `pos settings show`

    def connect_args(self) -> dict[str, str]:
        return {"sslmode": self.sslmode, **({"sslrootcert": self.rootcert} if self.rootcert else {})}


def link_security(url: URL, data_dir: Path | None, *, plaintext_allowed: bool = False) -> LinkSecurity:
    """verify-full with the data folder's CA or the system's store; `prefer` (TLS if the server
    offers it, unchecked) only when the owner allowed plaintext, or the server is on this machine
    and no CA was set."""
    ca = ca_file(data_dir) if data_dir is not None else None
    if plaintext_allowed:
        return LinkSecurity("prefer", None, "plaintext allowed by the owner (`pos shop allow-plaintext`)")
    if ca is not None and ca.is_file():
        return LinkSecurity("verify-full", str(ca), "TLS, the certificate checked with the CA from `pos shop set-ca`")
    if not _service_named(url) and all(_on_this_machine(host) for host in _hosts(url)):
        return LinkSecurity("prefer", None, "on this machine (TLS if the server offers it, unchecked)")
    return LinkSecurity("verify-full", _system_roots(), "TLS, the certificate checked with the system's CAs")


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
        (
            "does not support ssl",
            "it offers no TLS, and this till does not send over a plaintext link (turn ssl on at the server; "
            "on a trusted network the owner may run `pos shop allow-plaintext`)",
        ),
        (
            "certificate verify failed",
            # libpq says no more than this: another CA's signature, an expired certificate and one
            # not yet valid all read the same, so all three are named (the owner fixes either side).
            "its certificate is not signed by the CA this till trusts, or has expired or is not yet valid, "
            "so the till does not send to it (set the shop's CA with `pos shop set-ca FILE`, or renew the "
            "server's certificate)",
        ),
        (
            "does not match host name",
            "its certificate is for another host name than the one in the address, so the till does not send to it",
        ),
        ("could not read root certificate", "the CA file kept by `pos shop set-ca` cannot be read"),
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


def open_shop_engine(
    text: str, *, data_dir: Path | None = None, plaintext_allowed: bool = False, connect_timeout: int = 5
) -> Engine:
    """An engine on the shop database (no connection made yet), its password from the keyring, its
    link verified TLS (link_security: the CA kept in `data_dir`, or the system's)."""
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
        **link_security(url, data_dir, plaintext_allowed=plaintext_allowed).connect_args(),
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
    "CA_FILE",
    "SHOP_DB_ENV",
    "ShopRefused",
    "ShopUnreachable",
    "LinkSecurity",
    "ca_file",
    "describe",
    "keep_ca",
    "read_ca",
    "link_security",
    "migrate",
    "open_shop_engine",
    "parse_url",
    "shop_errors",
    "store_password",
]
