"""Gift cards and store credit held by this till alone (a till with no shop database).

A card's balance is the sum of its entries (domain/giftcards.py), never a column; every entry has a
unique key so the same step written twice is written once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "gift_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("issued_at", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "gift_card_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("entry_key", sa.String(), nullable=False),
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["gift_cards.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_key"),
    )
    op.create_index("ix_gift_card_entries_card_id", "gift_card_entries", ["card_id"])


def downgrade() -> None:
    op.drop_index("ix_gift_card_entries_card_id", table_name="gift_card_entries")
    op.drop_table("gift_card_entries")
    op.drop_table("gift_cards")
