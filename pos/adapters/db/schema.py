"""Tables (SQLModel) and the engine with the pragmas a till needs.

One SQLite file: WAL so searches read while a sale is written, synchronous=FULL
so a committed sale survives a power cut, foreign keys on. Write transactions
start with BEGIN IMMEDIATE so two writers never deadlock on a lock upgrade.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Index, UniqueConstraint, event, text
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel, create_engine


class ProductRow(SQLModel, table=True):
    __tablename__ = "products"
    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(unique=True)
    barcode: str | None = Field(default=None, unique=True)
    name: str
    category: str = Field(index=True)
    price_minor: int
    currency: str
    tax_rate_bp: int
    active: bool = Field(default=True)


class SettingRow(SQLModel, table=True):
    __tablename__ = "settings"
    key: str = Field(primary_key=True)
    value: str


class SaleRow(SQLModel, table=True):
    """One sale in the payment journal. `sale_key` never changes; idempotency keys derive from it."""
    __tablename__ = "sales"
    id: int | None = Field(default=None, primary_key=True)
    sale_key: str = Field(unique=True)
    till_id: str
    state: str = Field(index=True)
    currency: str
    total_minor: int
    tax_minor: int
    subtotal_minor: int
    tax_inclusive: bool
    create_params: str          # the exact JSON sent to create the PaymentIntent
    payment_intent: str | None = Field(default=None, index=True)
    note: str | None = None     # what recovery or a failure said, for the cashier
    created_at: str
    updated_at: str


class SaleLineRow(SQLModel, table=True):
    __tablename__ = "sale_lines"
    __table_args__ = (UniqueConstraint("sale_id", "line_no"),)
    id: int | None = Field(default=None, primary_key=True)
    sale_id: int = Field(foreign_key="sales.id")
    line_no: int
    product_id: int | None = None
    sku: str
    name: str
    quantity: int
    unit_price_minor: int
    tax_rate_bp: int
    net_minor: int
    tax_minor: int
    gross_minor: int


class PaymentRow(SQLModel, table=True):
    """One confirm attempt of a sale's PaymentIntent, recorded before it is sent."""
    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("sale_id", "attempt_no"),)
    id: int | None = Field(default=None, primary_key=True)
    sale_id: int = Field(foreign_key="sales.id", index=True)
    attempt_no: int
    payment_method: str
    idempotency_key: str = Field(unique=True)
    params: str                 # the exact JSON sent with the confirm
    state: str                  # sent, succeeded, declined, requires_action, failed
    decline_code: str | None = None
    message: str | None = None
    charge_id: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    created_at: str
    updated_at: str


class ReceiptRow(SQLModel, table=True):
    __tablename__ = "receipts"
    __table_args__ = (
        UniqueConstraint("till_id", "receipt_no"),
        Index("ix_receipts_created_at", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    till_id: str
    receipt_no: int
    sale_id: int = Field(foreign_key="sales.id", unique=True)
    created_at: str
    currency: str
    total_minor: int
    tax_minor: int
    payment_intent: str = Field(unique=True)
    card_brand: str | None = None
    card_last4: str | None = Field(default=None, index=True)
    status: str = "paid"
    refunded_minor: int = 0


class RefundRow(SQLModel, table=True):
    """One refund in the refund journal: recorded before Stripe is asked, numbered when it succeeds."""
    __tablename__ = "refunds"
    __table_args__ = (UniqueConstraint("till_id", "refund_no"),)
    id: int | None = Field(default=None, primary_key=True)
    refund_key: str = Field(unique=True)
    receipt_id: int = Field(foreign_key="receipts.id", index=True)
    till_id: str
    state: str = Field(index=True)      # sent, succeeded, failed
    amount_minor: int
    currency: str
    reason: str | None = None
    params: str                         # the exact JSON sent to create the Stripe refund
    stripe_refund: str | None = None
    refund_no: int | None = None        # gapless per till, given when the refund succeeds
    message: str | None = None
    created_at: str
    updated_at: str


class RefundLineRow(SQLModel, table=True):
    __tablename__ = "refund_lines"
    id: int | None = Field(default=None, primary_key=True)
    refund_id: int = Field(foreign_key="refunds.id", index=True)
    line_no: int
    quantity: int
    amount_minor: int


class ZReportRow(SQLModel, table=True):
    """A closed business day: its number, the period it covers, and its figures as printed."""
    __tablename__ = "z_reports"
    __table_args__ = (UniqueConstraint("till_id", "z_no"),)
    id: int | None = Field(default=None, primary_key=True)
    till_id: str
    z_no: int
    period_start: str
    period_end: str
    figures: str


# Full-text search over product names and SKUs, kept in step by triggers; and indexes added
# after a table first shipped (create_all does not add indexes to existing tables).
_FTS = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS products_fts USING fts5(
           name, sku, category, content='products', content_rowid='id',
           tokenize="unicode61 remove_diacritics 2", prefix='1 2 3')""",
    """CREATE TRIGGER IF NOT EXISTS products_ai AFTER INSERT ON products BEGIN
           INSERT INTO products_fts(rowid, name, sku, category) VALUES (new.id, new.name, new.sku, new.category);
       END""",
    """CREATE TRIGGER IF NOT EXISTS products_ad AFTER DELETE ON products BEGIN
           INSERT INTO products_fts(products_fts, rowid, name, sku, category)
           VALUES ('delete', old.id, old.name, old.sku, old.category);
       END""",
    """CREATE TRIGGER IF NOT EXISTS products_au AFTER UPDATE ON products BEGIN
           INSERT INTO products_fts(products_fts, rowid, name, sku, category)
           VALUES ('delete', old.id, old.name, old.sku, old.category);
           INSERT INTO products_fts(rowid, name, sku, category) VALUES (new.id, new.name, new.sku, new.category);
       END""",
    "CREATE INDEX IF NOT EXISTS ix_receipts_total_minor ON receipts (total_minor)",
    "CREATE INDEX IF NOT EXISTS ix_receipts_receipt_no ON receipts (receipt_no)",
    "CREATE INDEX IF NOT EXISTS ix_receipts_till_created ON receipts (till_id, created_at)",
    "CREATE INDEX IF NOT EXISTS ix_refunds_till_updated ON refunds (till_id, updated_at)",
]

DB_FILE = "pos.sqlite3"


def open_engine(data_dir: Path, *, busy_timeout_ms: int = 5000) -> Engine:
    """The engine for the till's database in data_dir, created and migrated if new."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(data_dir, 0o700)
    path = data_dir / DB_FILE
    engine = create_engine(f"sqlite:///{path}",
                           connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's begin event own transactions instead of the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("sqlite_immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        for statement in _FTS:
            conn.execute(text(statement))
    if os.name == "posix":
        for suffix in ("", "-wal", "-shm"):
            target = Path(f"{path}{suffix}")
            if target.exists():
                os.chmod(target, 0o600)
    return engine


def writer(engine: Engine) -> Engine:
    """The same engine, but its transactions take the write lock at BEGIN."""
    return engine.execution_options(sqlite_immediate=True)
