"""What a run's jobs ask of the summary, stored on SQLite and PostgreSQL alike."""

from __future__ import annotations

from autopkg.db import runs as run_repo
from autopkg.db.session import Database
from autopkg.packaging.summary import request_of, request_record
from tests.unit.jobs.helpers import queue


def join(database: Database, request: dict[str, object] | bool | None) -> None:
    """Another job joining the active run of ``p.v1`` with ``request``."""
    with database.session() as session:
        run, created = run_repo.join_or_create_run(
            session, boundary_name="zone", processor_id="p.v1"
        )
        assert not created
        run_repo.create_job(session, boundary_name="zone", runs=[run], summary=request)


def asked(database: Database, run_id: str) -> object:
    with database.read_session() as session:
        return run_repo.summary_request(session, run_id=run_id)


def test_the_newest_job_that_asks_anything_decides(database: Database) -> None:
    run_id = queue(database)
    assert asked(database, run_id) is None
    thresholds = request_record({"storm.v1": [50, 33.0]})
    assert thresholds == {"thresholds": {"storm.v1": [50.0, 33.0]}}
    join(database, thresholds)
    assert asked(database, run_id) == thresholds
    join(database, False)
    assert asked(database, run_id) is False
    # A job that asks nothing leaves the last request standing.
    join(database, None)
    assert asked(database, run_id) is False
    join(database, thresholds)
    assert request_of(asked(database, run_id)) == {"storm.v1": [50.0, 33.0]}
    assert request_of(False) is False
    assert request_of(None) is None
