"""Store credit spent at the counter (issue 24 item 4): `gift_card_redemptions.kind` says which tender a
redemption books, `gift_card` for a gift card's code, `store_credit` for a store credit code (both in
the gift-card ledger, told apart by the card's purpose). Rows written before are gift cards.

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
    with op.batch_alter_table("gift_card_redemptions") as batch:
        batch.add_column(sa.Column("kind", sa.String(), nullable=False, server_default="gift_card"))


def downgrade() -> None:
    with op.batch_alter_table("gift_card_redemptions") as batch:
        batch.drop_column("kind")
