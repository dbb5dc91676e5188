"""A product's tile on the sale screen (issue 28 item 2): its colour (#rrggbb, or none for the
theme's) and its place on the Favourites page (1 first, or none). Both empty for every product
the till had: the grid looks as before until the owner picks them.

Not in the products' audit digest (adapters/db/audit.py names its columns): how a tile looks is
not a price, a tax rate or a code.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: Union[str, Sequence[str], None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("colour", sa.String(), nullable=True))
        batch.add_column(sa.Column("favourite", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.drop_column("favourite")
        batch.drop_column("colour")
