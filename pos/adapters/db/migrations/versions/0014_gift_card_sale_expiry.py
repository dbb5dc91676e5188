"""A gift card sold at the counter keeps its expiry day with the sale (issue 27, tenth session): the
card is stamped when it is activated, after the payment, and the receipt (and every reprint) prints
"valid until <day>" from this row, not from the ledger (the shop's may be away). Empty for every card
sold before: they print no day.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: Union[str, Sequence[str], None] = "0013"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("gift_card_sales") as batch:
        batch.add_column(sa.Column("expires_on", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gift_card_sales") as batch:
        batch.drop_column("expires_on")
