"""Cash refunds follow the store's cash rounding: a refund keeps what was handed back beyond its amount.

A till's refund row carries `rounding_minor` from its layout 11 (adapters/db/schema.py); the shop
keeps it too, so the shop's report counts the cash handed back and the rounding line as the tills'
reports do (`pos shop report` is the sum of the tills' `pos report`).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Refunds synced before this handed back exactly their amount."""
    op.add_column(
        "shop_refunds", sa.Column("rounding_minor", sa.Integer(), nullable=False, server_default=sa.text("0"))
    )


def downgrade() -> None:
    op.drop_column("shop_refunds", "rounding_minor")
