"""The till's layouts 1 to 12, numbered by PRAGMA user_version before the till used Alembic.

A new file gets layout 12's tables, indexes and product search as they were frozen here (later
revisions change them from there). A file written by an older till is brought up by the steps the
till used to run (each guarded, so a file that already has a change is left as it is), with the
receipts rebuild done in batch mode instead of editing its stored CREATE statement. A file at
layout 12 has everything already: this revision changes nothing in it, and it is stamped.

Nothing here may follow the tables in schema.py: they describe the layout at head, and
this revision must keep writing layout 12 whatever later revisions do.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The layout whose audit trail covers every table that holds money, prices, settings or roles: a file
# from before it gets one event covering what it holds (adapters/db/audit.baseline).
AUDIT_LAYOUT = 11
REFUND_ROUNDING_LAYOUT = 12

TABLES = [
    """CREATE TABLE IF NOT EXISTS products (
    id INTEGER NOT NULL,
    sku VARCHAR NOT NULL,
    barcode VARCHAR,
    name VARCHAR NOT NULL,
    category VARCHAR NOT NULL,
    price_minor INTEGER NOT NULL,
    currency VARCHAR NOT NULL,
    tax_rate_bp INTEGER NOT NULL,
    active BOOLEAN NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (sku),
    UNIQUE (barcode)
    )""",
    """CREATE TABLE IF NOT EXISTS settings (
    "key" VARCHAR NOT NULL,
    value VARCHAR NOT NULL,
    PRIMARY KEY ("key")
    )""",
    """CREATE TABLE IF NOT EXISTS sales (
    id INTEGER NOT NULL,
    sale_key VARCHAR NOT NULL,
    till_id VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    currency VARCHAR NOT NULL,
    total_minor INTEGER NOT NULL,
    tax_minor INTEGER NOT NULL,
    subtotal_minor INTEGER NOT NULL,
    tax_inclusive BOOLEAN NOT NULL,
    create_params VARCHAR NOT NULL,
    payment_intent VARCHAR,
    note VARCHAR,
    cart_discount_minor INTEGER NOT NULL,
    cart_discount_reason VARCHAR,
    order_id INTEGER,
    created_at VARCHAR NOT NULL,
    updated_at VARCHAR NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (sale_key)
    )""",
    """CREATE TABLE IF NOT EXISTS z_reports (
    id INTEGER NOT NULL,
    till_id VARCHAR NOT NULL,
    z_no INTEGER NOT NULL,
    period_start VARCHAR NOT NULL,
    period_end VARCHAR NOT NULL,
    figures VARCHAR NOT NULL,
    last_receipt_no INTEGER NOT NULL,
    last_refund_no INTEGER NOT NULL,
    last_movement_id INTEGER NOT NULL,
    counted_cash_minor INTEGER,
    cashier VARCHAR DEFAULT '' NOT NULL,
    audit_head VARCHAR DEFAULT '' NOT NULL,
    last_void_id INTEGER DEFAULT '0' NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (till_id, z_no)
    )""",
    """CREATE TABLE IF NOT EXISTS drawer_movements (
    id INTEGER NOT NULL,
    till_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    amount_minor INTEGER NOT NULL,
    currency VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    at VARCHAR NOT NULL,
    cashier VARCHAR DEFAULT '' NOT NULL,
    PRIMARY KEY (id)
    )""",
    """CREATE TABLE IF NOT EXISTS drawer_openings (
    id INTEGER NOT NULL,
    till_id VARCHAR NOT NULL,
    opened_at VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    opened BOOLEAN NOT NULL,
    message VARCHAR NOT NULL,
    cashier VARCHAR DEFAULT '' NOT NULL,
    PRIMARY KEY (id)
    )""",
    """CREATE TABLE IF NOT EXISTS cashiers (
    id INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    pin_hash VARCHAR NOT NULL,
    active BOOLEAN NOT NULL,
    failed_attempts INTEGER NOT NULL,
    locked_until VARCHAR,
    created_at VARCHAR NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (name)
    )""",
    """CREATE TABLE IF NOT EXISTS voids (
    id INTEGER NOT NULL,
    till_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    sale_id INTEGER,
    amount_minor INTEGER NOT NULL,
    currency VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    cashier VARCHAR DEFAULT '' NOT NULL,
    approved_by VARCHAR NOT NULL,
    at VARCHAR NOT NULL,
    PRIMARY KEY (id)
    )""",
    """CREATE TABLE IF NOT EXISTS audit_events (
    id INTEGER NOT NULL,
    at VARCHAR NOT NULL,
    till_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    actor VARCHAR NOT NULL,
    approved_by VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,
    payload VARCHAR NOT NULL,
    prev_hash VARCHAR NOT NULL,
    hash VARCHAR NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (hash)
    )""",
    """CREATE TABLE IF NOT EXISTS shop_outbox (
    id INTEGER NOT NULL,
    kind VARCHAR NOT NULL,
    "key" VARCHAR NOT NULL,
    at VARCHAR NOT NULL,
    PRIMARY KEY (id)
    )""",
    """CREATE TABLE IF NOT EXISTS sale_lines (
    id INTEGER NOT NULL,
    sale_id INTEGER NOT NULL,
    line_no INTEGER NOT NULL,
    product_id INTEGER,
    sku VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    quantity INTEGER NOT NULL,
    unit_price_minor INTEGER NOT NULL,
    tax_rate_bp INTEGER NOT NULL,
    net_minor INTEGER NOT NULL,
    tax_minor INTEGER NOT NULL,
    gross_minor INTEGER NOT NULL,
    line_discount_minor INTEGER NOT NULL,
    cart_share_minor INTEGER NOT NULL,
    discount_reason VARCHAR,
    PRIMARY KEY (id),
    UNIQUE (sale_id, line_no),
    FOREIGN KEY(sale_id) REFERENCES sales (id)
    )""",
    """CREATE TABLE IF NOT EXISTS payments (
    id INTEGER NOT NULL,
    sale_id INTEGER NOT NULL,
    attempt_no INTEGER NOT NULL,
    payment_method VARCHAR NOT NULL,
    idempotency_key VARCHAR NOT NULL,
    params VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    decline_code VARCHAR,
    message VARCHAR,
    charge_id VARCHAR,
    card_brand VARCHAR,
    card_last4 VARCHAR,
    created_at VARCHAR NOT NULL,
    updated_at VARCHAR NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (sale_id, attempt_no),
    FOREIGN KEY(sale_id) REFERENCES sales (id),
    UNIQUE (idempotency_key)
    )""",
    """CREATE TABLE IF NOT EXISTS receipts (
    id INTEGER NOT NULL,
    till_id VARCHAR NOT NULL,
    receipt_no INTEGER NOT NULL,
    sale_id INTEGER NOT NULL,
    created_at VARCHAR NOT NULL,
    currency VARCHAR NOT NULL,
    total_minor INTEGER NOT NULL,
    tax_minor INTEGER NOT NULL,
    payment_intent VARCHAR,
    card_brand VARCHAR,
    card_last4 VARCHAR,
    status VARCHAR NOT NULL,
    refunded_minor INTEGER NOT NULL,
    discount_minor INTEGER NOT NULL,
    card_minor INTEGER NOT NULL,
    cash_minor INTEGER NOT NULL,
    change_minor INTEGER NOT NULL,
    rounding_minor INTEGER NOT NULL,
    store_name VARCHAR,
    store_address VARCHAR,
    receipt_footer VARCHAR,
    cashier VARCHAR DEFAULT '' NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (till_id, receipt_no),
    UNIQUE (sale_id),
    FOREIGN KEY(sale_id) REFERENCES sales (id),
    UNIQUE (payment_intent)
    )""",
    """CREATE TABLE IF NOT EXISTS tenders (
    id INTEGER NOT NULL,
    sale_id INTEGER NOT NULL,
    part_no INTEGER NOT NULL,
    kind VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    currency VARCHAR NOT NULL,
    amount_minor INTEGER NOT NULL,
    tendered_minor INTEGER NOT NULL,
    change_minor INTEGER NOT NULL,
    rounding_minor INTEGER NOT NULL,
    part_sale_id INTEGER,
    payment_intent VARCHAR,
    card_brand VARCHAR,
    card_last4 VARCHAR,
    card_present VARCHAR,
    note VARCHAR,
    created_at VARCHAR NOT NULL,
    updated_at VARCHAR NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (sale_id, part_no),
    FOREIGN KEY(sale_id) REFERENCES sales (id),
    FOREIGN KEY(part_sale_id) REFERENCES sales (id),
    UNIQUE (payment_intent)
    )""",
    """CREATE TABLE IF NOT EXISTS refunds (
    id INTEGER NOT NULL,
    refund_key VARCHAR NOT NULL,
    receipt_id INTEGER NOT NULL,
    till_id VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    amount_minor INTEGER NOT NULL,
    tax_minor INTEGER NOT NULL,
    currency VARCHAR NOT NULL,
    reason VARCHAR,
    tender_id INTEGER,
    tender_kind VARCHAR NOT NULL,
    cash_for_card BOOLEAN NOT NULL,
    rounding_minor INTEGER DEFAULT '0' NOT NULL,
    params VARCHAR NOT NULL,
    stripe_refund VARCHAR,
    refund_no INTEGER,
    message VARCHAR,
    created_at VARCHAR NOT NULL,
    updated_at VARCHAR NOT NULL,
    cashier VARCHAR DEFAULT '' NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (till_id, refund_no),
    UNIQUE (refund_key),
    FOREIGN KEY(receipt_id) REFERENCES receipts (id),
    FOREIGN KEY(tender_id) REFERENCES tenders (id)
    )""",
    """CREATE TABLE IF NOT EXISTS refund_lines (
    id INTEGER NOT NULL,
    refund_id INTEGER NOT NULL,
    line_no INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(refund_id) REFERENCES refunds (id)
    )""",
]
INDEXES_AND_SEARCH = [
    """CREATE INDEX IF NOT EXISTS ix_products_category ON products (category)""",
    """CREATE INDEX IF NOT EXISTS ix_sales_payment_intent ON sales (payment_intent)""",
    """CREATE INDEX IF NOT EXISTS ix_sales_order_id ON sales (order_id)""",
    """CREATE INDEX IF NOT EXISTS ix_sales_state ON sales (state)""",
    """CREATE INDEX IF NOT EXISTS ix_drawer_movements_till_id ON drawer_movements (till_id)""",
    """CREATE INDEX IF NOT EXISTS ix_voids_till_id ON voids (till_id)""",
    """CREATE INDEX IF NOT EXISTS ix_payments_sale_id ON payments (sale_id)""",
    """CREATE INDEX IF NOT EXISTS ix_receipts_card_last4 ON receipts (card_last4)""",
    """CREATE INDEX IF NOT EXISTS ix_receipts_created_at ON receipts (created_at)""",
    """CREATE INDEX IF NOT EXISTS ix_tenders_sale_id ON tenders (sale_id)""",
    """CREATE INDEX IF NOT EXISTS ix_refunds_receipt_id ON refunds (receipt_id)""",
    """CREATE INDEX IF NOT EXISTS ix_refunds_state ON refunds (state)""",
    """CREATE INDEX IF NOT EXISTS ix_refund_lines_refund_id ON refund_lines (refund_id)""",
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
    """CREATE INDEX IF NOT EXISTS ix_receipts_total_minor ON receipts (total_minor)""",
    """CREATE INDEX IF NOT EXISTS ix_receipts_receipt_no ON receipts (receipt_no)""",
    """CREATE INDEX IF NOT EXISTS ix_receipts_till_created ON receipts (till_id, created_at)""",
    """CREATE INDEX IF NOT EXISTS ix_refunds_till_updated ON refunds (till_id, updated_at)""",
]


def upgrade() -> None:
    conn = op.get_bind()
    layout = int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)
    had_tables = "sales" in sa.inspect(conn).get_table_names()
    # Tables a till added after this file's layout are made as layout 12 has them (an older till
    # made them the same way, with create_all, before its own steps ran).
    for statement in TABLES:
        conn.exec_driver_sql(statement)
    if had_tables:
        _older_layouts(conn, layout)
    for statement in INDEXES_AND_SEARCH:
        conn.exec_driver_sql(statement)
    if layout < AUDIT_LAYOUT:
        # The trail covers every table that holds money, prices, settings or roles from now on: what
        # is on file that no event covers yet is covered as it stands, in one event (a new file has
        # nothing, and gets none).
        from pos.adapters.db import audit

        audit.baseline(conn, audit.till_of(conn))


def downgrade() -> None:
    raise NotImplementedError("A till's file is never taken back below layout 12.")


def _columns(conn, table: str) -> set[str]:
    return {row[1] for row in conn.exec_driver_sql(f"PRAGMA table_info({table})").fetchall()}


def _older_layouts(conn, layout: int) -> None:
    """The steps from each numbered layout to the next, as the till ran them before Alembic."""
    if layout < 2 and "last_receipt_no" not in _columns(conn, "z_reports"):
        # Z reports close periods by sequence number; earlier ones are given theirs from the
        # timestamps they were closed with (the best the old records can say).
        conn.exec_driver_sql("ALTER TABLE z_reports ADD COLUMN last_receipt_no INTEGER NOT NULL DEFAULT 0")
        conn.exec_driver_sql("ALTER TABLE z_reports ADD COLUMN last_refund_no INTEGER NOT NULL DEFAULT 0")
        conn.exec_driver_sql(
            "UPDATE z_reports SET last_receipt_no = (SELECT coalesce(max(receipt_no), 0) FROM receipts r "
            "WHERE r.till_id = z_reports.till_id AND r.created_at <= z_reports.period_end), "
            "last_refund_no = (SELECT coalesce(max(refund_no), 0) FROM refunds f WHERE f.till_id = z_reports.till_id "
            "AND f.state = 'succeeded' AND f.updated_at <= z_reports.period_end)"
        )
    if layout < 3 and "store_name" not in _columns(conn, "receipts"):
        for column in ("store_name", "store_address", "receipt_footer"):
            conn.exec_driver_sql(f"ALTER TABLE receipts ADD COLUMN {column} TEXT")
    if layout < 4 and "tax_minor" not in _columns(conn, "refunds"):
        # Refunds carry the tax they give back (reports show net tax). Earlier refunds are given
        # their receipt's tax in proportion to the amount, rounded half up to the minor unit.
        conn.exec_driver_sql("ALTER TABLE refunds ADD COLUMN tax_minor INTEGER NOT NULL DEFAULT 0")
        conn.exec_driver_sql(
            "UPDATE refunds SET tax_minor = (SELECT CASE WHEN r.total_minor > 0 THEN "
            "(2 * r.tax_minor * refunds.amount_minor + r.total_minor) / (2 * r.total_minor) ELSE 0 END "
            "FROM receipts r WHERE r.id = refunds.receipt_id)"
        )
    if layout < 5 and "discount_minor" not in _columns(conn, "receipts"):
        # Discounts: every sale before them had none.
        for table, column in (
            ("sales", "cart_discount_minor INTEGER NOT NULL DEFAULT 0"),
            ("sales", "cart_discount_reason TEXT"),
            ("sale_lines", "line_discount_minor INTEGER NOT NULL DEFAULT 0"),
            ("sale_lines", "cart_share_minor INTEGER NOT NULL DEFAULT 0"),
            ("sale_lines", "discount_reason TEXT"),
            ("receipts", "discount_minor INTEGER NOT NULL DEFAULT 0"),
        ):
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column}")
    if layout < 6 and "last_movement_id" not in _columns(conn, "z_reports"):
        # The drawer's day: Z reports close drawer movements by id and keep the counted cash.
        conn.exec_driver_sql("ALTER TABLE z_reports ADD COLUMN last_movement_id INTEGER NOT NULL DEFAULT 0")
        conn.exec_driver_sql("ALTER TABLE z_reports ADD COLUMN counted_cash_minor INTEGER")
    if layout < 7 and "cash_minor" not in _columns(conn, "receipts"):
        _to_tenders(conn)
    if layout < 8:
        # Who did it: every record that moves money, opens the drawer or closes the day names the
        # cashier signed in ("" before cashiers existed); the Z keeps the audit trail's head.
        for table in ("receipts", "refunds", "drawer_openings", "drawer_movements", "z_reports"):
            if "cashier" not in _columns(conn, table):
                conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN cashier VARCHAR NOT NULL DEFAULT ''")
        if "audit_head" not in _columns(conn, "z_reports"):
            conn.exec_driver_sql("ALTER TABLE z_reports ADD COLUMN audit_head VARCHAR NOT NULL DEFAULT ''")
            conn.exec_driver_sql("ALTER TABLE z_reports ADD COLUMN last_void_id INTEGER NOT NULL DEFAULT 0")
    # Layout 9 only added a table (shop_outbox), which TABLES made before this ran.
    if layout < 10 and "card_present" not in _columns(conn, "tenders"):
        # EMV receipts: a reader payment keeps the fields its receipt must print. Earlier tenders
        # have none (their receipts printed without them).
        conn.exec_driver_sql("ALTER TABLE tenders ADD COLUMN card_present TEXT")
    if layout < REFUND_ROUNDING_LAYOUT and "rounding_minor" not in _columns(conn, "refunds"):
        # Cash refunds follow the cash rounding: each keeps what was handed back beyond its amount.
        # Earlier ones handed back exactly their amount. Added before the audit baseline, so the
        # baseline digests refunds with the layout they have from now on (0 is left out).
        conn.exec_driver_sql("ALTER TABLE refunds ADD COLUMN rounding_minor INTEGER NOT NULL DEFAULT 0")


def _to_tenders(conn) -> None:
    """Cash and split tenders (layout 7): a receipt need not have one PaymentIntent any more.

    SQLite cannot drop a NOT NULL constraint in place, so `receipts` is rebuilt in batch mode (a copy
    with the new layout, its rows, indexes and constraints, put in its place; foreign keys are off
    around the migration and checked before it commits). Every earlier receipt was paid by one card:
    it gets that card as its one tender, and its refunds point at it.
    """
    with op.batch_alter_table("receipts", recreate="always") as batch:
        batch.alter_column("payment_intent", existing_type=sa.String(), nullable=True)
        for column in ("card_minor", "cash_minor", "change_minor", "rounding_minor"):
            batch.add_column(sa.Column(column, sa.Integer(), nullable=False, server_default=sa.text("0")))
    conn.exec_driver_sql("UPDATE receipts SET card_minor = total_minor")
    conn.exec_driver_sql("ALTER TABLE sales ADD COLUMN order_id INTEGER")
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_sales_order_id ON sales (order_id)")
    conn.exec_driver_sql(
        "INSERT INTO tenders (sale_id, part_no, kind, state, currency, amount_minor, tendered_minor, change_minor,"
        " rounding_minor, part_sale_id, payment_intent, card_brand, card_last4, created_at, updated_at)"
        " SELECT sale_id, 1, 'card', 'paid', currency, total_minor, total_minor, 0, 0, sale_id, payment_intent,"
        " card_brand, card_last4, created_at, created_at FROM receipts"
    )
    conn.exec_driver_sql("ALTER TABLE refunds ADD COLUMN tender_id INTEGER REFERENCES tenders (id)")
    conn.exec_driver_sql("ALTER TABLE refunds ADD COLUMN tender_kind VARCHAR NOT NULL DEFAULT 'card'")
    conn.exec_driver_sql("ALTER TABLE refunds ADD COLUMN cash_for_card BOOLEAN NOT NULL DEFAULT 0")
    conn.exec_driver_sql(
        "UPDATE refunds SET tender_id = (SELECT t.id FROM tenders t JOIN receipts r ON r.sale_id = t.sale_id"
        " WHERE r.id = refunds.receipt_id)"
    )
