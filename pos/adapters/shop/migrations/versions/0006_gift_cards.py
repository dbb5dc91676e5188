"""Gift cards and store credit held at the shop: every till of the shop sells and redeems them (issue 24).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """The cards and their ledger; a card's balance is the sum of its entries."""
    op.create_table(
        "shop_gift_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("issued_at", sa.String(), nullable=False),
        sa.Column("till_id", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "shop_gift_card_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("entry_key", sa.String(), nullable=False),
        sa.Column("till_id", sa.String(), nullable=False),
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("note", sa.String(), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(["card_id"], ["shop_gift_cards.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_key"),
    )
    op.create_index("ix_shop_gift_card_entries_card_id", "shop_gift_card_entries", ["card_id"])


def downgrade() -> None:
    op.drop_index("ix_shop_gift_card_entries_card_id", table_name="shop_gift_card_entries")
    op.drop_table("shop_gift_card_entries")
    op.drop_table("shop_gift_cards")
