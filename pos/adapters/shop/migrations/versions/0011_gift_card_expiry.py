"""A gift card's expiry (issue 24 leftover): the store's calendar day from which it can no longer be
spent, stamped by the till that issues it from the owner's setting (none by default). Empty for every
card the shop had: they never expire.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: Union[str, Sequence[str], None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("shop_gift_cards", sa.Column("expires_on", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("shop_gift_cards", "expires_on")
