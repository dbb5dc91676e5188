"""A gift card's expiry (issue 24 leftover): the store's calendar day from which it can no longer be
spent, stamped when it is issued from the owner's setting (none by default). Empty for every card
the till had: they never expire.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: Union[str, Sequence[str], None] = "0012"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("gift_cards") as batch:
        batch.add_column(sa.Column("expires_on", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gift_cards") as batch:
        batch.drop_column("expires_on")
