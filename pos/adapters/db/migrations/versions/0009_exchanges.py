"""Exchanges at the counter (issue 24 item 4): `exchanges` holds one row per exchange, written before its
returned lines are refunded, keyed by the refund's store-credit piece, so recovery after a crash can
say whether the credit paid the new sale or stays on its code.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: Union[str, Sequence[str], None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "exchanges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exchange_key", sa.String(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("credit_minor", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("sale_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("updated_at", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["receipt_id"], ["receipts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("exchange_key"),
    )
    op.create_index("ix_exchanges_state", "exchanges", ["state"])


def downgrade() -> None:
    op.drop_index("ix_exchanges_state", table_name="exchanges")
    op.drop_table("exchanges")
