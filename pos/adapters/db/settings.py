"""Store settings (not secret) kept in the database."""

from __future__ import annotations

from dataclasses import asdict, fields, replace
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine


from pos.services.settings import SettingsError, StoreSettings

from . import audit, outbox
from .errors import storage_errors
from .schema import writer


# The settings every till of a shop shares (the shop database holds them); the rest are the till's
# own: its id, its printer and its card reader.
SHOP_WIDE = (
    "store_name",
    "address",
    "currency",
    "tax_inclusive",
    "default_tax_rate_bp",
    "receipt_footer",
    "locale",
    "time_zone",
    "cash_rounding",
    "reader_tipping",
    "idle_lock_minutes",
    "discount_limit_bp",
)


def decode(name: str, raw: str):
    """A stored setting's text as its field's type."""
    kind = next(f.type for f in fields(StoreSettings) if f.name == name)
    return (raw == "1") if kind in ("bool", bool) else (int(raw) if kind in ("int", int) else raw)


def encode(value) -> str:
    return "1" if value is True else "0" if value is False else str(value)


class SettingsRepo:
    def __init__(self, engine: Engine):
        self._engine = engine
        self._writer = writer(engine)
        self._cached: StoreSettings | None = None

    def load(self) -> StoreSettings:
        # Settings change only through save() on this repo; receipts read them on every sale.
        if self._cached is None:
            self._cached = self._read()
        return self._cached

    def _read(self) -> StoreSettings:
        with self._engine.connect() as conn:
            stored: dict[str, str] = {
                key: value for key, value in conn.execute(text("SELECT key, value FROM settings"))
            }
        values: dict[str, Any] = {
            f.name: decode(f.name, stored[f.name]) for f in fields(StoreSettings) if f.name in stored
        }
        return StoreSettings(**values)

    def forget(self) -> None:
        """Read again on the next load (the shop's sync wrote settings behind this cache)."""
        self._cached = None

    def save(self, settings: StoreSettings) -> StoreSettings:
        """Write settings the Settings service checked; refuse what the records on file forbid."""
        current = self.load()
        settings = replace(settings, currency=settings.currency.upper())
        with storage_errors(), self._writer.begin() as conn:
            if settings.till_id != current.till_id:
                # Receipts are numbered per till; a day left open under the old id could never be
                # closed by a Z once the till answers to the new one.
                closed = conn.execute(
                    text("SELECT coalesce(max(last_receipt_no), 0) FROM z_reports WHERE till_id = :t"),
                    {"t": current.till_id},
                ).scalar_one()
                open_receipts = conn.execute(
                    text("SELECT count(*) FROM receipts WHERE till_id = :t AND receipt_no > :n"),
                    {"t": current.till_id, "n": closed},
                ).scalar_one()
                if open_receipts:
                    raise SettingsError(
                        f"Close the day (Z report) before changing the till id: {open_receipts} receipt(s) of till "
                        f"{current.till_id} are not in a Z report yet."
                    )
            if settings.currency != current.currency:
                sales = conn.execute(text("SELECT count(*) FROM sales")).scalar_one()
                if sales:
                    raise SettingsError(
                        f"The currency cannot change from {current.currency} to {settings.currency}: "
                        f"{sales} sale(s) are on record in {current.currency}."
                    )
            self._cached = None
            changed = {k: v for k, v in asdict(settings).items() if asdict(current).get(k) != v}
            driver = conn.connection.driver_connection
            assert driver is not None  # an open transaction's connection
            before = dict(driver.execute("SELECT key, value FROM settings").fetchall())
            if changed:
                shared = [key for key in changed if key in SHOP_WIDE]
                if shared:  # the whole shop's settings go to the shop database on the next sync
                    outbox.settings_edited(driver, shared)
            written = []
            for key, value in asdict(settings).items():
                stored = encode(value)
                if before.get(key) == stored:
                    continue
                written.append(key)
                conn.execute(
                    text(
                        "INSERT INTO settings(key, value) VALUES (:k, :v) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
                    ),
                    {"k": key, "v": stored},
                )
            if changed or written:
                # Settings hold nothing secret (the key is in the keyring), so the change is recorded as
                # is, with the digest of every row written (a row edited behind the till's back is found).
                audit.append(
                    driver,
                    settings.till_id,
                    "settings_changed",
                    "store settings",
                    {**changed, **audit.covers(driver, "setting", written)},
                )
        self._cached = settings
        return settings


class SettingsKeyMarker:
    """Whether a Stripe key was set up for a profile, kept as a plain flag in the settings table
    (`key_configured:<profile>`): never the key, never part of it."""

    def __init__(self, engine: Engine, profile: str):
        self._engine, self._name = engine, f"key_configured:{profile}"

    def was_configured(self) -> bool:
        return local_flag(self._engine, self._name)

    def set_configured(self, configured: bool) -> None:
        # Never the key: only that it was set up or removed for this profile.
        set_local_flag(
            self._engine,
            self._name,
            configured,
            "key_changed",
            self._name.partition(":")[2],
            {"configured": configured},
        )


def local_flag(engine: Engine, name: str) -> bool:
    with storage_errors(), engine.connect() as conn:
        return conn.execute(text("SELECT value FROM settings WHERE key = :k"), {"k": name}).scalar() == "1"


def set_local_flag(
    engine: Engine, name: str, value: bool, kind: str, subject: str, payload: dict[str, Any], approved_by: str = ""
) -> None:
    """A till's own flag in the settings table, written with the audit event that records its change."""
    with storage_errors(), writer(engine).begin() as conn:
        till = conn.execute(text("SELECT value FROM settings WHERE key = 'till_id'")).scalar() or "T1"
        conn.execute(
            text(
                "INSERT INTO settings(key, value) VALUES (:k, :v) ON CONFLICT(key) DO UPDATE SET value = excluded.value"
            ),
            {"k": name, "v": "1" if value else "0"},
        )
        # With the row's digest as written: a flag flipped behind the till's back is found.
        driver = conn.connection.driver_connection
        covered = audit.covers(driver, "setting", [name])
        audit.append(driver, till, kind, subject, {**payload, **covered}, approved_by=approved_by)


class ShopLinkRecord:
    """How this till reaches the shop database, as the owner chose it: whether plaintext is allowed
    (`shop_link_plaintext` in the settings table, this till's own: it never comes down from the shop)
    and, in the audit trail, every change of it and of the CA kept in the data folder."""

    _NAME = "shop_link_plaintext"

    def __init__(self, engine: Engine):
        self._engine = engine

    def plaintext_allowed(self) -> bool:
        return local_flag(self._engine, self._NAME)

    def allow_plaintext(self, allowed: bool, approved_by: str = "") -> None:
        self._record("plaintext", {"plaintext_allowed": allowed}, allowed, approved_by)

    def ca_kept(self, sha256: str, approved_by: str = "") -> None:
        """A CA was kept with `pos shop set-ca`: the link is verified with it from now on, so an
        earlier opt-out to plaintext ends here too."""
        self._record("ca", {"ca_sha256": sha256, "plaintext_allowed": False}, False, approved_by)

    def _record(self, subject: str, payload: dict[str, Any], allowed: bool, approved_by: str) -> None:
        set_local_flag(self._engine, self._NAME, allowed, "shop_link_changed", subject, payload, approved_by)
