"""Services run for real: the Stripe adapter over HTTP against the sandbox, a real SQLite file."""

from __future__ import annotations

import pytest

from pos.adapters.db.catalog import CatalogRepo
from pos.adapters.db.journal import SqlJournal
from pos.adapters.db.storage import open_engine
from pos.adapters.db.settings import SettingsRepo
from pos.adapters.stripe_gateway import StripeGateway
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.services.checkout import Checkout
from pos.services.till import Till
from tests.helpers.folders import new_till_folder


class Shop:
    def __init__(self, data_dir, sandbox, api_key, timeout=(2.0, 5.0), retries=2, busy_timeout_ms=5000):
        self.data_dir = data_dir
        self.sandbox = sandbox
        self.engine = open_engine(data_dir, busy_timeout_ms=busy_timeout_ms)
        self.catalog = CatalogRepo(self.engine)
        self.settings = SettingsRepo(self.engine)  # one settings cache, shared as in the app
        self.settings.load()  # read at start, as the app does: a disk that fails later fails on sales
        self.journal = SqlJournal(self.engine, self.settings)
        self.gateway = StripeGateway(api_key, sandbox.url, timeout=timeout, max_network_retries=retries)
        self.checkout = Checkout(self.journal, self.gateway, lambda: self.settings.load().till_id)
        self.till = Till(self.checkout, "SGD", True)
        self.latte = self.catalog.save(
            Product(sku="LAT", name="Latte", category="Coffee", price=Money(580, "SGD"), tax_rate_bp=900, barcode="111")
        )
        self.bun = self.catalog.save(
            Product(sku="BUN", name="Bun", category="Bakery", price=Money(320, "SGD"), tax_rate_bp=900, barcode="222")
        )
        self.stripe = sandbox_client(sandbox, api_key)

    def cart_of(self, *items):
        self.till.cart.clear()
        for product, qty in items:
            self.till.cart.add(product, qty)
        return self.till.cart


def sandbox_client(sandbox, api_key):
    import stripe

    return stripe.StripeClient(api_key, base_addresses={"api": sandbox.url})


@pytest.fixture
def shop(tmp_path, sandbox, api_key, migrated_folder):
    sandbox.faults.clear()
    s = Shop(new_till_folder(migrated_folder, tmp_path / "data"), sandbox, api_key)
    yield s
    sandbox.faults.clear()
    s.engine.dispose()
