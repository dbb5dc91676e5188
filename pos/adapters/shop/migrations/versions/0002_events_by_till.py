"""Events by till id: a till id once used by another till's records stays taken.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from typing import Sequence, Union

from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Index the events by the till id they were written under (and which data folder wrote them)."""
    op.create_index("ix_shop_events_till_install", "shop_events", ["till_id", "install_id"])


def downgrade() -> None:
    op.drop_index("ix_shop_events_till_install", table_name="shop_events")
