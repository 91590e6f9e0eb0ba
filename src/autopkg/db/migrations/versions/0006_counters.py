"""Counters shared by every process: the boundaries' version, source cache hits and misses.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``counters``."""
    op.create_table(
        "counters",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    """Drop ``counters``."""
    op.drop_table("counters")
