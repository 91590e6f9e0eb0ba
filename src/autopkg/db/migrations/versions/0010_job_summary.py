"""Jobs carry what they ask of the package's summary; runs may only recompute it.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``jobs.summary`` and ``runs.summary_only``."""
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("summary", sa.JSON(none_as_null=True), nullable=True))
    with op.batch_alter_table("runs") as batch:
        batch.add_column(
            sa.Column("summary_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    """Drop ``jobs.summary`` and ``runs.summary_only``."""
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("summary_only")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("summary")
