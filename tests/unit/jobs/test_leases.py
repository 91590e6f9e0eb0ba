"""Claims, leases, heartbeats and releases, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from autopkg.db import runs as run_repo
from autopkg.db.models import JobRecord, RunRecord
from autopkg.db.session import Database
from autopkg.domain.states import RunState
from autopkg.errors import RunAbandonedError
from autopkg.jobs.policy import RunPolicy
from autopkg.jobs.progress import RunReporter
from tests.unit.jobs.helpers import LEASE, MAX, queue, state

EXPIRED = timedelta(seconds=-1)


def test_only_the_owner_can_heartbeat_or_finish(database: Database) -> None:
    run_id = queue(database)
    with database.session() as session:
        assert run_repo.claim(session, owner="me", lease=LEASE, max_attempts=MAX)
    with database.session() as session:
        assert not run_repo.heartbeat(session, run_id=run_id, owner="you", lease=LEASE)
        assert not run_repo.begin_publish(session, run_id=run_id, owner="you", lease=LEASE)
        assert not run_repo.finish(session, run_id=run_id, owner="you", state=RunState.SUCCESS)
        assert run_repo.heartbeat(session, run_id=run_id, owner="me", lease=LEASE, percent=40)
        assert run_repo.begin_publish(session, run_id=run_id, owner="me", lease=LEASE)
        assert run_repo.finish(session, run_id=run_id, owner="me", state=RunState.SUCCESS)
    assert state(database, run_id) == ("SUCCESS", 1, None)


def test_an_expired_lease_is_recovered_by_the_sweep_alone(database: Database) -> None:
    run_id = queue(database)
    with database.session() as session:
        assert run_repo.claim(session, owner="stalled", lease=EXPIRED, max_attempts=MAX)
    # A claim takes PENDING runs only: the expired lease is not taken over by it.
    with database.session() as session:
        assert run_repo.claim(session, owner="eager", lease=LEASE, max_attempts=MAX) is None
    assert state(database, run_id) == ("EXECUTING", 1, "stalled")


def test_claim_caps_attempts(database: Database) -> None:
    run_id = queue(database)
    with database.session() as session:
        run = session.get(RunRecord, run_id)
        assert run is not None
        run.attempts = MAX
    with database.session() as session:
        assert run_repo.claim(session, owner="late", lease=LEASE, max_attempts=MAX) is None
    assert state(database, run_id) == ("PENDING", MAX, None)


def test_expired_lease_is_retried_then_failed(database: Database) -> None:
    run_id = queue(database)
    for attempt in (1, 2, 3):
        with database.session() as session:
            assert run_repo.claim(
                session, owner=f"crashy{attempt}", lease=EXPIRED, max_attempts=MAX
            )
        with database.session() as session:
            outcome = run_repo.release(
                session,
                run_id=run_id,
                owner=f"crashy{attempt}",
                max_attempts=MAX,
                reason="worker stopped",
                expired_before=run_repo.utcnow(),
            )
        assert outcome is (RunState.FAILURE if attempt == 3 else RunState.PENDING)
        run_state, attempts, owner = state(database, run_id)
        assert attempts == attempt and owner is None and run_state == outcome.value
    with database.session() as session:
        assert run_repo.claim(session, owner="late", lease=LEASE, max_attempts=MAX) is None


def test_release_leaves_a_renewed_or_reowned_run_alone(database: Database) -> None:
    run_id = queue(database)
    with database.session() as session:
        run_repo.claim(session, owner="me", lease=LEASE, max_attempts=MAX)
    with database.session() as session:
        common: dict[str, Any] = {"run_id": run_id, "max_attempts": MAX, "reason": "x"}
        before = run_repo.utcnow()
        assert run_repo.release(session, owner="me", expired_before=before, **common) is None
        assert run_repo.release(session, owner="other", expired_before=None, **common) is None
    assert state(database, run_id) == ("EXECUTING", 1, "me")


def test_a_finished_pair_gets_a_new_run_and_an_active_one_is_joined(database: Database) -> None:
    first = queue(database)
    with database.session() as session:
        joined, created = run_repo.join_or_create_run(
            session, boundary_name="zone", processor_id="p.v1"
        )
        assert (joined.id, created) == (first, False)
        run_repo.claim(session, owner="me", lease=LEASE, max_attempts=MAX)
    with database.session() as session:
        run_repo.finish(session, run_id=first, owner="me", state=RunState.FAILURE, error="x")
    assert queue(database) != first


def test_cancel_spares_a_run_another_live_job_needs(database: Database) -> None:
    run_id = queue(database)
    with database.session() as session:
        run, _ = run_repo.join_or_create_run(session, boundary_name="zone", processor_id="p.v1")
        second = run_repo.create_job(session, boundary_name="zone", runs=[run]).id
    with database.session() as session:
        first = session.scalars(select(JobRecord.id).where(JobRecord.id != second)).one()
        assert run_repo.cancel_job(session, job_id=first) == []
    assert state(database, run_id)[0] == "PENDING"
    with database.session() as session:
        assert run_repo.cancel_job(session, job_id=second) == [run_id]
        assert run_repo.cancel_job(session, job_id="no-such-job") is None
    assert state(database, run_id)[0] == "REVOKED"


def test_cancel_after_the_point_of_no_return_keeps_the_run(database: Database) -> None:
    run_id = queue(database)
    with database.session() as session:
        run_repo.claim(session, owner="me", lease=LEASE, max_attempts=MAX)
    with database.session() as session:
        assert run_repo.begin_publish(session, run_id=run_id, owner="me", lease=LEASE)
    with database.session() as session:
        job_id = session.scalars(select(JobRecord.id)).one()
        assert run_repo.cancel_job(session, job_id=job_id) == []
    with database.session() as session:
        assert run_repo.finish(session, run_id=run_id, owner="me", state=RunState.SUCCESS)
    assert state(database, run_id)[0] == "SUCCESS"


def test_reporter_raises_as_soon_as_the_run_is_revoked(database: Database) -> None:
    run_id = queue(database)
    with database.session() as session:
        assert run_repo.claim(session, owner="me", lease=LEASE, max_attempts=MAX)
    with RunReporter(
        database, run_id=run_id, owner="me", policy=RunPolicy(LEASE), min_interval=0
    ) as reporter:
        reporter.report(10, "working")
        reporter.report(5, "still working")
        with database.session() as session:
            run = run_repo.get_run(session, run_id=run_id)
            assert run is not None and run.percent == 10 and run.current_task == "still working"
            job_id = session.scalars(select(JobRecord.id)).one()
            assert run_repo.cancel_job(session, job_id=job_id) == [run_id]
        # The first write after the cancel discovers it and stops the processor.
        with pytest.raises(RunAbandonedError):
            reporter.report(20, "after cancel")
        with pytest.raises(RunAbandonedError):
            reporter.check()
    assert state(database, run_id)[0] == "REVOKED"
