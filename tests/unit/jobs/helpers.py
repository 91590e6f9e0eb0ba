"""Small helpers shared by the job-layer tests."""

from __future__ import annotations

from datetime import timedelta

from autopkg.db import runs as run_repo
from autopkg.db.session import Database

LEASE = timedelta(seconds=30)
MAX = 3


def queue(database: Database, processor: str = "p.v1") -> str:
    """Create a job with one new PENDING run for ``processor`` on ``zone``."""
    with database.session() as session:
        run, created = run_repo.join_or_create_run(
            session, boundary_name="zone", processor_id=processor
        )
        assert created
        run_repo.create_job(session, boundary_name="zone", runs=[run])
        return run.id


def state(database: Database, run_id: str) -> tuple[str, int, str | None]:
    """The run's state, attempts and lease owner."""
    with database.session() as session:
        run = run_repo.get_run(session, run_id=run_id)
        assert run is not None
        return run.state, run.attempts, run.lease_owner
