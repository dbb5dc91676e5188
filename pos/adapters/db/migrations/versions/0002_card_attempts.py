"""The `payments` table holds each confirm attempt of a card PaymentIntent: it is named for that.

SQLite renames a table in place (ALTER TABLE … RENAME TO, which also follows the foreign keys that
point at it; none do); its index is renamed with it so the names say the same.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from typing import Sequence, Union

from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.rename_table("payments", "card_attempts")
    with op.batch_alter_table("card_attempts") as batch:
        batch.drop_index("ix_payments_sale_id")
        batch.create_index("ix_card_attempts_sale_id", ["sale_id"])


def downgrade() -> None:
    with op.batch_alter_table("card_attempts") as batch:
        batch.drop_index("ix_card_attempts_sale_id")
        batch.create_index("ix_payments_sale_id", ["sale_id"])
    op.rename_table("card_attempts", "payments")
