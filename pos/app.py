"""Wiring: the database, the gateway (Stripe, or the embedded sandbox in demo mode), services, window.

`create_main_window` is what the entry point and the tests both use; it makes
no QApplication and runs no event loop.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from pos.adapters.db import audit as audit_db
from pos.adapters.db.audit import AuditRepo
from pos.adapters.db.cashiers import CashierRepo
from pos.adapters.db.catalog import CatalogRepo
from pos.adapters.db.drawer import SqlDrawerLog
from pos.adapters.db.giftcards import SqlRedemptions, TillGiftCards
from pos.adapters.db.journal import SqlJournal
from pos.adapters.db.receipts import ReceiptsRepo
from pos.adapters.db.refunds import SqlRefunds
from pos.adapters.db.exchanges import SqlExchanges
from pos.adapters.db.returns import SqlReturns
from pos.adapters.db.reports import ReportsRepo
from pos.adapters.db.storage import (
    can_sell_from,
    checked_in_full_at_open,
    close_engine,
    full_check,
    open_engine,
    prepare_data_dir,
)
from pos.adapters.db.stock import TillStock
from pos.adapters.db.settings import SettingsKeyMarker, SettingsRepo, ShopLinkRecord
from pos.adapters.escpos_printer import EscposPrinter, load_library
from pos.adapters.folder_lock import FolderInUse, FolderLock
from pos.domain.money import Money
from pos.domain.stock import Unit
from pos.paths import resource_path
from pos.services.catalog import Catalog, Imported
from pos.services.checkout import Checkout
from pos.services.gateway import PaymentGateway
from pos.services.giftcards import GiftCards, ShopLedger
from pos.services.tenders.gift_card import GiftCardPayments
from pos.services.about import AboutTill
from pos.services.audit_trail import AuditTrail
from pos.services.readers import CardReaders
from pos.services.staff import Staff
from pos.services.keys import KEY_ENV, KeyManager, KeyRefused, KeyState
from pos.services.drawer import CashDrawer
from pos.services.receipt_printing import Printing
from pos.services.receipts import Receipts, today_in
from pos.services.refunds import RefundClaims, Refunds
from pos.services.returns import Returns
from pos.services.store_credit import GiftCardStoreCredit
from pos.services.reports import Reports
from pos.services.settings import Settings, StoreSettings
from pos.services.shop import ShopSync
from pos.services.counter import Counter
from pos.services.stock import Stock
from pos.services.storage_watch import StorageVerdict, StorageWatch, cannot_sell_there, verdict
from pos.services.till import Till

if TYPE_CHECKING:
    from pos.sandbox import Sandbox

log = logging.getLogger(__name__)

DEMO_KEY = "sk_test_demo0till0sandbox"
# Demo sales are numbered and reported under their own till id, so they never take a number of the
# real receipt sequence nor count in its reports.
DEMO_TILL_PREFIX = "DEMO-"
PROFILE_ENV = "POS_PROFILE"


def check_stripe_key(key: str, base_url: str | None) -> None:
    """One cheap read call that proves Stripe (or the sandbox) takes the key; KeyRefused if not."""
    from pos.services.gateway import GatewayError, NotAuthorized

    from pos.adapters.stripe_gateway import StripeGateway  # on first use: the back office never loads stripe

    gateway = StripeGateway(key, base_url, timeout=(5.0, 10.0), max_network_retries=0)
    try:
        gateway.check_key()
    except NotAuthorized:
        raise KeyRefused("Stripe refused this key (it is not valid, or it was revoked). It was not saved.") from None
    except GatewayError:
        raise KeyRefused(
            "Could not reach Stripe to check the key, so it was not saved. Check the connection and try again."
        ) from None


class BackOffice:
    """The services that need no payment provider, on one data folder: store settings, catalog,
    receipts, reports. What the CLI's back-office commands use; the till's context adds the rest."""

    def __init__(self, data_dir: Path, engine: Engine, shop_db: str | None = None, *, shop_batch: int | None = None):
        self.data_dir = data_dir
        self._engine = engine
        settings_repo = SettingsRepo(engine)  # one settings cache for every adapter, as receipts read it
        self._settings_repo = settings_repo
        self.store_settings = Settings(settings_repo)
        self.catalog = Catalog(CatalogRepo(engine), self._currency, lambda: self.settings, self._unit_of)
        self._refund_journal = SqlRefunds(engine, settings_repo)
        self.receipts = Receipts(ReceiptsRepo(engine, settings_repo), self._refund_journal, self._currency)
        self.reports = Reports(self._report_store, lambda: self.till_id, self._currency)
        # Who is at the till (cashiers, approvals, voids) and the audit trail every record joins.
        audit_db.set_actor("")  # nobody is signed in to a till just opened
        self.staff = Staff(CashierRepo(engine, lambda: self.till_id), on_change=audit_db.set_actor)
        self.audit = AuditTrail(AuditRepo(engine, data_dir, lambda: self.settings.time_zone))
        # A till of a shop with several: its records go to the shop database, the catalog and store
        # settings come from it. No connection is made here (start-up never waits on the network).
        self.shop: ShopSync | None = None
        self._shop_engine: Engine | None = None
        self._claims: RefundClaims | None = None  # a shop's tills claim a refund there first
        self._shop_gift_cards: ShopLedger | None = None  # a shop's cards live at the shop
        # How this till may reach the shop (the owner's opt-out to plaintext, recorded); its CA is a file.
        self.shop_link = ShopLinkRecord(engine)
        self.shop_security = ""  # how the link is secured, in words, once joined
        if shop_db:
            self._join_shop(shop_db, settings_repo, shop_batch)
        self.gift_cards = GiftCards(
            TillGiftCards(engine),
            self._currency,
            lambda: self._shop_gift_cards,
            today=lambda: today_in(self.settings.time_zone),
            expiry_months=lambda: self.settings.gift_card_expiry_months,
        )
        self.stock = Stock(TillStock(engine, lambda: self.settings.time_zone), self._currency)
        self.storage = StorageWatch(lambda: full_check(engine))  # the whole file, in the background
        self._closed = False

    def _join_shop(self, shop_db: str, settings_repo: SettingsRepo, batch: int | None) -> None:
        from pos.adapters.shop.connect import link_security, open_shop_engine, parse_url
        from pos.adapters.shop.reports import ShopReports
        from pos.adapters.shop.sync import BATCH_EVENTS, ShopDatabaseLink

        # The link's security: the CA kept in the data folder, or the owner's recorded opt-out.
        plaintext = self.shop_link.plaintext_allowed()
        self._shop_engine = shop = open_shop_engine(shop_db, data_dir=self.data_dir, plaintext_allowed=plaintext)
        self.shop_security = link_security(parse_url(shop_db), self.data_dir, plaintext_allowed=plaintext).text
        link = ShopDatabaseLink(
            self._engine,
            shop,
            settings_repo,
            shared=lambda till: not till.startswith(DEMO_TILL_PREFIX),
            batch=batch or BATCH_EVENTS,
        )
        self.shop = ShopSync(link, reports=lambda: ShopReports(shop, self.settings.time_zone))
        self._claims = link.claims()
        self._shop_gift_cards = link.gift_cards()

    @property
    def settings(self) -> StoreSettings:
        return self.store_settings.current

    @property
    def till_id(self) -> str:
        """The till id sales are numbered and reported under."""
        return self.settings.till_id

    def _currency(self) -> str:
        return self.settings.currency

    def _unit_of(self, sku: str) -> Unit | None:
        return self.stock.unit(sku)  # read at each scan: the catalog's unit may change meanwhile

    def _report_store(self) -> ReportsRepo:
        # Made per report, so a change of the store's time zone applies to the next one.
        return ReportsRepo(self._engine, self.settings.time_zone)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.audit.remember_head()  # a trail cut while the till is off is seen at the next start
        except Exception as exc:  # noqa: BLE001 - closing must finish whatever the disk says
            log.warning("the audit trail's head could not be kept: %s", exc)
        if self._shop_engine is not None:
            self._shop_engine.dispose()
        close_engine(self._engine)  # a clean close: the next open need not read the whole file


class AppContext(BackOffice):
    """The till's services, wired on one data folder and one payment provider.

    The services are built whole: a key change (`use_key`) builds a new gateway and new sales
    and refund services on it, and the counter's cart carries over. The UI sees the services
    (`till`, `refunds`, `catalog`, `receipts`, `reports`, `store_settings`, `keys`,
    `printing`) and the state below; the adapters stay private to this module.
    """

    def __init__(
        self,
        data_dir: Path,
        engine: Engine,
        *,
        keys: KeyManager,
        stripe_base_url: str | None,
        timeout: tuple[float, float] | None = None,
        read_only: str | None = None,
        shop_db: str | None = None,
    ):
        super().__init__(data_dir, engine, shop_db)
        self._journal = SqlJournal(engine, self._settings_repo)
        self.gift_card_payments = GiftCardPayments(SqlRedemptions(engine, self._journal), self.gift_cards)
        drawer_log = SqlDrawerLog(engine)  # drawer openings and movements
        self.printing = Printing(
            EscposPrinter,
            lambda: self.settings.printer,
            drawer_log,
            lambda: self.till_id,
            lambda: self.settings.locale,
            load_library,
        )
        self.drawer = CashDrawer(
            drawer_log,
            self.printing,
            lambda: self.till_id,
            self._currency,
            self.staff,
            lambda: Money(self.reports.x_report().expected_cash_minor, self._currency()),
        )
        self.keys = keys
        self.stripe_base_url = stripe_base_url  # as given (None: Stripe itself, or the sandbox in demo)
        self._timeout = timeout
        self.read_only = read_only  # why this window only looks (another process sells here)
        self.key_state: KeyState | None = None
        self.lock: FolderLock | None = None  # held while this process sells from the folder
        self._sandbox: Sandbox | None = None
        self.till: Till
        self.refunds: Refunds
        self.counter: Counter  # the sale at the counter, for the window and any display (built with the till)
        if read_only is not None:
            from pos.adapters.stripe_gateway import NoPaymentsGateway

            self._connect(
                NoPaymentsGateway("This window is read-only: another till is selling.", "not connected (read-only)")
            )

    @property
    def demo(self) -> bool:
        return self.key_state is None or self.key_state.demo

    @property
    def till_id(self) -> str:
        """The till id sales are numbered under now: the store's, or its demo twin in demo mode."""
        demo = self.key_state is not None and self.key_state.demo
        return f"{DEMO_TILL_PREFIX}{self.settings.till_id}" if demo else self.settings.till_id

    @property
    def endpoint(self) -> str:
        return self._gateway.endpoint

    def about(self) -> AboutTill:
        """Help → About this till: versions, the data folder, Stripe's address and API version."""
        import platform

        from pos import __version__
        from pos.adapters.stripe_gateway import sdk_versions
        from pos.settings_text import describe_key

        package, api_version = sdk_versions()
        state = self.key_state or KeyState(None, "demo")
        unreadable = state.unavailable
        key = "kept in the OS keyring, which cannot be read now" if unreadable else describe_key(state)
        return AboutTill(
            app_version=__version__,
            python_version=platform.python_version(),
            stripe_package=package,
            stripe_api_version=api_version,
            stripe_base_url=self.endpoint,
            data_folder=str(self.data_dir),
            till_id=self.till_id,
            key=key,
            keyring_note=state.warning or "",
        )

    def _connect(self, gateway: PaymentGateway) -> None:
        """New sales and refund services on this gateway; the counter's cart carries over."""
        self._gateway = gateway
        cart = self.till.cart if hasattr(self, "till") else None
        store = self.settings
        checkout = Checkout(self._journal, gateway, lambda: self.till_id, self.gift_card_payments)
        self.till = Till(checkout, store.currency, store.tax_inclusive, cart=cart, cash_rounding=store.cash_rounding)
        self.refunds = Refunds(
            self._refund_journal,
            gateway,
            self._claims,
            lambda: self.settings.cash_rounding,
            self.printing,
            credit=GiftCardStoreCredit(self.gift_cards),
            gift_cards=self.gift_card_payments,
            returns=Returns(
                SqlReturns(self._engine, lambda: self.till_id),
                self.staff,
                lambda: self.till_id,
                self._currency,
                lambda: self.settings.cash_rounding,
                credit=GiftCardStoreCredit(self.gift_cards),
                drawer=self.printing,
            ),
            exchanges=SqlExchanges(self._engine),
        )
        self.readers = CardReaders(gateway, self.store_settings, self._test_mode)  # type: ignore[arg-type]
        if hasattr(self, "counter"):
            self.counter.use(self.till, self.refunds)  # the same counter: its subscribers stay
        else:
            self.counter = Counter(self.till, self.staff, lambda: self.settings, self.catalog, self.refunds)

    def _test_mode(self) -> bool:
        """The reader's customer may be simulated: demo, or a test-mode key."""
        state = self.key_state
        return self.demo or (state is not None and state.key is not None and "_test_" in state.key)

    def use_key(self, state: KeyState) -> None:
        """Point the till at Stripe with this key, or at the demo sandbox when there is none."""
        from pos.adapters.stripe_gateway import STRIPE_API, NoPaymentsGateway, StripeGateway

        base = self.stripe_base_url
        key = state.key
        if state.unavailable or key is not None:
            self._stop_sandbox()
        if state.unavailable:
            self.key_state = state
            reason = state.warning or "the keyring cannot be read"
            self._connect(NoPaymentsGateway(f"The till's Stripe key cannot be read: {reason}", base or STRIPE_API))
            log.warning("The Stripe key cannot be read; no payments until it can: %s", state.warning)
            return
        if key is None:
            key = DEMO_KEY
            if base is None:
                if self._sandbox is None:
                    from pos.sandbox import Sandbox

                    # Demo payments persist beside the till's data, so recovery works in demo too.
                    self._sandbox = Sandbox(db=str(self.data_dir / "demo-sandbox.sqlite3")).start()
                base = self._sandbox.url
        self.key_state = state
        self._connect(StripeGateway(key, base, timeout=self._timeout))
        if state.source == "env":
            log.warning("Using the Stripe key from %s (meant for headless use only).", KEY_ENV)

    def _stop_sandbox(self) -> None:
        if self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None

    def close(self) -> None:
        if self._closed:
            return
        self._stop_sandbox()
        super().close()
        if self.lock is not None:
            self.lock.release()


