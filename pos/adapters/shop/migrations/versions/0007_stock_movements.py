"""Stock movements of every till of the shop (issue 26): sent up once, taken down by the others.

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
    op.create_table(
        "shop_stock_movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("till_id", sa.String(), nullable=False),
        sa.Column("movement_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("quantity_milli", sa.Integer(), nullable=False),
        sa.Column("cost_minor", sa.Integer(), nullable=True),
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("who", sa.String(), nullable=False),
        sa.Column("approved_by", sa.String(), nullable=False),
        sa.Column("why", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("till_id", "movement_id"),
    )
    op.create_index("ix_shop_stock_movements_sku", "shop_stock_movements", ["sku"])


def downgrade() -> None:
    op.drop_index("ix_shop_stock_movements_sku", table_name="shop_stock_movements")
    op.drop_table("shop_stock_movements")
