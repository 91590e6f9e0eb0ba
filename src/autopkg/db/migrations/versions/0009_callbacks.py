"""Callbacks: the URLs jobs report to and the deliveries owed to them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from autopkg.db.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``callback_subscriptions`` and ``callback_deliveries``."""
    op.create_table(
        "callback_subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(36), sa.ForeignKey("jobs.id"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("base_url", sa.Text(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_callback_subscriptions_job_id", "callback_subscriptions", ["job_id"])
    op.create_index("ix_callback_subscriptions_closed_at", "callback_subscriptions", ["closed_at"])
    op.create_table(
        "callback_deliveries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("job_id", sa.String(36), sa.ForeignKey("jobs.id"), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("given_up_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index(
        "uq_callback_deliveries_change",
        "callback_deliveries",
        ["job_id", "event", "url"],
        unique=True,
    )
    op.create_index("ix_callback_deliveries_due", "callback_deliveries", ["next_attempt_at"])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("callback_deliveries")
    op.drop_table("callback_subscriptions")
