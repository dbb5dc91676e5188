"""Open sessions (issue 27 item 2): each process that opens the till's file for writing keeps a row here
while it is open and deletes it when it closes cleanly. A row left by a process that is gone says the
file was not closed cleanly, so the next open runs SQLite's full quick_check; a file with no such row
is opened with the header, the layout and a committed test write only (constant time, not the file's
size). The CLI and the window can have the file open at once: a row each.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: Union[str, Sequence[str], None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "till_sessions",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("process", sa.String(), nullable=False),
        sa.Column("opened_at", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("till_sessions")