def build_context(
    data_dir: Path,
    *,
    stripe_base_url: str | None = None,
    api_key: str | None = None,
    timeout=None,
    key_store=None,
    profile: str | None = None,
    demo: bool = False,
    purpose: str = "the till",
    read_only_because: str | None = None,
    shop_db: str | None = None,
) -> AppContext:
    """Everything the till needs. api_key, when given, wins over the environment and the keyring;
    demo=True ignores both (the self-test).

    A selling context takes the data folder's lock first (FolderInUse if another live process
    has it). With `read_only_because` it takes no lock, opens the database read-only, and has
    no gateway: a window to look at receipts and reports while another process sells.
    """
    data_dir = Path(data_dir)
    shop_db = shop_database(shop_db)
    if read_only_because is not None:
        return _read_only_context(data_dir, stripe_base_url, read_only_because, shop_db)
    prepare_data_dir(data_dir)
    lock = FolderLock(data_dir)
    lock.acquire(purpose)
    try:
        context = _selling_context(data_dir, stripe_base_url, api_key, timeout, key_store, profile, demo, shop_db)
    except BaseException:
        lock.release()
        raise
    context.lock = lock
    return context


def _read_only_context(data_dir: Path, stripe_base_url: str | None, reason: str, shop_db: str | None) -> AppContext:
    return AppContext(
        data_dir,
        open_engine(data_dir, read_only=True),
        keys=KeyManager(_NoKeys(), lambda _key: None),
        stripe_base_url=stripe_base_url,
        read_only=reason,
        shop_db=None,  # a window that only looks sends nothing; the selling process syncs
    )


