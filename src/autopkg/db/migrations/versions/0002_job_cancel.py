"""Jobs can be cancelled.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from autopkg.db.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``jobs.cancelled_at``."""
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("cancelled_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Drop ``jobs.cancelled_at``."""
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("cancelled_at")
