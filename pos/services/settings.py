"""The store's settings as the till uses them (kept by the database adapter, not secret)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pos.domain import cash
from pos.domain.appearance import AppearanceError, parse_theme
from pos.domain.barcodes import BarcodeError, parse_patterns
from pos.domain.catalog import MAX_PRICE_MINOR
from pos.domain.giftcards import MAX_EXPIRY_MONTHS
from pos.domain import currency as currencies
from pos.domain.errors import PosError
from pos.domain.money import plain_decimal
from pos.domain.printer_setup import PrinterKind, PrinterSetup, PrinterSetupError
from pos.domain.text import TextError, check_text, first_invisible


class CustomerDisplayMode(StrEnum):
    """The customer display (services/customer_view.placement): on a second monitor when there is one
    (auto), also in a window on a single screen (on), or never (off)."""

    AUTO = "auto"
    ON = "on"
    OFF = "off"


@dataclass(frozen=True)
class StoreSettings:
    store_name: str = "Kopi & Co. Café"
    address: str = "12 Jalan Besar, Singapore 208790"
    currency: str = "SGD"
    tax_inclusive: bool = True
    default_tax_rate_bp: int = 900
    receipt_footer: str = "Thank you! Prices include 9% GST."
    till_id: str = "T1"
    locale: str = "en_SG"  # how money and dates are written (CLDR locale)
    time_zone: str = ""  # IANA name (Asia/Singapore) that decides calendar days; "" = the computer's
    printer_kind: str = ""  # receipt printer: "" (none), network, usb or serial (domain/printer_setup.py)
    printer_address: str = ""  # as its kind takes it: 192.168.1.50[:9100], 04b8:0202, /dev/ttyUSB0[@19200]
    cash_rounding: str = ""  # the cash part rounded to the nearest "0.05" or "0.10"; "" = none (domain/cash.py)
    reader_id: str = ""  # this till's Stripe Terminal reader (tmr_…); "" = none (services/readers.py)
    reader_tipping: bool = False  # the reader offers the customer a tip screen
    idle_lock_minutes: int = 0  # with cashiers: lock the till after this many idle minutes; 0 = never
    discount_limit_bp: int = 1000  # with cashiers: a discount above this share (10%) needs a manager
    # Where this till's stock is (issue 26): tills of one location share their levels through the shop
    # database; the shop's one location until a second one is named.
    location: str = "main"
    # Scale labels (issue 26, domain/barcodes.parse_patterns): prefix=weight|price[/item digits];…
    scale_labels: str = "21=weight;23=price"
    # With cashiers: an open price or custom amount above this (minor units: 100.00) needs a manager.
    open_price_limit_minor: int = 10_000
    # How this till's screen looks (domain/appearance.py): the system's light or dark mode, or light,
    # dark or high-contrast as the owner picked it. The till's own: another till may stand in the sun.
    theme: str = "system"
    customer_display: str = "auto"  # this till's customer display: auto, on or off (CustomerDisplayMode)
    # A gift card sold from now on expires this many months after it is issued; 0, the default: never
    # (many jurisdictions forbid expiry). Store credit never expires. Shop-wide.
    gift_card_expiry_months: int = 0

    @property
    def customer_display_mode(self) -> CustomerDisplayMode:
        return CustomerDisplayMode(self.customer_display)

    @property
    def printer(self) -> PrinterSetup:
        """The receipt printer as set up (saved settings were checked, so this parses)."""
        try:
            return PrinterSetup.parse(self.printer_kind, self.printer_address)
        except PrinterSetupError:
            return PrinterSetup()


class SettingsError(PosError, ValueError):
    pass


# Text settings that may hold line breaks (the receipt prints each line of them).
MULTILINE_SETTINGS = frozenset({"address", "receipt_footer"})
TEXT_SETTINGS = frozenset(f.name for f in fields(StoreSettings) if f.type in ("str", str))


def check_text_setting(name: str, value: str) -> str:
    """A text setting as it may be saved (from Settings, `pos settings set` or the shop), or
    SettingsError: no control character, which a receipt printer would run as a command."""
    try:
        return check_text(value, f"The {name.replace('_', ' ')}", multiline=name in MULTILINE_SETTINGS)
    except TextError as exc:
        raise SettingsError(str(exc)) from None


def check_location(name: str) -> str:
    """A location's name as kept (this till's `location` setting, a transfer's destination), or
    SettingsError: one line, not empty, nothing invisible (two names that read alike would be two
    shelves that every report shows as one)."""
    name = name.strip()
    if not name or "\n" in name or first_invisible(name) is not None:
        raise SettingsError("The location is a name on one line, like main or north.")
    return name


class SettingsStore(Protocol):
    def load(self) -> StoreSettings: ...
    def save(self, settings: StoreSettings) -> StoreSettings: ...


class TillIdRegistry(Protocol):
    """Who else uses a till id (the shop's sync, services/shop.py)."""

    def check_till_id(self, till_id: str) -> None: ...


class Settings:
    """The store's settings: what they are now, and a checked change.

    The store refuses, in the same transaction that writes, the changes that depend on what is
    on record (a till id with receipts not yet in a Z, a currency with sales in the old one).
    """

    def __init__(self, store: SettingsStore):
        self._store = store

    @property
    def current(self) -> StoreSettings:
        return self._store.load()

    def save(self, settings: StoreSettings) -> StoreSettings:
        """SettingsError (in the owner's words) when the change cannot be made; nothing is written then."""
        return self._store.save(checked(settings))

    def check_till_id(self, shop: TillIdRegistry | None, wanted: str) -> str:
        """The till-id rule, the same at every door (the Settings dialog, `pos settings set`): in a
        shop, an id another till has is refused (SettingsError, in the owner's words; nothing is to be
        saved). When the shop database cannot be asked now the id may be saved and the next sync checks
        it: the returned note says so ("" when there is nothing to add). Asked even for the id the
        till has now: a new folder starts as T1, which may be another till's. Runs off the UI thread."""
        from .shop import ShopRefused, ShopUnreachable  # the shop's sync is optional; its errors too

        wanted = wanted.strip()
        if shop is None:
            return ""
        try:
            shop.check_till_id(wanted)
        except ShopRefused as exc:
            raise SettingsError(str(exc)) from None
        except ShopUnreachable as exc:
            return f"The shop database could not be asked ({exc}); the next sync checks the till id."
        return ""

    def change(self, name: str, text: str) -> StoreSettings:
        """One setting from its text, as `pos settings set NAME VALUE` gives it, by the same rules as
        `save` (the Settings dialog's). SettingsError names the rule broken; nothing is written then."""
        current = self.current
        kinds = {f.name: f.type for f in fields(StoreSettings)}
        if name not in kinds:
            raise SettingsError(f"there is no setting {name!r} (see `pos settings show`)")
        kind = kinds[name]
        value: Any = text
        if kind in ("bool", bool):
            if text.strip().lower() not in _YES | _NO:
                raise SettingsError(f"{name} takes yes or no")
            value = text.strip().lower() in _YES
        elif kind in ("int", int):
            # Plain digits, as amounts are typed everywhere (domain/money.PLAIN_DECIMAL): int() alone
            # also reads '1_000' and other scripts' digits.
            number = plain_decimal(text)
            if number is None or "." in text:
                raise SettingsError(f"{name} takes a whole number")
            value = int(number)
        return self.save(replace(current, **{name: value}))


def time_zone_names() -> list[str]:
    """The time zones a shop picks from: zoneinfo's Area/City names (Asia/Singapore), sorted, and UTC.
    Left out: the aliases kept for old systems (Etc/GMT+8, which reads backwards, US/Pacific, Singapore,
    posix/…, right/…), which name the same zones as the Area/City ones."""
    from zoneinfo import available_timezones

    areas = "Africa America Antarctica Arctic Asia Atlantic Australia Europe Indian Pacific".split()
    return sorted(name for name in available_timezones() if name.split("/")[0] in areas and "/" in name) + ["UTC"]


def checked(settings: StoreSettings) -> StoreSettings:
    """The settings as they are saved, or SettingsError in the owner's words: the rules every door
    applies (the settings dialog, `pos settings set`, and settings that come down from the shop)."""
    settings = replace(settings, currency=settings.currency.strip().upper(), till_id=settings.till_id.strip())
    texts: dict[str, Any] = {name: check_text_setting(name, getattr(settings, name)) for name in TEXT_SETTINGS}
    settings = replace(settings, **texts)
    if not settings.till_id:
        raise SettingsError("The till id cannot be empty.")
    settings = replace(settings, location=check_location(settings.location))
    hidden = first_invisible(settings.till_id)
    if hidden is not None:
        # "T1" and "T1\u200b" would be two tills at the shop that every report shows as one.
        raise SettingsError(
            f"The till id holds an invisible character (U+{ord(hidden):04X}): it would read as another till's id."
        )
    if not currencies.is_known(settings.currency):
        raise SettingsError(f"unknown currency {settings.currency}")
    if settings.time_zone:
        try:
            ZoneInfo(settings.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(
                f"“{settings.time_zone}” is not a time zone (try a name like Asia/Singapore or Europe/Paris)."
            ) from None
    if not 0 <= settings.idle_lock_minutes <= 24 * 60:
        raise SettingsError("The idle lock is 0 (never) to 1440 minutes.")
    if not 0 <= settings.discount_limit_bp <= 10000:
        raise SettingsError("The discount limit is a share of the price, 0 to 100%.")
    try:
        parse_patterns(settings.scale_labels)
    except BarcodeError as exc:
        raise SettingsError(f"Scale labels: {exc} (like 21=weight;23=price).") from None
    if not 0 <= settings.open_price_limit_minor <= MAX_PRICE_MINOR:
        raise SettingsError("The open-price limit is 0 to what a card payment can take.")
    modes = ", ".join(mode.value for mode in CustomerDisplayMode)
    if settings.customer_display.strip().lower() not in modes.split(", "):
        raise SettingsError(f"The customer display is one of {modes}.")
    settings = replace(settings, customer_display=settings.customer_display.strip().lower())
    if not 0 <= settings.gift_card_expiry_months <= MAX_EXPIRY_MONTHS:
        raise SettingsError(f"Gift cards expire 0 (never) to {MAX_EXPIRY_MONTHS} months after they are sold.")
    if not 0 <= settings.default_tax_rate_bp <= 10000:
        raise SettingsError("The default tax rate is 0 to 100%.")
    if not _known_locale(settings.locale):
        raise SettingsError(f"“{settings.locale}” is not a locale (try a name like en_SG or fr_FR).")
    try:
        settings = replace(settings, theme=parse_theme(settings.theme).value)
    except AppearanceError as exc:
        raise SettingsError(str(exc)) from None
    try:
        cash.rounding_step(settings.cash_rounding, settings.currency)
    except cash.CashError as exc:
        raise SettingsError(str(exc)) from None
    return _printer_checked(settings)


_YES = frozenset({"1", "true", "yes", "on"})
_NO = frozenset({"0", "false", "no", "off"})


def _known_locale(name: str) -> bool:
    """A CLDR locale (en_SG, de_DE). The packaged app ships the data of a few languages only
    (build.spec; money falls back to English for the others), so a locale whose data is missing
    here still counts when its language and territory are CLDR's."""
    from babel import Locale, UnknownLocaleError
    from babel.core import parse_locale

    name = name.replace("-", "_")
    try:
        Locale.parse(name)
        return True
    except UnknownLocaleError:
        pass
    except (ValueError, TypeError):
        return False
    try:
        language, territory, _script, _variant = parse_locale(name)[:4]
    except ValueError:
        return False
    names = Locale("en")  # always shipped: CLDR's names of every language and territory
    return language in names.languages and (territory is None or territory in names.territories)


def _printer_checked(settings: StoreSettings) -> StoreSettings:
    """The printer's kind and address checked together, each settable before the other.

    One setting at a time (`pos settings set`) the kind or the address comes first: an address
    with no kind yet is kept as typed (it must be some printer's address), a kind with no address
    yet is kept too; either way no printer is used until both are there (`StoreSettings.printer`).
    """
    kind, address = settings.printer_kind.strip(), settings.printer_address.strip()
    if not kind and address:
        for candidate in (PrinterKind.NETWORK, PrinterKind.USB, PrinterKind.SERIAL):
            try:
                PrinterSetup.parse(candidate.value, address)
                return replace(settings, printer_kind="", printer_address=address)
            except PrinterSetupError:
                continue
        raise SettingsError(f"“{address}” is not a printer's address (try 192.168.1.50:9100, 04b8:0202 or COM3).")
    if kind and not address:
        try:
            return replace(settings, printer_kind=PrinterKind(kind).value, printer_address="")
        except ValueError:
            pass  # parse below says which kinds there are
    try:
        printer = PrinterSetup.parse(kind, address)
    except PrinterSetupError as exc:
        raise SettingsError(str(exc)) from None
    return replace(settings, printer_kind=printer.kind.value, printer_address=printer.address)
