"""EMV receipts: a card-present tender keeps the fields its receipt must print.

A reader payment's application name, AID, read method, cardholder verification, authorization
code, account type, ARC, TVR and TSI (Stripe's `payment_method_details.card_present`), as the
till stores them on its tender (JSON), so another till's copy prints what the selling till did.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Tenders synced before this have none: their receipts printed without the EMV fields."""
    op.add_column("shop_tenders", sa.Column("card_present", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("shop_tenders", "card_present")
