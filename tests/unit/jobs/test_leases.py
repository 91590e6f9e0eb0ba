"""Claims, leases, heartbeats and the sweep against a real SQLite database."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
import shapely
from sqlalchemy import select

from autopkg.boundaries.boundary import Boundary
from autopkg.db import boundaries as boundary_repo
from autopkg.db import runs as run_repo
from autopkg.db.migrate import upgrade
from autopkg.db.models import JobRecord, RunState
from autopkg.db.session import Database
from autopkg.errors import RunAbandonedError
from autopkg.jobs.progress import RunReporter

LEASE = timedelta(seconds=30)


@pytest.fixture
def database(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    upgrade(db)
    with db.session() as session:
        area = shapely.MultiPolygon([shapely.box(0, 0, 1, 1)])
        boundary_repo.upsert(session, [Boundary("zone", "Zone", "0", area)])
    return db


def _queue(database: Database, processor: str = "p.v1") -> str:
    with database.session() as session:
        run, created = run_repo.join_or_create_run(
            session, boundary_name="zone", processor_id=processor
        )
        assert created
        run_repo.create_job(session, boundary_name="zone", runs=[run])
        return run.id


def _state(database: Database, run_id: str) -> tuple[str, int, str | None]:
    with database.session() as session:
        run = run_repo.get_run(session, run_id=run_id)
        assert run is not None
        return run.state, run.attempts, run.lease_owner


def test_racing_workers_claim_a_run_once(database: Database) -> None:
    run_id = _queue(database)
    barrier = threading.Barrier(8)
    winners: list[str] = []

    def race(owner: str) -> None:
        barrier.wait()
        with database.session() as session:
            if run_repo.claim(session, owner=owner, lease=LEASE, run_id=run_id):
                winners.append(owner)

    threads = [threading.Thread(target=race, args=(f"w{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    assert _state(database, run_id) == ("EXECUTING", 1, winners[0])


def test_only_the_owner_can_heartbeat_or_finish(database: Database) -> None:
    run_id = _queue(database)
    with database.session() as session:
        assert run_repo.claim(session, owner="me", lease=LEASE)
    with database.session() as session:
        assert not run_repo.heartbeat(session, run_id=run_id, owner="you", lease=LEASE)
        assert not run_repo.finish(session, run_id=run_id, owner="you", state=RunState.SUCCESS)
        assert run_repo.heartbeat(session, run_id=run_id, owner="me", lease=LEASE, percent=40)
        assert run_repo.finish(session, run_id=run_id, owner="me", state=RunState.SUCCESS)
    assert _state(database, run_id) == ("SUCCESS", 1, None)


def test_expired_lease_is_retried_then_failed(database: Database) -> None:
    run_id = _queue(database)
    expired = timedelta(seconds=-1)
    for attempt in (1, 2, 3):
        with database.session() as session:
            assert run_repo.claim(session, owner=f"crashy{attempt}", lease=expired)
        with database.session() as session:
            for run in run_repo.executing_runs(session):
                run_repo.release(session, run=run, max_attempts=3, reason="worker stopped")
        state, attempts, owner = _state(database, run_id)
        assert attempts == attempt and owner is None
        assert state == ("FAILURE" if attempt == 3 else "PENDING")
    with database.session() as session:
        assert run_repo.claim(session, owner="late", lease=LEASE) is None


def test_a_finished_pair_gets_a_new_run_and_an_active_one_is_joined(database: Database) -> None:
    first = _queue(database)
    with database.session() as session:
        joined, created = run_repo.join_or_create_run(
            session, boundary_name="zone", processor_id="p.v1"
        )
        assert (joined.id, created) == (first, False)
        run_repo.claim(session, owner="me", lease=LEASE)
    with database.session() as session:
        run_repo.finish(session, run_id=first, owner="me", state=RunState.FAILURE, error="x")
    assert _queue(database) != first


def test_reporter_stops_a_revoked_run(database: Database) -> None:
    run_id = _queue(database)
    with database.session() as session:
        assert run_repo.claim(session, owner="me", lease=LEASE)
    with RunReporter(database, run_id=run_id, owner="me", lease=LEASE, min_interval=0) as reporter:
        reporter.report(10, "working")
        reporter.report(5, "still working")
        with database.session() as session:
            run = run_repo.get_run(session, run_id=run_id)
            assert run is not None and run.percent == 10 and run.current_task == "still working"
            job = session.scalars(select(JobRecord)).one()
            assert run_repo.cancel_job(session, job=job) == [run_id]
        reporter.report(20, "after cancel")
        with pytest.raises(RunAbandonedError):
            reporter.report(30, "stopped")
    assert _state(database, run_id)[0] == "REVOKED"
