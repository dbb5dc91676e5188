"""The shop database: tills, their records (receipts, refunds, voids, drawer, Z, audit events), catalog, settings.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create every table of the first layout."""

    op.create_table(
        "shop_counters",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "shop_drawer_movements",
        sa.Column("till_id", sa.String(), nullable=False),
        sa.Column("movement_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("cashier", sa.String(), nullable=False),
        sa.Column("at", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("till_id", "movement_id"),
    )
    with op.batch_alter_table("shop_drawer_movements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shop_drawer_movements_at"), ["at"], unique=False)

    op.create_table(
        "shop_events",
        sa.Column("install_id", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("till_id", sa.String(), nullable=False),
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("approved_by", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("install_id", "seq"),
    )
    op.create_table(
        "shop_products",
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("barcode", sa.String(), nullable=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("tax_rate_bp", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("edited_by", sa.String(), nullable=False),
        sa.Column("edited_at", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("sku"),
    )
    with op.batch_alter_table("shop_products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shop_products_version"), ["version"], unique=False)

    op.create_table(
        "shop_receipt_lines",
        sa.Column("till_id", sa.String(), nullable=False),
        sa.Column("receipt_no", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.Integer(), nullable=False),
        sa.Column("tax_rate_bp", sa.Integer(), nullable=False),
        sa.Column("net_minor", sa.Integer(), nullable=False),
        sa.Column("tax_minor", sa.Integer(), nullable=False),
        sa.Column("gross_minor", sa.Integer(), nullable=False),
        sa.Column("line_discount_minor", sa.Integer(), nullable=False),
        sa.Column("cart_share_minor", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("till_id", "receipt_no", "line_no"),
    )
    op.create_table(
        "shop_receipts",
        sa.Column("till_id", sa.String(), nullable=False),
        sa.Column("receipt_no", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("total_minor", sa.Integer(), nullable=False),
        sa.Column("tax_minor", sa.Integer(), nullable=False),
        sa.Column("discount_minor", sa.Integer(), nullable=False),
        sa.Column("card_minor", sa.Integer(), nullable=False),
        sa.Column("cash_minor", sa.Integer(), nullable=False),
        sa.Column("change_minor", sa.Integer(), nullable=False),
        sa.Column("rounding_minor", sa.Integer(), nullable=False),
        sa.Column("tips_minor", sa.Integer(), nullable=False),
        sa.Column("payment_intent", sa.String(), nullable=True),
        sa.Column("card_brand", sa.String(), nullable=True),
        sa.Column("card_last4", sa.String(), nullable=True),
        sa.Column("cashier", sa.String(), nullable=False),
        sa.Column("store_name", sa.String(), nullable=True),
        sa.Column("store_address", sa.String(), nullable=True),
        sa.Column("receipt_footer", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("till_id", "receipt_no"),
    )
    with op.batch_alter_table("shop_receipts", schema=None) as batch_op:
        batch_op.create_index("ix_shop_receipts_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_shop_receipts_payment_intent", ["payment_intent"], unique=False)

    op.create_table(
        "shop_refunds",
        sa.Column("till_id", sa.String(), nullable=False),
        sa.Column("refund_no", sa.Integer(), nullable=False),
        sa.Column("receipt_till_id", sa.String(), nullable=False),
        sa.Column("receipt_no", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("tax_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("tender_kind", sa.String(), nullable=False),
        sa.Column("tender_part_no", sa.Integer(), nullable=True),
        sa.Column("cash_for_card", sa.Boolean(), nullable=False),
        sa.Column("stripe_refund", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("cashier", sa.String(), nullable=False),
        sa.Column("lines", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("till_id", "refund_no"),
    )
    with op.batch_alter_table("shop_refunds", schema=None) as batch_op:
        batch_op.create_index("ix_shop_refunds_at", ["at"], unique=False)
        batch_op.create_index("ix_shop_refunds_receipt", ["receipt_till_id", "receipt_no"], unique=False)

    op.create_table(
        "shop_settings",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("edited_by", sa.String(), nullable=False),
        sa.Column("edited_at", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("shop_settings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shop_settings_version"), ["version"], unique=False)

    op.create_table(
        "shop_tenders",
        sa.Column("till_id", sa.String(), nullable=False),
        sa.Column("receipt_no", sa.Integer(), nullable=False),
        sa.Column("part_no", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("tendered_minor", sa.Integer(), nullable=False),
        sa.Column("change_minor", sa.Integer(), nullable=False),
        sa.Column("rounding_minor", sa.Integer(), nullable=False),
        sa.Column("payment_intent", sa.String(), nullable=True),
        sa.Column("card_brand", sa.String(), nullable=True),
        sa.Column("card_last4", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("till_id", "receipt_no", "part_no"),
    )
    op.create_table(
        "shop_tills",
        sa.Column("install_id", sa.String(), nullable=False),
        sa.Column("till_id", sa.String(), nullable=False),
        sa.Column("joined_at", sa.String(), nullable=False),
        sa.Column("last_sync_at", sa.String(), nullable=True),
        sa.Column("acked_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("acked_hash", sa.String(), server_default="", nullable=False),
        sa.Column("products_sent", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("install_id"),
        sa.UniqueConstraint("till_id"),
    )
    op.create_table(
        "shop_voids",
        sa.Column("till_id", sa.String(), nullable=False),
        sa.Column("void_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("cashier", sa.String(), nullable=False),
        sa.Column("approved_by", sa.String(), nullable=False),
        sa.Column("at", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("till_id", "void_id"),
    )
    with op.batch_alter_table("shop_voids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shop_voids_at"), ["at"], unique=False)

    op.create_table(
        "shop_z_reports",
        sa.Column("till_id", sa.String(), nullable=False),
        sa.Column("z_no", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.String(), nullable=False),
        sa.Column("period_end", sa.String(), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("counted_cash_minor", sa.Integer(), nullable=True),
        sa.Column("cashier", sa.String(), nullable=False),
        sa.Column("audit_head", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("till_id", "z_no"),
    )

    # The catalog's and the settings' version counters start at 0 (tables.ShopCounter).
    op.bulk_insert(
        sa.table("shop_counters", sa.column("name", sa.String()), sa.column("value", sa.BigInteger())),
        [{"name": "catalog", "value": 0}, {"name": "settings", "value": 0}],
    )


def downgrade() -> None:
    """Drop them (a shop database only ever moves forward; this is for a trial database)."""

    op.drop_table("shop_z_reports")
    with op.batch_alter_table("shop_voids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shop_voids_at"))

    op.drop_table("shop_voids")
    op.drop_table("shop_tills")
    op.drop_table("shop_tenders")
    with op.batch_alter_table("shop_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shop_settings_version"))

    op.drop_table("shop_settings")
    with op.batch_alter_table("shop_refunds", schema=None) as batch_op:
        batch_op.drop_index("ix_shop_refunds_receipt")
        batch_op.drop_index("ix_shop_refunds_at")

    op.drop_table("shop_refunds")
    with op.batch_alter_table("shop_receipts", schema=None) as batch_op:
        batch_op.drop_index("ix_shop_receipts_payment_intent")
        batch_op.drop_index("ix_shop_receipts_created_at")

    op.drop_table("shop_receipts")
    op.drop_table("shop_receipt_lines")
    with op.batch_alter_table("shop_products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shop_products_version"))

    op.drop_table("shop_products")
    op.drop_table("shop_events")
    with op.batch_alter_table("shop_drawer_movements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shop_drawer_movements_at"))

    op.drop_table("shop_drawer_movements")
    op.drop_table("shop_counters")