def shop_database(given: str | None) -> str | None:
    """The shop database to join: --shop-db, else $POS_SHOP_DB, else none (a single till)."""
    from pos.adapters.shop.connect import SHOP_DB_ENV

    return given or os.environ.get(SHOP_DB_ENV) or None


def open_back_office(data_dir: Path, shop_db: str | None = None, *, shop_batch: int | None = None) -> BackOffice:
    """The back-office services on a data folder, for the CLI: no lock (a till may be selling from
    the folder meanwhile; imports write in short batches) and no payment provider. `shop_batch`:
    the audit events a sync sends in one shop transaction (`pos sync --batch`; else BATCH_EVENTS)."""
    data_dir = Path(data_dir)
    engine = open_engine(data_dir)
    try:
        return BackOffice(data_dir, engine, shop_database(shop_db), shop_batch=shop_batch)
    except BaseException:
        close_engine(engine)  # refused after the open (a shop address it cannot use): a clean close all the same
        raise


def check_storage_fully(data_dir: Path) -> StorageVerdict:
    """`pos doctor`: the till's file opened with every write of a record refused (PRAGMA query_only;
    no lock a sale waits on: a till may be selling from it) and checked in full, as the background
    check does: once. Not nothing written: in a folder it can write, it opens the file as SQLite
    always does, so after a till was killed its close puts the write-ahead log's pages (the till's
    committed records) into the file and removes the log, as the till's own next start would; a
    reader that wrote nothing (mode=ro) would leave an empty -wal and -shm behind instead. After an unclean end the open
    has just run that check (and refused the file if it failed), so its result is the doctor's. A
    folder the till could not write (a read-only drive) is read all the same, and said as such."""
    engine = open_engine(Path(data_dir), read_only=True)
    try:
        found = verdict(None if checked_in_full_at_open(engine) else full_check(engine))
    finally:
        engine.dispose()
    return found if can_sell_from(Path(data_dir)) else cannot_sell_there(found, data_dir)


