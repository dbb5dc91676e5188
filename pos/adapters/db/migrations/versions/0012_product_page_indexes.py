"""The sale screen's product pages off indexes (issue 27 item 5): a category's page in name order,
the list of categories and the Favourites page each read a few index entries, not the catalog.
Partial indexes over the active products only (what the sale screen shows).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: Union[str, Sequence[str], None] = "0011"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.create_index("ix_products_active_category_name", ["category", "name"], sqlite_where=sa.text("active = 1"))
        batch.create_index(
            "ix_products_active_favourite",
            ["favourite", "name"],
            sqlite_where=sa.text("active = 1 AND favourite IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.drop_index("ix_products_active_favourite")
        batch.drop_index("ix_products_active_category_name")
