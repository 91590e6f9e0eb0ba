"""Storing custom areas: insert-or-get, renaming, and a squatted name given back."""

from __future__ import annotations

import shapely
from sqlalchemy import select

from autopkg.db import boundaries as boundary_repo
from autopkg.db import counters
from autopkg.db.models import BoundaryRecord
from autopkg.db.session import Database
from autopkg.domain.boundary import Boundary

AREA = shapely.MultiPolygon([shapely.box(0, 0, 1, 1)])
NAME = "custom-0123456789ab"


def stored(database: Database) -> tuple[str, str, shapely.Geometry, int]:
    with database.session() as session:
        record = session.scalars(select(BoundaryRecord).where(BoundaryRecord.name == NAME)).one()
        version = counters.read(session, counters.Counter.BOUNDARIES_VERSION)
        return (
            record.name_long,
            record.admin_level,
            record.geometry,
            version[counters.Counter.BOUNDARIES_VERSION],
        )


def store(database: Database, name_long: str, *, rename: bool) -> None:
    with database.session() as session:
        area = Boundary(name=NAME, name_long=name_long, admin_level=None, geometry=AREA)
        boundary_repo.store_custom_area(session, area, rename=rename)


def test_an_area_is_stored_once_and_renamed_only_when_named(database: Database) -> None:
    store(database, "Custom area 0123456789ab", rename=False)
    first = stored(database)
    assert first[:2] == ("Custom area 0123456789ab", "")
    assert shapely.equals(first[2], AREA)
    store(database, "Custom area 0123456789ab", rename=False)
    assert stored(database) == first  # nothing written, the version unchanged
    store(database, "Volta basin", rename=True)
    renamed = stored(database)
    assert renamed[0] == "Volta basin" and renamed[3] == first[3] + 1


def test_a_name_squatted_before_it_was_reserved_is_given_back(database: Database) -> None:
    squatter = Boundary(NAME, "Squatter", 0, shapely.MultiPolygon([shapely.box(5, 5, 9, 9)]))
    with database.session() as session:
        boundary_repo.upsert(session, [squatter])
    store(database, "Custom area 0123456789ab", rename=False)
    name_long, admin_level, geometry, _ = stored(database)
    assert shapely.equals(geometry, AREA)
    assert admin_level == ""
    assert name_long == "Custom area 0123456789ab"  # the squatter's name goes too