class _NoKeys:
    """A read-only window never reads or changes the Stripe key."""

    def get(self):
        return None

    def set(self, key: str) -> None:
        raise KeyRefused("This window is read-only: change the key in the till that is selling.")

    def delete(self) -> None:
        raise KeyRefused("This window is read-only: change the key in the till that is selling.")


def _selling_context(data_dir, stripe_base_url, api_key, timeout, key_store, profile, demo, shop_db) -> AppContext:
    engine = open_engine(data_dir)
    try:
        args = (stripe_base_url, api_key, timeout, key_store, profile, demo, shop_db)
        return _selling_context_on(engine, data_dir, *args)
    except BaseException:
        close_engine(engine)  # a start refused after the open (a shop address it cannot use): a clean close
        raise


def _selling_context_on(
    engine, data_dir, stripe_base_url, api_key, timeout, key_store, profile, demo, shop_db
) -> AppContext:
    profile_name = profile or os.environ.get(PROFILE_ENV) or "default"
    if key_store is None:
        from pos.adapters.secrets import KeyringStore

        key_store = KeyringStore(profile_name)
    keys = KeyManager(
        key_store,
        lambda key: check_stripe_key(key, stripe_base_url),
        marker=SettingsKeyMarker(engine, profile_name),
    )
    if demo:
        state = KeyState(None, "demo")
    else:
        state = KeyState(api_key, "given") if api_key else keys.current()
    if state.warning:
        log.warning("%s", state.warning)
    context = AppContext(data_dir, engine, keys=keys, stripe_base_url=stripe_base_url, timeout=timeout, shop_db=shop_db)
    # No category: no active product (count() would read the whole catalog; this reads an index entry).
    if state.demo and not context.catalog.categories():
        imported = context.catalog.import_file(resource_path("demo_catalog.csv"))
        if isinstance(imported, Imported):
            log.info("Loaded the demo catalog (%d products).", imported.summary.count)
        else:
            log.warning("The demo catalog could not be loaded: %s", imported.message)
    context.use_key(state)
    return context


__all__ = [
    "AppContext",
    "BackOffice",
    "FolderInUse",
    "build_context",
    "check_stripe_key",
    "create_main_window",
    "open_back_office",
]


def create_main_window(
    data_dir, *, stripe_base_url: str | None = None, api_key: str | None = None, shop_db: str | None = None
):
    """The fully wired main window (needs a QApplication; starts no event loop). It joins the shop
    database given, or the one $POS_SHOP_DB names."""
    from pos.ui.main_window import MainWindow

    context = build_context(Path(data_dir), stripe_base_url=stripe_base_url, api_key=api_key, shop_db=shop_db)
    return MainWindow(context)
