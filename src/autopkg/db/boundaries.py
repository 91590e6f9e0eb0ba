"""Boundary queries: list, search by name or point, fetch, upsert."""

from __future__ import annotations

from collections.abc import Iterable

import shapely
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from autopkg.boundaries.boundary import Boundary
from autopkg.db.models import BoundaryRecord


def _to_boundary(record: BoundaryRecord) -> Boundary:
    return Boundary(
        name=record.name,
        name_long=record.name_long,
        admin_level=record.admin_level,
        geometry=record.geometry,
    )


def count(session: Session) -> int:
    """Return how many boundaries are loaded."""
    return session.scalar(select(func.count()).select_from(BoundaryRecord)) or 0


def list_names(session: Session) -> list[tuple[str, str]]:
    """Return ``(name, name_long)`` of every boundary, ordered by long name then name."""
    rows = session.execute(
        select(BoundaryRecord.name, BoundaryRecord.name_long).order_by(
            BoundaryRecord.name_long, BoundaryRecord.name
        )
    )
    return [(name, name_long) for name, name_long in rows]


def get(session: Session, *, name: str) -> Boundary | None:
    """Return the boundary called ``name``, or ``None``."""
    record = session.scalar(select(BoundaryRecord).where(BoundaryRecord.name == name))
    return _to_boundary(record) if record else None


def search_by_name(session: Session, *, text: str) -> list[tuple[str, str]]:
    """Boundaries whose name or long name contains ``text`` (case-insensitive, literal)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    rows = session.execute(
        select(BoundaryRecord.name, BoundaryRecord.name_long)
        .where(
            or_(
                func.lower(BoundaryRecord.name).like(pattern, escape="\\"),
                func.lower(BoundaryRecord.name_long).like(pattern, escape="\\"),
            )
        )
        .order_by(BoundaryRecord.name_long, BoundaryRecord.name)
    )
    return [(name, name_long) for name, name_long in rows]


def search_by_point(
    session: Session, *, longitude: float, latitude: float
) -> list[tuple[str, str]]:
    """Boundaries containing the point (edges included).

    The bounding-box columns narrow the candidates in SQL on every database; the exact
    test runs in shapely so SQLite needs no spatial extension.
    """
    candidates = session.scalars(
        select(BoundaryRecord)
        .where(
            BoundaryRecord.min_x <= longitude,
            BoundaryRecord.max_x >= longitude,
            BoundaryRecord.min_y <= latitude,
            BoundaryRecord.max_y >= latitude,
        )
        .order_by(BoundaryRecord.name_long, BoundaryRecord.name)
    )
    point = shapely.Point(longitude, latitude)
    return [
        (record.name, record.name_long)
        for record in candidates
        if shapely.intersects(record.geometry, point)
    ]


def upsert(session: Session, boundaries: Iterable[Boundary]) -> int:
    """Insert or replace boundaries by name; return how many were written."""
    written = 0
    for boundary in boundaries:
        record = session.scalar(select(BoundaryRecord).where(BoundaryRecord.name == boundary.name))
        if record is None:
            record = BoundaryRecord(name=boundary.name)
            session.add(record)
        min_x, min_y, max_x, max_y = boundary.geometry.bounds
        record.name_long = boundary.name_long
        record.admin_level = boundary.admin_level
        record.geometry = boundary.geometry
        record.min_x, record.min_y, record.max_x, record.max_y = min_x, min_y, max_x, max_y
        written += 1
    return written
