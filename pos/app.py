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
from pos.adapters.db.schema import open_engine
from pos.adapters.db.settings import SettingsRepo, StoreSettings
from pos.adapters.stripe_gateway import StripeGateway
from pos.resources import resource_path
from pos.services.checkout import Checkout
from pos.services.till import Till

log = logging.getLogger(__name__)

DEMO_KEY = "sk_test_demo0till0sandbox"
KEY_ENV = "POS_STRIPE_API_KEY"
DATA_DIR_ENV = "POS_DATA_DIR"


def default_data_dir() -> Path:
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV])
    from platformdirs import user_data_dir

    return Path(user_data_dir("pos-till", appauthor=False))


@dataclass
class AppContext:
    data_dir: Path
    engine: object
    catalog: CatalogRepo
    settings_repo: SettingsRepo
    settings: StoreSettings
    journal: SqlJournal
    gateway: StripeGateway
    checkout: Checkout
    till: Till
    demo: bool
    endpoint: str
    sandbox: object | None = None
    _closed: bool = field(default=False, repr=False)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.sandbox is not None:
            self.sandbox.stop()
        self.engine.dispose()


def resolve_api_key(api_key: str | None) -> str | None:
    """The key to use: given, else POS_STRIPE_API_KEY; None means demo mode."""
    if api_key:
        return api_key
    from_env = os.environ.get(KEY_ENV)
    if from_env:
        log.warning("Using the Stripe key from %s (meant for headless use only).", KEY_ENV)
        return from_env
    return None


def build_context(data_dir: Path, *, stripe_base_url: str | None = None, api_key: str | None = None,
                  timeout=None) -> AppContext:
    data_dir = Path(data_dir)
    engine = open_engine(data_dir)
    settings_repo = SettingsRepo(engine)
    settings = settings_repo.load()
    catalog = CatalogRepo(engine)
    key = resolve_api_key(api_key)
    demo = key is None
    sandbox = None
    if demo:
        key = DEMO_KEY
        if stripe_base_url is None:
            from pos.sandbox import Sandbox

            # The demo's payments persist beside the till's data, so recovery works in demo too.
            sandbox = Sandbox(db=str(data_dir / "demo-sandbox.sqlite3")).start()
            stripe_base_url = sandbox.url
        if catalog.count() == 0:
            count = catalog.import_csv(resource_path("demo_catalog.csv"), settings.currency)
            log.info("Loaded the demo catalog (%d products).", count)
    kwargs = {"timeout": timeout} if timeout else {}
    gateway = StripeGateway(key, stripe_base_url, **kwargs)
    journal = SqlJournal(engine, settings_repo)
    checkout = Checkout(journal, gateway, settings.till_id)
    till = Till(checkout, settings.currency, settings.tax_inclusive)
    return AppContext(data_dir=data_dir, engine=engine, catalog=catalog, settings_repo=settings_repo,
                      settings=settings, journal=journal, gateway=gateway, checkout=checkout, till=till,
                      demo=demo, endpoint=gateway.endpoint, sandbox=sandbox)


def create_main_window(data_dir, *, stripe_base_url: str | None = None, api_key: str | None = None):
    """The fully wired main window (needs a QApplication; starts no event loop)."""
    from pos.ui.main_window import MainWindow

    context = build_context(Path(data_dir), stripe_base_url=stripe_base_url, api_key=api_key)
    return MainWindow(context)
