"""Runs record when they were last sent to a broker and when they began publishing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from autopkg.db.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``runs.publishing_at`` and ``runs.dispatched_at``."""
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("publishing_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("dispatched_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Drop ``runs.publishing_at`` and ``runs.dispatched_at``."""
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("dispatched_at")
        batch.drop_column("publishing_at")
