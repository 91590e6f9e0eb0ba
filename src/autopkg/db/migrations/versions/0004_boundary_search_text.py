"""Boundaries get a folded search text (accent-free names and alternative names).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from autopkg.boundaries.builtin import builtin_boundaries
from autopkg.boundaries.search import search_text

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_boundaries = sa.table(
    "boundaries",
    sa.column("id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("name_long", sa.String()),
    sa.column("search_text", sa.Text()),
)


def upgrade() -> None:
    """Add ``boundaries.search_text`` and fill it for the boundaries already stored.

    A stored boundary that is still the built-in one (same name and long name) also
    gets Natural Earth's alternative names, as a fresh load would give it.
    """
    with op.batch_alter_table("boundaries") as batch:
        batch.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    builtin = {b.name: b for b in builtin_boundaries()}
    connection = op.get_bind()
    columns = (_boundaries.c.id, _boundaries.c.name, _boundaries.c.name_long)
    for row_id, name, name_long in connection.execute(sa.select(*columns)).all():
        known = builtin.get(name)
        alt_names = known.alt_names if known and known.name_long == name_long else ()
        connection.execute(
            _boundaries.update()
            .where(_boundaries.c.id == row_id)
            .values(search_text=search_text([name, name_long, *alt_names]))
        )


def downgrade() -> None:
    """Drop ``boundaries.search_text``."""
    with op.batch_alter_table("boundaries") as batch:
        batch.drop_column("search_text")
