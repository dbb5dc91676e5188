"""Each till's receipt figures per UTC quarter hour (issue 27 item 4), kept by the sync in the same
shop transaction that stores the receipts, so the shop report for a day reads a few hundred rows
rather than the day's receipts, lines and tenders. A quarter hour, not a day: a store's local day
is a run of whole quarter hours in any time zone (every zone's offset is a multiple of 15 minutes).
Filled here from the receipts the shop has already.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: Union[str, Sequence[str], None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    from pos.adapters.shop.figures import refill_all

    op.create_table(
        "shop_till_figures",
        sa.Column("till_id", sa.String(), nullable=False),
        sa.Column("quarter", sa.String(), nullable=False),
        sa.Column("figure", sa.String(), nullable=False),
        sa.Column("item", sa.String(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("till_id", "quarter", "figure", "item"),
    )
    op.create_index("ix_shop_till_figures_quarter", "shop_till_figures", ["quarter"])
    refill_all(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_shop_till_figures_quarter", table_name="shop_till_figures")
    op.drop_table("shop_till_figures")
