"""Store credit on refunds, and returns without a receipt (issue 24 item 4).

`refunds.store_credit_code`: a refund piece given as store credit keeps the code it went onto (a card
of the gift-card ledger with purpose store_credit), for its slip and reprints. `unverified_returns`:
goods taken back with no receipt (a manager approved), given back in cash or as store credit,
numbered in the till's refund sequence.

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
    with op.batch_alter_table("refunds") as batch:
        batch.add_column(sa.Column("store_credit_code", sa.String(), nullable=True))
    op.create_table(
        "unverified_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_key", sa.String(), nullable=False),
        sa.Column("till_id", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("tender_kind", sa.String(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("rounding_minor", sa.Integer(), nullable=False),
        sa.Column("tax_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("approved_by", sa.String(), nullable=False),
        sa.Column("cashier", sa.String(), nullable=False),
        sa.Column("refund_no", sa.Integer(), nullable=True),
        sa.Column("store_credit_code", sa.String(), nullable=True),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("updated_at", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("return_key"),
    )
    op.create_index("ix_unverified_returns_till_id", "unverified_returns", ["till_id"])
    op.create_index("ix_unverified_returns_state", "unverified_returns", ["state"])


def downgrade() -> None:
    op.drop_index("ix_unverified_returns_state", table_name="unverified_returns")
    op.drop_index("ix_unverified_returns_till_id", table_name="unverified_returns")
    op.drop_table("unverified_returns")
    with op.batch_alter_table("refunds") as batch:
        batch.drop_column("store_credit_code")
