"""Custom areas nobody asked for in the retention period are retired with their package."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import shapely
from sqlalchemy import update

from autopkg.config import Settings
from autopkg.db import boundaries as boundary_repo
from autopkg.db import runs as run_repo
from autopkg.db.models import JobRecord
from autopkg.db.session import Database
from autopkg.domain.boundary import Boundary
from autopkg.jobs.housekeeping import retire_unused_custom_areas
from autopkg.processors.registry import Registry
from autopkg.runtime import Runtime
from autopkg.storage.localfs import LocalFSStorage


def _area(west: float) -> Boundary:
    square = shapely.MultiPolygon([shapely.box(west, 0, west + 1, 1)])
    return Boundary(f"custom-{int(west):012d}", "Custom area", None, square)


def _job(database: Database, name: str, age_days: float) -> None:
    with database.session() as session:
        job = run_repo.create_job(session, boundary_name=name, runs=[])
        session.execute(
            update(JobRecord)
            .where(JobRecord.id == job.id)
            .values(created_at=run_repo.utcnow() - timedelta(days=age_days))
        )


def test_unused_custom_areas_are_retired_with_their_package(
    database: Database, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, custom_area_retention_days=30)
    rt = Runtime(settings, database, LocalFSStorage(settings.packages_root), Registry([]))
    old, fresh, queued = (_area(w) for w in (10.0, 20.0, 30.0))
    with database.session() as session:
        boundary_repo.upsert(session, [old, fresh, queued])
    _job(database, old.name, age_days=40)
    _job(database, fresh.name, age_days=2)
    with database.session() as session:
        # Old, but work is still queued for it: kept.
        run, _ = run_repo.join_or_create_run(
            session, boundary_name=queued.name, processor_id="p.v1"
        )
        run_repo.create_job(session, boundary_name=queued.name, runs=[run])
    with database.session() as session:
        session.execute(
            update(JobRecord)
            .where(JobRecord.boundary_name == queued.name)
            .values(created_at=run_repo.utcnow() - timedelta(days=60))
        )
    for area in (old, fresh):
        rt.storage.put_bytes(b"{}", f"{area.name}/datapackage.json", "application/json")
        rt.storage.put_bytes(b"x", f"{area.name}/datasets/p/v1/data/f.tif", "image/tiff")

    assert retire_unused_custom_areas(rt) == [old.name]

    with database.read_session() as session:
        assert boundary_repo.get(session, name=old.name) is None
        assert boundary_repo.get(session, name=fresh.name) is not None
        assert boundary_repo.get(session, name=queued.name) is not None
        assert boundary_repo.get(session, name="zone") is not None
    assert rt.storage.list_keys(f"{old.name}/") == []
    assert len(rt.storage.list_keys(f"{fresh.name}/")) == 2
    assert retire_unused_custom_areas(rt) == []
