"""Runs carry their processor's options and the estimate made at submission.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ACTIVE = sa.text("state IN ('PENDING', 'EXECUTING')")


def _active_work_index(columns: list[str]) -> None:
    op.create_index(
        "uq_runs_active_work",
        "runs",
        columns,
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )


def upgrade() -> None:
    """Add ``runs.options``, ``runs.options_key`` and ``runs.estimate``.

    Active work becomes unique per boundary, processor *and* options, so the same
    processor with other options is another run. Existing runs had no options.
    """
    op.drop_index("uq_runs_active_work", table_name="runs")
    with op.batch_alter_table("runs") as batch:
        batch.add_column(
            sa.Column("options", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch.add_column(sa.Column("options_key", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("estimate", sa.JSON(), nullable=True))
    _active_work_index(["boundary_name", "processor_id", "options_key"])


def downgrade() -> None:
    """Drop the options and estimate of runs (active runs differing only by options clash)."""
    op.drop_index("uq_runs_active_work", table_name="runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("estimate")
        batch.drop_column("options_key")
        batch.drop_column("options")
    _active_work_index(["boundary_name", "processor_id"])
