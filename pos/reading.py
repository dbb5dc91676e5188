"""The wiring of `pos report`: the till's file, its store settings and its reports, and nothing else.

pos.app's BackOffice builds every back-office service (catalog, receipts, cashiers, the audit trail,
gift cards, stock) and imports the services that sell with them: half of a `pos report`'s start
(issue 27 item 2, "well under a second end to end"). A report needs the settings (time zone,
currency, till id, store name, locale) and the reports service; these are the same adapters and
service BackOffice wires (SettingsRepo, ReportsRepo, Reports), on the same open (open_engine's
checks, a clean close_engine at the end), so the figures are the window's.
"""

from __future__ import annotations

import os
from pathlib import Path

from pos.adapters.db.reports import ReportsRepo
from pos.adapters.db.settings import SettingsRepo
from pos.adapters.db.storage import close_engine, open_engine
from pos.adapters.shop import SHOP_DB_ENV
from pos.services.reports import Reports
from pos.services.settings import Settings, StoreSettings


class ReportOffice:
    """Store settings and reports on one data folder, for a command that only reads the day's figures."""

    def __init__(self, data_dir: Path, shop_db: str | None = None):
        shop_db = shop_db or os.environ.get(SHOP_DB_ENV)  # as pos.app.shop_database reads it
        if shop_db:
            # The address is checked as every door checks it (one line if it cannot be one), though
            # a till's own report never reaches the shop: `pos shop report` is the shop's.
            from pos.adapters.shop.connect import parse_url

            parse_url(shop_db)
        self._engine = open_engine(Path(data_dir))
        self._closed = False
        self.store_settings = Settings(SettingsRepo(self._engine))
        self.reports = Reports(
            lambda: ReportsRepo(self._engine, self.settings.time_zone), lambda: self.settings.till_id, self._currency
        )

    @property
    def settings(self) -> StoreSettings:
        return self.store_settings.current

    def _currency(self) -> str:
        return self.settings.currency

    def close(self) -> None:
        """A clean close, as BackOffice's (the next open need not read the whole file). The audit
        trail's head is not kept again: nothing here adds to the trail."""
        if not self._closed:
            self._closed = True
            close_engine(self._engine)
