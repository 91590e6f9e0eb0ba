"""Jobs name who submitted them, so queued jobs can be counted per client.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``jobs.client`` and its index."""
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("client", sa.String(255), nullable=True))
        batch.create_index("ix_jobs_client", ["client"])


def downgrade() -> None:
    """Drop ``jobs.client`` and its index."""
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_client")
        batch.drop_column("client")
