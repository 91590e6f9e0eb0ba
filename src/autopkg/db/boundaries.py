"""Boundary queries: list, search by name or point, fetch, upsert, retire custom areas."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import shapely
from sqlalchemy import (
    ColumnElement,
    Connection,
    Result,
    and_,
    case,
    delete,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from autopkg.boundaries.buffered import buffered_name
from autopkg.boundaries.custom import BUFFER_MARK, CUSTOM_PREFIX
from autopkg.boundaries.search import fold, search_text, sort_key
from autopkg.db import counters
from autopkg.db.models import (
    ACTIVE_STATES,
    BoundaryLoadRecord,
    BoundaryRecord,
    JobRecord,
    RunRecord,
)
from autopkg.domain.boundary import Boundary, admin_level_of

# Search answers countries first, then admin-1, then admin-2 units; boundaries without
# a level (uploads, custom areas) rank with the countries, as they always did.
_LEVEL_RANK = {"1": 1, "2": 2}


@dataclass(frozen=True)
class Found:
    """A boundary a search or a children look-up found, without its geometry."""

    name: str
    name_long: str
    admin_level: int | None
    parent: str | None


def level_text(admin_level: int | None) -> str:
    """How the database stores a level: its digit, or an empty text for none."""
    return "" if admin_level is None else str(admin_level)


def _to_boundary(record: BoundaryRecord) -> Boundary:
    return Boundary(
        name=record.name,
        name_long=record.name_long,
        admin_level=admin_level_of(record.admin_level),
        geometry=record.geometry,
        parent=record.parent,
        codes=dict(record.codes or {}),
        edition=dict(record.edition or {}),
    )


def count(session: Session) -> int:
    """Return how many boundaries are loaded."""
    return session.scalar(select(func.count()).select_from(BoundaryRecord)) or 0


def _listed(include_custom: bool) -> ColumnElement[bool]:
    # Buffered areas are listed with custom areas: each is made for a request, and
    # ``gha-buffer-5000m`` beside ``gha`` would only crowd lists, searches and the map.
    if include_custom:
        return true()
    return and_(
        BoundaryRecord.name.not_like(f"{CUSTOM_PREFIX}%"),
        BoundaryRecord.name.not_like(f"%{BUFFER_MARK}%"),
    )


def list_names(session: Session, *, include_custom: bool = False) -> list[tuple[str, str]]:
    """Return ``(name, name_long)`` of every boundary, by accent-free long name then name.

    Custom areas (``custom-…``) are left out unless ``include_custom``.
    """
    rows = session.execute(
        select(BoundaryRecord.name, BoundaryRecord.name_long).where(_listed(include_custom))
    )
    return sorted(rows.tuples(), key=lambda row: sort_key(row[1], row[0]))


def listed_boundaries(session: Session) -> list[Boundary]:
    """Every boundary except custom areas and admin units, with geometry, by name.

    Admin-1 and admin-2 units are reached through their country (children), not drawn
    on the map of every country: once loaded they would number in the thousands.
    """
    records = session.scalars(
        select(BoundaryRecord)
        .where(
            _listed(False),
            # NOT IN is unknown for a NULL level (an upload has none), which would drop it.
            or_(
                BoundaryRecord.admin_level.is_(None), BoundaryRecord.admin_level.not_in(_LEVEL_RANK)
            ),
        )
        .order_by(BoundaryRecord.name)
    )
    return [_to_boundary(record) for record in records]


def get(session: Session, *, name: str) -> Boundary | None:
    """Return the boundary called ``name``, or ``None``."""
    record = session.scalar(select(BoundaryRecord).where(BoundaryRecord.name == name))
    return _to_boundary(record) if record else None


def name_long_of(session: Session, *, name: str) -> str | None:
    """Return the long name of the boundary called ``name``, or ``None`` if there is none."""
    return session.scalar(select(BoundaryRecord.name_long).where(BoundaryRecord.name == name))


def _at_level(admin_level: int | None) -> ColumnElement[bool]:
    return true() if admin_level is None else BoundaryRecord.admin_level == level_text(admin_level)


_FOUND_COLUMNS = (
    BoundaryRecord.name,
    BoundaryRecord.name_long,
    BoundaryRecord.admin_level,
    BoundaryRecord.parent,
)


def _found(row: tuple[str, str, str, str | None]) -> Found:
    name, name_long, level, parent = row
    return Found(name=name, name_long=name_long, admin_level=admin_level_of(level), parent=parent)


def search_by_name(
    session: Session, *, text: str, include_custom: bool = False, admin_level: int | None = None
) -> list[Found]:
    """Boundaries whose name, long name or an alternative name contains ``text``.

    Matching ignores case and accents and takes ``%``/``_`` literally. An exact name
    comes first, then countries, admin-1 and admin-2 units; within each, long names
    starting with the text, then the rest, each group in accent-free alphabetical
    order. With ``admin_level``, only boundaries of that level.
    """
    needle = fold(text)
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = session.execute(
        select(*_FOUND_COLUMNS).where(
            BoundaryRecord.search_text.like(f"%{escaped}%", escape="\\"),
            _listed(include_custom),
            _at_level(admin_level),
        )
    )

    def rank(row: tuple[str, str, str, str | None]) -> tuple[int, int, int, tuple[str, str]]:
        name, name_long, level, _ = row
        exact = 0 if name == needle else 1
        start = 0 if fold(name_long).startswith(needle) else 1
        return exact, _LEVEL_RANK.get(level, 0), start, sort_key(name_long, name)

    return [_found(row) for row in sorted(rows.tuples(), key=rank)]


def search_by_point(
    session: Session,
    *,
    longitude: float,
    latitude: float,
    include_custom: bool = False,
    admin_level: int | None = None,
) -> list[Found]:
    """Boundaries containing the point (edges included), countries first, then admin-1
    and admin-2 units; custom areas only with ``include_custom`` (an area is its
    submitter's business, not a public place); only ``admin_level`` when given.

    On PostGIS the whole test runs in SQL (``ST_Intersects``, served by the GiST index);
    on SQLite the bounding-box columns narrow the candidates in SQL and the exact test
    runs in shapely, so SQLite needs no spatial extension.
    """
    order = (_level_order(), BoundaryRecord.name_long, BoundaryRecord.name)
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        point = func.ST_SetSRID(func.ST_MakePoint(longitude, latitude), 4326)
        rows = session.execute(
            select(*_FOUND_COLUMNS)
            .where(
                func.ST_Intersects(BoundaryRecord.geometry, point),
                _listed(include_custom),
                _at_level(admin_level),
            )
            .order_by(*order)
        )
        return [_found(row) for row in rows.tuples()]
    candidates = session.scalars(
        select(BoundaryRecord)
        .where(
            BoundaryRecord.min_x <= longitude,
            BoundaryRecord.max_x >= longitude,
            BoundaryRecord.min_y <= latitude,
            BoundaryRecord.max_y >= latitude,
            _listed(include_custom),
            _at_level(admin_level),
        )
        .order_by(*order)
    )
    shape = shapely.Point(longitude, latitude)
    return [
        _found((record.name, record.name_long, record.admin_level, record.parent))
        for record in candidates
        if shapely.intersects(record.geometry, shape)
    ]


def _level_order() -> ColumnElement[int]:
    return case(
        *((BoundaryRecord.admin_level == level, rank) for level, rank in _LEVEL_RANK.items()),
        else_=0,
    )


def children(session: Session, *, parent: str) -> list[Found]:
    """The units ``parent`` holds, by long name."""
    rows = session.execute(select(*_FOUND_COLUMNS).where(BoundaryRecord.parent == parent))
    return [_found(row) for row in sorted(rows.tuples(), key=lambda row: sort_key(row[1], row[0]))]


def loaded_levels(session: Session, *, country: str) -> set[str]:
    """The admin levels whose units were loaded for ``country``."""
    return set(
        session.scalars(
            select(BoundaryLoadRecord.admin_level).where(BoundaryLoadRecord.country == country)
        )
    )


def record_load(session: Session, *, country: str, admin_level: str, units: int) -> None:
    """Record that ``country``'s units of ``admin_level`` are stored (``units`` of them)."""
    record = session.get(BoundaryLoadRecord, (country, admin_level))
    if record is None:
        record = BoundaryLoadRecord(country=country, admin_level=admin_level)
        session.add(record)
    record.units = units
    record.loaded_at = datetime.now(UTC)


def version(reader: Session | Connection, *, include_custom: bool = True) -> int:
    """A number that changes, for every process, whenever a boundary is written.

    Without ``include_custom``, it changes only when one other than a custom area is.
    """
    counter = (
        counters.Counter.BOUNDARIES_VERSION
        if include_custom
        else counters.Counter.LISTED_BOUNDARIES_VERSION
    )
    return counters.read(reader, counter)[counter]


def upsert(session: Session, boundaries: Iterable[Boundary]) -> int:
    """Insert or replace boundaries by name; return how many were written.

    The buffered areas grown from a boundary written are deleted (see
    :func:`_delete_buffers_of`). The boundaries' :func:`version` changes in the same
    transaction.
    """
    written = listed = 0
    for boundary in boundaries:
        record = session.scalar(select(BoundaryRecord).where(BoundaryRecord.name == boundary.name))
        if record is None:
            record = BoundaryRecord(name=boundary.name)
            session.add(record)
        min_x, min_y, max_x, max_y = boundary.geometry.bounds
        record.name_long = boundary.name_long
        record.search_text = search_text([boundary.name, boundary.name_long, *boundary.alt_names])
        record.admin_level = level_text(boundary.admin_level)
        record.parent = boundary.parent
        record.codes = boundary.codes
        record.edition = boundary.edition
        record.geometry = boundary.geometry
        record.min_x, record.min_y, record.max_x, record.max_y = min_x, min_y, max_x, max_y
        written += 1
        listed += not boundary.name.startswith(CUSTOM_PREFIX)
        _delete_buffers_of(session, boundary.name)
    if written:
        counters.add(session, counters.Counter.BOUNDARIES_VERSION)
    if listed:
        counters.add(session, counters.Counter.LISTED_BOUNDARIES_VERSION)
    return written


def store_custom_area(session: Session, boundary: Boundary, *, rename: bool) -> None:
    """Insert a custom area, or leave the one of its name as it is (insert-or-get).

    Its name is derived from its geometry, so a stored area of that name is the same
    area. Concurrent first submissions of an area meet here: ``ON CONFLICT DO
    NOTHING`` makes every one but the first a no-op instead of a unique violation.
    With ``rename``, a stored area takes ``boundary.name_long`` (a name was given).
    A stored area whose bounds differ (a name taken by an upload before such names
    were reserved) gets its geometry and name back.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    min_x, min_y, max_x, max_y = boundary.geometry.bounds
    searched = search_text([boundary.name, boundary.name_long])
    inserted = session.execute(
        insert(BoundaryRecord)
        .values(
            name=boundary.name,
            name_long=boundary.name_long,
            search_text=searched,
            admin_level=level_text(boundary.admin_level),
            geometry=boundary.geometry,
            min_x=min_x,
            min_y=min_y,
            max_x=max_x,
            max_y=max_y,
        )
        .on_conflict_do_nothing(index_elements=[BoundaryRecord.name])
        # The row inserted, if any: psycopg reports no rowcount (-1) for this statement.
        .returning(BoundaryRecord.id)
    )
    if inserted.first() is not None:
        counters.add(session, counters.Counter.BOUNDARIES_VERSION)
        return
    restored = _restore_geometry(session, boundary, searched)
    renamed = rename and _rename(session, boundary, searched)
    if restored or renamed:
        counters.add(session, counters.Counter.BOUNDARIES_VERSION)


def _restore_geometry(session: Session, boundary: Boundary, searched: str) -> bool:
    """Give a stored custom area of other bounds ``boundary``'s geometry and name back.

    The same area always has the same bounds (both from one normalised geometry), so
    other bounds mean an upload took the name before such names were reserved.
    """
    min_x, min_y, max_x, max_y = boundary.geometry.bounds
    restored = session.execute(
        update(BoundaryRecord)
        .where(
            BoundaryRecord.name == boundary.name,
            or_(
                BoundaryRecord.min_x != min_x,
                BoundaryRecord.min_y != min_y,
                BoundaryRecord.max_x != max_x,
                BoundaryRecord.max_y != max_y,
            ),
        )
        .values(
            name_long=boundary.name_long,
            search_text=searched,
            geometry=boundary.geometry,
            admin_level=level_text(boundary.admin_level),
            min_x=min_x,
            min_y=min_y,
            max_x=max_x,
            max_y=max_y,
        )
        .execution_options(synchronize_session=False)
    )
    return _rowcount(restored) == 1


def _rename(session: Session, boundary: Boundary, searched: str) -> bool:
    renamed = session.execute(
        update(BoundaryRecord)
        .where(
            BoundaryRecord.name == boundary.name,
            BoundaryRecord.name_long != boundary.name_long,
        )
        .values(name_long=boundary.name_long, search_text=searched)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(renamed) == 1


def _rowcount(result: Result[Any]) -> int:
    # An INSERT, UPDATE or DELETE returns a CursorResult at run time; the ORM's execute
    # is typed Result.
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def unused_custom_areas(session: Session, *, since: datetime) -> list[str]:
    """Custom areas no job has asked for since ``since`` and no run is working on, by name."""
    recent_job = (
        select(JobRecord.id)
        .where(JobRecord.boundary_name == BoundaryRecord.name, JobRecord.created_at >= since)
        .exists()
    )
    active_run = (
        select(RunRecord.id)
        .where(RunRecord.boundary_name == BoundaryRecord.name, RunRecord.state.in_(ACTIVE_STATES))
        .exists()
    )
    return list(
        session.scalars(
            select(BoundaryRecord.name)
            .where(BoundaryRecord.name.like(f"{CUSTOM_PREFIX}%"), ~recent_job, ~active_run)
            .order_by(BoundaryRecord.name)
        )
    )


def delete_custom_area(session: Session, *, name: str) -> bool:
    """Delete the custom area ``name``; ``False`` if it is not a custom area (or is gone)."""
    if not name.startswith(CUSTOM_PREFIX):
        return False
    deleted = session.execute(
        delete(BoundaryRecord)
        .where(BoundaryRecord.name == name)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(deleted) != 1:
        return False
    counters.add(session, counters.Counter.BOUNDARIES_VERSION)
    return True


def _delete_buffers_of(session: Session, name: str) -> None:
    """Delete the buffered areas grown from the boundary ``name``.

    A buffer is made from its boundary's geometry once; when the boundary is written
    again, the next request for a buffer grows the new geometry instead. A buffer's
    name starts with its boundary's, or, for a long name, with the start that
    :func:`~autopkg.boundaries.buffered.buffered_name` keeps for each length of the
    distance.
    """
    starts = {buffered_name(name, 10**digits).split(BUFFER_MARK)[0] for digits in range(8)}
    patterns = [start.replace("_", "\\_") + BUFFER_MARK + "%" for start in starts]
    session.execute(
        delete(BoundaryRecord)
        .where(or_(*(BoundaryRecord.name.like(pattern, escape="\\") for pattern in patterns)))
        .execution_options(synchronize_session=False)
    )
