"""What the UI is given: the till's services and the state of their wiring, as a protocol.

`pos.app.AppContext` implements it; widgets are typed against this, so the UI
depends on the application layer only (the import contracts hold that too).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from .about import AboutTill
from .audit_trail import AuditTrail
from .catalog import Catalog
from .counter import Counter
from .drawer import CashDrawer
from .keys import KeyManager, KeyState
from .readers import CardReaders
from .receipt_printing import Printing
from .receipts import Receipts
from .refunds import Refunds
from .reports import Reports
from .settings import Settings, StoreSettings
from .shop import ShopSync
from .staff import Staff
from .stock import Stock
from .storage_watch import StorageWatch
from .till import Till


class Session(Protocol):
    data_dir: Path
    till: Till
    counter: Counter
    refunds: Refunds
    catalog: Catalog
    receipts: Receipts
    reports: Reports
    store_settings: Settings
    keys: KeyManager
    printing: Printing
    drawer: CashDrawer
    readers: CardReaders
    staff: Staff
    audit: AuditTrail
    stock: Stock
    storage: StorageWatch  # the whole file checked in the background
    shop: ShopSync | None  # the shop database's sync, when this till is one of a shop's
    key_state: KeyState | None
    read_only: str | None  # why this window only looks (another process sells from the folder)

    @property
    def settings(self) -> StoreSettings: ...
    @property
    def till_id(self) -> str: ...
    @property
    def demo(self) -> bool: ...
    @property
    def endpoint(self) -> str: ...
    def about(self) -> AboutTill: ...
    def use_key(self, state: KeyState) -> None: ...
    def close(self) -> None: ...
