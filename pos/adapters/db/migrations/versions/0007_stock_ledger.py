"""Stock: how each product is stocked, the ledger of movements, its per-product snapshot, and
whether a refunded line went back to stock, and a weighed sale line's weight and unit.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("sale_lines") as batch:
        batch.add_column(sa.Column("measure_milli", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("unit", sa.String(), nullable=True))
        batch.add_column(sa.Column("measure_price_minor", sa.Integer(), nullable=True))
    with op.batch_alter_table("refund_lines") as batch:
        batch.add_column(sa.Column("to_stock", sa.Boolean(), server_default="1", nullable=False))
    op.create_table(
        "stock_items",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("track_stock", sa.Boolean(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("low_stock_milli", sa.Integer(), nullable=True),
        sa.Column("open_price", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"]),
        sa.PrimaryKeyConstraint("product_id"),
    )
    op.create_table(
        "stock_movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("quantity_milli", sa.Integer(), nullable=False),
        sa.Column("cost_minor", sa.Integer(), nullable=True),
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("till_id", sa.String(), nullable=False),
        sa.Column("who", sa.String(), nullable=False),
        sa.Column("approved_by", sa.String(), nullable=False),
        sa.Column("why", sa.String(), nullable=False),
        sa.Column("sale_id", sa.Integer(), nullable=True),
        sa.Column("refund_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"]),
        sa.ForeignKeyConstraint(["sale_id"], ["sales.id"]),
        sa.ForeignKeyConstraint(["refund_id"], ["refunds.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_stock_movements_product", "stock_movements", ["product_id", "id"])
    op.create_index("ix_stock_movements_at", "stock_movements", ["at"])
    op.create_table(
        "stock_levels",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("on_hand_milli", sa.Integer(), nullable=False),
        sa.Column("through_id", sa.Integer(), nullable=False),
        sa.Column("last_cost_minor", sa.Integer(), nullable=True),
        sa.Column("low_stock_milli", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"]),
        sa.PrimaryKeyConstraint("product_id"),
    )
    op.create_index(
        "ix_stock_levels_headroom",
        "stock_levels",
        [sa.text("on_hand_milli - low_stock_milli")],
        sqlite_where=sa.text("low_stock_milli IS NOT NULL"),
    )


def downgrade() -> None:
    with op.batch_alter_table("sale_lines") as batch:
        batch.drop_column("measure_price_minor")
        batch.drop_column("unit")
        batch.drop_column("measure_milli")
    with op.batch_alter_table("refund_lines") as batch:
        batch.drop_column("to_stock")
    op.drop_index("ix_stock_levels_headroom", table_name="stock_levels")
    op.drop_table("stock_levels")
    op.drop_index("ix_stock_movements_at", table_name="stock_movements")
    op.drop_index("ix_stock_movements_product", table_name="stock_movements")
    op.drop_table("stock_movements")
    op.drop_table("stock_items")
