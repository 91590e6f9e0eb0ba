"""A real database for the job-layer tests: SQLite, and PostgreSQL + PostGIS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely

from autopkg.db import boundaries as boundary_repo
from autopkg.db.migrate import upgrade
from autopkg.db.session import Database
from autopkg.domain.boundary import Boundary
from tests.fixtures.postgres import postgis_database

ZONE = Boundary("zone", "Zone", 0, shapely.MultiPolygon([shapely.box(0, 0, 1, 1)]))


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database holding boundary ``zone``, on each engine in turn."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
        yield from _prepared(db)
        return
    with postgis_database() as url:
        yield from _prepared(Database(url))


def _prepared(db: Database) -> Iterator[Database]:
    upgrade(db)
    with db.session() as session:
        boundary_repo.upsert(session, [ZONE])
    try:
        yield db
    finally:
        db.dispose()
