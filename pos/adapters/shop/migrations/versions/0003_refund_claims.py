"""Refund claims: a till claims an amount of a receipt at the shop before refunding it (issue 23).

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
    """The claims, and each refund's key at the shop (a refund that arrives completes its claim)."""
    op.create_table(
        "shop_refund_claims",
        sa.Column("claim_key", sa.String(), nullable=False),
        sa.Column("receipt_till_id", sa.String(), nullable=False),
        sa.Column("receipt_no", sa.Integer(), nullable=False),
        sa.Column("till_id", sa.String(), nullable=False),
        sa.Column("install_id", sa.String(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("claimed_at", sa.String(), nullable=False),
        sa.Column("released_at", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("claim_key"),
    )
    op.create_index("ix_shop_refund_claims_receipt", "shop_refund_claims", ["receipt_till_id", "receipt_no"])
    with op.batch_alter_table("shop_refunds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refund_key", sa.String(), nullable=True))
        batch_op.create_index("ix_shop_refunds_refund_key", ["refund_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shop_refunds", schema=None) as batch_op:
        batch_op.drop_index("ix_shop_refunds_refund_key")
        batch_op.drop_column("refund_key")
    op.drop_index("ix_shop_refund_claims_receipt", table_name="shop_refund_claims")
    op.drop_table("shop_refund_claims")
