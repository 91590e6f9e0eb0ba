"""Boundaries get a parent, codes and an edition; countries record their loaded units.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from autopkg.boundaries.builtin import builtin_boundaries
from autopkg.db.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_boundaries = sa.table(
    "boundaries",
    sa.column("name", sa.String()),
    sa.column("name_long", sa.String()),
    sa.column("admin_level", sa.String()),
    sa.column("edition", sa.JSON()),
    sa.column("codes", sa.JSON()),
)


def upgrade() -> None:
    """Add ``parent``, ``codes`` and ``edition`` to boundaries and the loads table.

    A stored boundary that is still the built-in one (same name, long name and level
    0) gets Natural Earth's codes and edition, as a fresh load would give it.
    """
    with op.batch_alter_table("boundaries") as batch:
        batch.add_column(sa.Column("parent", sa.String(63), nullable=True))
        batch.add_column(sa.Column("codes", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("edition", sa.JSON(), nullable=False, server_default="{}"))
        batch.create_index("ix_boundaries_parent", ["parent"])
    op.create_table(
        "boundary_loads",
        sa.Column("country", sa.String(63), primary_key=True),
        sa.Column("admin_level", sa.String(16), primary_key=True),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("loaded_at", UTCDateTime(), nullable=False),
    )
    connection = op.get_bind()
    for boundary in builtin_boundaries():
        connection.execute(
            _boundaries.update()
            .where(
                _boundaries.c.name == boundary.name,
                _boundaries.c.name_long == boundary.name_long,
                _boundaries.c.admin_level == "0",
            )
            .values(edition=boundary.edition, codes=boundary.codes)
        )


def downgrade() -> None:
    """Drop the loads table and the boundaries' ``parent``, ``codes`` and ``edition``."""
    op.drop_table("boundary_loads")
    with op.batch_alter_table("boundaries") as batch:
        batch.drop_index("ix_boundaries_parent")
        batch.drop_column("edition")
        batch.drop_column("codes")
        batch.drop_column("parent")
