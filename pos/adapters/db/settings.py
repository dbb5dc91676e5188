"""Store settings (not secret) kept in the database."""

from __future__ import annotations

import re
from dataclasses import asdict, fields, replace
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine


from pos.services.settings import SettingsError, StoreSettings

from . import core
from . import schema as tables


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
    "scale_labels",
    "open_price_limit_minor",
    "gift_card_expiry_months",
)


def decode(name: str, raw: str):
    """A stored setting's text as its field's type."""
    kind = next(f.type for f in fields(StoreSettings) if f.name == name)
    return (raw == "1") if kind in ("bool", bool) else (int(raw) if kind in ("int", int) else raw)


_WHOLE_NUMBER = re.compile(r"-?[0-9]+", re.ASCII)


def decode_written(name: str, raw: str):
    """A setting's text as `encode` writes it, as its field's type; ValueError for any other text. For a
    row another program or an owner may have written (the shop's settings): `decode` takes any text but
    "1" as no (an owner's 'true' turned tax-inclusive prices off) and int() takes "1_5" and " 15"."""
    kind = next(f.type for f in fields(StoreSettings) if f.name == name)
    if kind in ("bool", bool) and raw not in ("0", "1"):
        raise ValueError(f"not a yes/no setting as written: {raw!r}")
    if kind in ("int", int) and not _WHOLE_NUMBER.fullmatch(raw):
        raise ValueError(f"not a whole number as written: {raw!r}")
    return decode(name, raw)


def encode(value) -> str:
    return "1" if value is True else "0" if value is False else str(value)


_S = tables.settings
_ALL = select(_S.c.key, _S.c.value)
_ONE = select(_S.c.value).where(_S.c.key == bindparam("key"))
_PUT = sqlite_insert(_S).values(key=bindparam("key"), value=bindparam("value"))
_PUT = _PUT.on_conflict_do_update(index_elements=[_S.c.key], set_={"value": _PUT.excluded.value})


def stored_value(conn: Connection, key: str) -> str | None:
    """One row of the settings table as stored (a setting or the till's own bookkeeping), in conn's transaction."""
    return conn.execute(_ONE, {"key": key}).scalar()


def store_value(conn: Connection, key: str, value: str) -> None:
    """Write one row of the settings table, in the caller's transaction (its audit event is the caller's)."""
    conn.execute(_PUT, {"key": key, "value": value})


class SettingsRepo:
    def __init__(self, engine: Engine):
        self._engine = engine
        self._cached: StoreSettings | None = None

    def load(self) -> StoreSettings:
        # Settings change only through save() on this repo; receipts read them on every sale.
        if self._cached is None:
            self._cached = self._read()
        return self._cached

    def _read(self) -> StoreSettings:
        with core.reading(self._engine) as conn:
            stored: dict[str, str] = {key: value for key, value in conn.execute(_ALL)}
        values: dict[str, Any] = {
            f.name: decode(f.name, stored[f.name]) for f in fields(StoreSettings) if f.name in stored
        }
        return StoreSettings(**values)

    def forget(self) -> None:
        """Read again on the next load (the shop's sync wrote settings behind this cache)."""
        self._cached = None

    def save(self, settings: StoreSettings) -> StoreSettings:
        """Write settings the Settings service checked; refuse what the records on file forbid."""
        # On first use: a command that only reads the settings (`pos report`) loads neither (issue 27).
        from . import audit, outbox

        current = self.load()
        settings = replace(settings, currency=settings.currency.upper())
        with core.writing(self._engine) as conn:
            if settings.till_id != current.till_id:
                # Receipts are numbered per till; a day left open under the old id could never be
                # closed by a Z once the till answers to the new one.
                z, r = tables.z_reports.c, tables.receipts.c
                closed = conn.execute(
                    select(func.coalesce(func.max(z.last_receipt_no), 0)).where(z.till_id == current.till_id)
                ).scalar_one()
                open_receipts = conn.execute(
                    select(func.count()).where(r.till_id == current.till_id, r.receipt_no > closed)
                ).scalar_one()
                if open_receipts:
                    raise SettingsError(
                        f"Close the day (Z report) before changing the till id: {open_receipts} receipt(s) of till "
                        f"{current.till_id} are not in a Z report yet."
                    )
            if settings.currency != current.currency:
                sales = conn.execute(select(func.count()).select_from(tables.sales)).scalar_one()
                if sales:
                    raise SettingsError(
                        f"The currency cannot change from {current.currency} to {settings.currency}: "
                        f"{sales} sale(s) are on record in {current.currency}."
                    )
            self._cached = None
            changed = {k: v for k, v in asdict(settings).items() if asdict(current).get(k) != v}
            before = {key: value for key, value in conn.execute(_ALL)}
            if changed:
                shared = [key for key in changed if key in SHOP_WIDE]
                if shared:  # the whole shop's settings go to the shop database on the next sync
                    outbox.settings_edited(conn, shared)
            written = []
            for key, value in asdict(settings).items():
                stored = encode(value)
                if before.get(key) == stored:
                    continue
                written.append(key)
                conn.execute(_PUT, {"key": key, "value": stored})
            if changed or written:
                # Settings hold nothing secret (the key is in the keyring), so the change is recorded as
                # is, with the digest of every row written (a row edited behind the till's back is found).
                audit.append(
                    conn,
                    settings.till_id,
                    "settings_changed",
                    "store settings",
                    {**changed, **audit.covers(conn, "setting", written)},
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
    with core.reading(engine) as conn:
        return conn.execute(_ONE, {"key": name}).scalar() == "1"


def set_local_flag(
    engine: Engine, name: str, value: bool, kind: str, subject: str, payload: dict[str, Any], approved_by: str = ""
) -> None:
    """A till's own flag in the settings table, written with the audit event that records its change."""
    from . import audit

    with core.writing(engine) as conn:
        till = conn.execute(_ONE, {"key": "till_id"}).scalar() or "T1"
        conn.execute(_PUT, {"key": name, "value": "1" if value else "0"})
        # With the row's digest as written: a flag flipped behind the till's back is found.
        covered = audit.covers(conn, "setting", [name])
        audit.append(conn, till, kind, subject, {**payload, **covered}, approved_by=approved_by)


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
