"""Stock by location (issue 26): each movement names the location of the till that made it.

Movements sent before this revision were the shop's one location's: "main", the `location`
setting's default.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("shop_stock_movements", sa.Column("location", sa.String(), nullable=False, server_default="main"))
    op.create_index("ix_shop_stock_movements_location", "shop_stock_movements", ["location"])


def downgrade() -> None:
    op.drop_index("ix_shop_stock_movements_location", table_name="shop_stock_movements")
    op.drop_column("shop_stock_movements", "location")
