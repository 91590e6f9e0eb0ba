"""Buffered areas are made once: first requests from several processes at once store one row."""

from __future__ import annotations

import hashlib
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
import shapely
from sqlalchemy import func, select

from autopkg.boundaries.buffered import buffered_boundary, buffered_name
from autopkg.config import Settings
from autopkg.db import boundaries as boundary_repo
from autopkg.db import counters
from autopkg.db.models import BoundaryRecord
from autopkg.db.session import Database
from autopkg.domain.boundary import Boundary
from autopkg.jobs.buffers import buffered_area
from autopkg.runtime import open_runtime
from tests.unit.jobs.conftest import ZONE

PROCESSES = 3
DISTANCES = (1_000, 2_500, 5_000, 10_000, 20_000)


def _contender(url: str, data_dir: str, barrier: Any, results: Any) -> None:
    """One process asking for every buffer of the zone, each round released together."""
    rt = open_runtime(Settings(database_url=url, data_dir=Path(data_dir)), migrate=False)
    for metres in DISTANCES:
        barrier.wait()
        made = buffered_area(rt, ZONE, metres, store=True)
        results.put((metres, made.name, made.name_long, shapely.to_wkb(made.geometry)))
    rt.database.dispose()


@pytest.mark.slow
def test_first_requests_from_several_processes_store_each_buffer_once(
    database: Database, tmp_path: Path
) -> None:
    with database.read_connection() as connection:
        before = counters.read(connection, counters.Counter.BOUNDARIES_VERSION)
    # Separate processes, as API processes and workers are: the lock inside one process
    # does not hold between them, so only the database can decide.
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    processes = [
        context.Process(target=_contender, args=(database.url, str(tmp_path), barrier, results))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    answers = [results.get(timeout=300) for _ in range(PROCESSES * len(DISTANCES))]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    with database.read_session() as session:
        for metres in DISTANCES:
            name = f"zone-buffer-{metres}m"
            rows = session.scalar(
                select(func.count()).select_from(BoundaryRecord).where(BoundaryRecord.name == name)
            )
            assert rows == 1
            stored = session.scalars(
                select(BoundaryRecord).where(BoundaryRecord.name == name)
            ).one()
            made = [answer for answer in answers if answer[0] == metres]
            assert len(made) == PROCESSES
            assert {answer[1:3] for answer in made} == {(name, f"Zone + {metres / 1000:g} km")}
            for answer in made:
                # PostGIS may hand back a coordinate a unit in the last place off.
                assert shapely.equals_exact(shapely.from_wkb(answer[3]), stored.geometry, 1e-12)
            # 1° of latitude is 110.574 km at the equator: the zone grows by the distance.
            assert abs(stored.min_y + metres / 110_574) < 0.005 * metres / 110_574
    with database.read_connection() as connection:
        after = counters.read(connection, counters.Counter.BOUNDARIES_VERSION)
    # One write per buffer, whichever process made it: the others wrote nothing.
    counter = counters.Counter.BOUNDARIES_VERSION
    assert after[counter] == before[counter] + len(DISTANCES)


def test_writing_a_boundary_again_deletes_the_buffers_grown_from_it(database: Database) -> None:
    long_name = "zone_" + "x" * 55
    others = [
        Boundary(name, name.title(), None, ZONE.geometry) for name in (long_name, "zone2", "zon")
    ]
    buffers = [
        buffered_boundary(boundary, metres)
        for boundary in (ZONE, *others)
        for metres in (1, 5_000, 1_000_000)
    ]
    with database.session() as session:
        boundary_repo.upsert(session, others)
        for buffered in buffers:
            boundary_repo.store_custom_area(session, buffered, rename=False)
    # The long name's buffers keep its start and add a digest of it.
    digest = hashlib.sha256(long_name.encode()).hexdigest()[:8]
    assert buffered_name(long_name, 5_000) == f"zone_{'x' * 36}-{digest}-buffer-5000m"
    with database.session() as session:
        boundary_repo.upsert(session, [ZONE, others[0]])
    with database.read_session() as session:
        left = set(
            session.scalars(
                select(BoundaryRecord.name).where(BoundaryRecord.name.like("%-buffer-%"))
            )
        )
    # Only the buffers of the boundaries not written again are left.
    assert left == {
        buffered_name(name, metres) for name in ("zone2", "zon") for metres in (1, 5_000, 1_000_000)
    }
