"""Which boundaries have a published package, from the run records."""

from __future__ import annotations

from sqlalchemy import Connection, select

from autopkg.db.models import BoundaryRecord, RunRecord
from autopkg.domain.states import RunState

# A run is SUCCESS only once its files and manifest are published, and SKIPPED only
# when its output is published already; a retired custom area's package is deleted
# with its boundary row, so the join leaves it out.
_PUBLISHED = (
    select(RunRecord.boundary_name)
    .join(BoundaryRecord, BoundaryRecord.name == RunRecord.boundary_name)
    .where(RunRecord.state.in_([RunState.SUCCESS.value, RunState.SKIPPED.value]))
    .distinct()
    .order_by(RunRecord.boundary_name)
)


def published_boundaries(connection: Connection) -> list[str]:
    """Return the sorted names of boundaries a run has published a package for."""
    return list(connection.scalars(_PUBLISHED))
