"""Wiring: the database, the gateway (Stripe, or the embedded sandbox in demo mode), services, window.

`create_main_window` is what the entry point and the tests both use; it makes
no QApplication and runs no event loop.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from pos.adapters.db.catalog import CatalogRepo
from pos.adapters.db.journal import SqlJournal
from pos.adapters.db.receipts import ReceiptsRepo
from pos.adapters.db.refunds import SqlRefunds
from pos.adapters.db.schema import open_engine, prepare_data_dir
from pos.adapters.db.settings import SettingsKeyMarker, SettingsRepo, StoreSettings
from pos.adapters.folder_lock import FolderInUse, FolderLock
from pos.adapters.stripe_gateway import KeylessGateway, StripeGateway
from pos.paths import resource_path
from pos.services.checkout import Checkout
from pos.services.keys import KEY_ENV, KeyManager, KeyRefused, KeyState
from pos.services.refunds import Refunds
from pos.services.till import Till

log = logging.getLogger(__name__)

DEMO_KEY = "sk_test_demo0till0sandbox"
# Demo sales are numbered and reported under their own till id, so they never take a number of the
# real receipt sequence nor count in its reports.
DEMO_TILL_PREFIX = "DEMO-"
PROFILE_ENV = "POS_PROFILE"


def check_stripe_key(key: str, base_url: str | None) -> None:
    """One cheap read call that proves Stripe (or the sandbox) takes the key; KeyRefused if not."""
    from pos.services.gateway import GatewayError, NotAuthorized

    gateway = StripeGateway(key, base_url, timeout=(5.0, 10.0), max_network_retries=0)
    try:
        gateway.check_key()
    except NotAuthorized:
        raise KeyRefused("Stripe refused this key (it is not valid, or it was revoked). It was not saved.") from None
    except GatewayError:
        raise KeyRefused(
            "Could not reach Stripe to check the key, so it was not saved. Check the connection and try again."
        ) from None


@dataclass
class AppContext:
    data_dir: Path
    engine: object
    catalog: CatalogRepo
    settings_repo: SettingsRepo
    settings: StoreSettings
    journal: SqlJournal
    checkout: Checkout
    till: Till
    receipts: ReceiptsRepo
    refunds: Refunds
    keys: KeyManager
    stripe_base_url: str | None  # as given (None: Stripe itself, or the sandbox in demo)
    timeout: object = None
    gateway: StripeGateway | None = None
    key_state: KeyState | None = None
    sandbox: object | None = None
    lock: FolderLock | None = None  # held while this process sells from the folder
    read_only: str | None = None  # why this window only looks (another process sells here)
    _closed: bool = field(default=False, repr=False)

    @property
    def demo(self) -> bool:
        return self.key_state is None or self.key_state.demo

    @property
    def till_id(self) -> str:
        """The till id sales are numbered under now: the store's, or its demo twin in demo mode."""
        demo = self.key_state is not None and self.key_state.demo
        return f"{DEMO_TILL_PREFIX}{self.settings.till_id}" if demo else self.settings.till_id

    def reports(self):
        """X, Z and calendar-day figures, in the store's time zone as it is set now."""
        from pos.adapters.db.reports import ReportsRepo

        return ReportsRepo(self.engine, self.settings.time_zone)

    def apply_till_id(self) -> None:
        self.checkout.till_id = self.till_id
        self.refunds.till_id = self.till_id

    @property
    def endpoint(self) -> str:
        return self.gateway.endpoint if self.gateway is not None else "not connected (read-only)"

    def use_key(self, state: KeyState) -> None:
        """Point the till at Stripe with this key, or at the demo sandbox when there is none."""
        base = self.stripe_base_url
        key = state.key
        if state.unavailable:
            if self.sandbox is not None:
                self.sandbox.stop()
                self.sandbox = None
            self.gateway = KeylessGateway(state.warning or "the keyring cannot be read", base)
            self.checkout.gateway = self.gateway
            self.refunds.gateway = self.gateway
            self.key_state = state
            self.apply_till_id()
            log.warning("The Stripe key cannot be read; no payments until it can: %s", state.warning)
            return
        if key is None:
            key = DEMO_KEY
            if base is None:
                if self.sandbox is None:
                    from pos.sandbox import Sandbox

                    # Demo payments persist beside the till's data, so recovery works in demo too.
                    self.sandbox = Sandbox(db=str(self.data_dir / "demo-sandbox.sqlite3")).start()
                base = self.sandbox.url
        elif self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
        kwargs = {"timeout": self.timeout} if self.timeout else {}
        self.gateway = StripeGateway(key, base, **kwargs)
        self.checkout.gateway = self.gateway
        self.refunds.gateway = self.gateway
        self.key_state = state
        self.apply_till_id()
        if state.source == "env":
            log.warning("Using the Stripe key from %s (meant for headless use only).", KEY_ENV)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.sandbox is not None:
            self.sandbox.stop()
        self.engine.dispose()
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
) -> AppContext:
    """Everything the till needs. api_key, when given, wins over the environment and the keyring;
    demo=True ignores both (the self-test).

    A selling context takes the data folder's lock first (FolderInUse if another live process
    has it). With `read_only_because` it takes no lock, opens the database read-only, and has
    no gateway: a window to look at receipts and reports while another process sells.
    """
    data_dir = Path(data_dir)
    if read_only_because is not None:
        return _read_only_context(data_dir, stripe_base_url, read_only_because)
    prepare_data_dir(data_dir)
    lock = FolderLock(data_dir)
    lock.acquire(purpose)
    try:
        context = _selling_context(data_dir, stripe_base_url, api_key, timeout, key_store, profile, demo)
    except BaseException:
        lock.release()
        raise
    context.lock = lock
    return context


