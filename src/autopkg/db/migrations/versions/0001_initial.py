"""Boundaries, jobs, runs and the job-run links.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from autopkg.db.types import MultiPolygonType, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ACTIVE = sa.text("state IN ('PENDING', 'EXECUTING')")


def upgrade() -> None:
    """Create the initial schema."""
    op.create_table(
        "boundaries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(63), nullable=False, unique=True),
        sa.Column("name_long", sa.String(255), nullable=False, index=True),
        sa.Column("admin_level", sa.String(16), nullable=False),
        sa.Column("geometry", MultiPolygonType(), nullable=False),
        sa.Column("min_x", sa.Float(), nullable=False),
        sa.Column("min_y", sa.Float(), nullable=False),
        sa.Column("max_x", sa.Float(), nullable=False),
        sa.Column("max_y", sa.Float(), nullable=False),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("boundary_name", sa.String(63), nullable=False, index=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("boundary_name", sa.String(63), nullable=False),
        sa.Column("processor_id", sa.String(130), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("percent", sa.Float(), nullable=False),
        sa.Column("current_task", sa.String(255), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(255), nullable=True),
        sa.Column("lease_expires_at", UTCDateTime(), nullable=True),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_runs_state", "runs", ["state"])
    op.create_index(
        "uq_runs_active_work",
        "runs",
        ["boundary_name", "processor_id"],
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )
    op.create_table(
        "job_runs",
        sa.Column("job_id", sa.String(36), sa.ForeignKey("jobs.id"), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.String(36), sa.ForeignKey("runs.id"), nullable=False, index=True),
    )


def downgrade() -> None:
    """Drop the initial schema."""
    op.drop_table("job_runs")
    op.drop_index("uq_runs_active_work", table_name="runs")
    op.drop_index("ix_runs_state", table_name="runs")
    op.drop_table("runs")
    op.drop_table("jobs")
    op.drop_table("boundaries")
