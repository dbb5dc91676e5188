"""A product's tile on the sale screen (issue 28 item 2): its colour (#rrggbb) and its place on the
Favourites page, carried between tills with the rest of the catalog. Empty for every product the
shop had.

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
    op.add_column("shop_products", sa.Column("colour", sa.String(), nullable=True))
    op.add_column("shop_products", sa.Column("favourite", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("shop_products", "favourite")
    op.drop_column("shop_products", "colour")