def _read_only_context(data_dir: Path, stripe_base_url: str | None, reason: str) -> AppContext:
    engine = open_engine(data_dir, read_only=True)
    settings_repo = SettingsRepo(engine)
    settings = settings_repo.load()
    journal = SqlJournal(engine, settings_repo)
    checkout = Checkout(journal, None, settings.till_id)
    return AppContext(
        data_dir=data_dir,
        engine=engine,
        catalog=CatalogRepo(engine),
        settings_repo=settings_repo,
        settings=settings,
        journal=journal,
        checkout=checkout,
        till=Till(checkout, settings.currency, settings.tax_inclusive),
        receipts=ReceiptsRepo(engine, settings_repo),
        refunds=Refunds(SqlRefunds(engine, settings_repo), None, settings.till_id),
        keys=KeyManager(_NoKeys(), lambda _key: None),
        stripe_base_url=stripe_base_url,
        read_only=reason,
    )


class _NoKeys:
    """A read-only window never reads or changes the Stripe key."""

    def get(self):
        return None

    def set(self, key: str) -> None:
        raise KeyRefused("This window is read-only: change the key in the till that is selling.")

    def delete(self) -> None:
        raise KeyRefused("This window is read-only: change the key in the till that is selling.")


def _selling_context(data_dir, stripe_base_url, api_key, timeout, key_store, profile, demo) -> AppContext:
    engine = open_engine(data_dir)
    settings_repo = SettingsRepo(engine)
    settings = settings_repo.load()
    catalog = CatalogRepo(engine)
    if key_store is None:
        from pos.adapters.secrets import KeyringStore

        key_store = KeyringStore(profile or os.environ.get(PROFILE_ENV) or "default")
    profile_name = profile or os.environ.get(PROFILE_ENV) or "default"
    keys = KeyManager(
        key_store, lambda key: check_stripe_key(key, stripe_base_url), marker=SettingsKeyMarker(engine, profile_name)
    )
    if demo:
        state = KeyState(None, "demo")
    else:
        state = KeyState(api_key, "given") if api_key else keys.current()
    if state.warning:
        log.warning("%s", state.warning)
    if state.demo and catalog.count() == 0:
        summary = catalog.import_csv(resource_path("demo_catalog.csv"), settings.currency)
        log.info("Loaded the demo catalog (%d products).", summary.count)
    journal = SqlJournal(engine, settings_repo)
    checkout = Checkout(journal, None, settings.till_id)
    till = Till(checkout, settings.currency, settings.tax_inclusive)
    refunds = Refunds(SqlRefunds(engine, settings_repo), None, settings.till_id)
    context = AppContext(
        data_dir=data_dir,
        engine=engine,
        catalog=catalog,
        settings_repo=settings_repo,
        settings=settings,
        journal=journal,
        checkout=checkout,
        till=till,
        receipts=ReceiptsRepo(engine, settings_repo),
        refunds=refunds,
        keys=keys,
        stripe_base_url=stripe_base_url,
        timeout=timeout,
    )
    context.use_key(state)
    return context


__all__ = ["AppContext", "FolderInUse", "build_context", "check_stripe_key", "create_main_window"]


def create_main_window(data_dir, *, stripe_base_url: str | None = None, api_key: str | None = None):
    """The fully wired main window (needs a QApplication; starts no event loop)."""
    from pos.ui.main_window import MainWindow

    context = build_context(Path(data_dir), stripe_base_url=stripe_base_url, api_key=api_key)
    return MainWindow(context)
