"""A run that is publishing says so in its state: PUBLISHING.

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_COLUMNS = ["boundary_name", "processor_id", "options_key"]


def _active_work_index(states: str) -> None:
    active = sa.text(f"state IN ({states})")
    op.create_index(
        "uq_runs_active_work",
        "runs",
        _COLUMNS,
        unique=True,
        sqlite_where=active,
        postgresql_where=active,
    )


def upgrade() -> None:
    """PUBLISHING joins the active states; runs past the point of no return move to it.

    Until now a publishing run was EXECUTING with ``publishing_at`` set.
    """
    op.drop_index("uq_runs_active_work", table_name="runs")
    op.execute(
        "UPDATE runs SET state = 'PUBLISHING' "
        "WHERE state = 'EXECUTING' AND publishing_at IS NOT NULL"
    )
    _active_work_index("'PENDING', 'EXECUTING', 'PUBLISHING'")


def downgrade() -> None:
    """A PUBLISHING run is EXECUTING again (``publishing_at`` still marks it)."""
    op.drop_index("uq_runs_active_work", table_name="runs")
    op.execute("UPDATE runs SET state = 'EXECUTING' WHERE state = 'PUBLISHING'")
    _active_work_index("'PENDING', 'EXECUTING'")
