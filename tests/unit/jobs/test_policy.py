"""The execution policy as the run reporter applies it, with an injected clock.

The reporter is what both executors run an attempt under (the embedded pool's threads
and Celery's prefork children alike); the end-to-end tests show the same rules in
both deployments (tests/e2e/test_execution_policy.py).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from autopkg.db import runs as run_repo
from autopkg.db.models import RunRecord
from autopkg.db.session import Database
from autopkg.errors import RunAbandonedError, RunTimeLimitError
from autopkg.jobs.policy import RunPolicy
from autopkg.jobs.progress import RunReporter
from tests.conftest import wait_until
from tests.unit.jobs.helpers import MAX, queue, state

# Short, so that the heartbeat (a quarter of it) beats often; never expires meanwhile.
BEAT_LEASE = timedelta(seconds=1)


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _claimed(database: Database, *, attempts: int = 0) -> str:
    run_id = queue(database)
    with database.session() as session:
        run = session.get(RunRecord, run_id)
        assert run is not None
        run.attempts = attempts
    with database.session() as session:
        assert run_repo.claim(session, owner="me", lease=BEAT_LEASE * 30, max_attempts=MAX)
    return run_id


def _beats(database: Database, run_id: str) -> int:
    """A number that grows with each heartbeat written (its time, in microseconds)."""
    with database.session() as session:
        run = run_repo.get_run(session, run_id=run_id)
        assert run is not None and run.heartbeat_at is not None
        return int(run.heartbeat_at.timestamp() * 1e6)


def _next_beat(database: Database, run_id: str) -> None:
    """Wait for the heartbeat to write once more (so it has seen the clock as it is)."""
    seen = _beats(database, run_id)
    wait_until(lambda: _beats(database, run_id) > seen)


def _reporter(database: Database, run_id: str, clock: Clock, policy: RunPolicy) -> RunReporter:
    return RunReporter(
        database, run_id=run_id, owner="me", policy=policy, min_interval=0, clock=clock
    )


def test_past_the_soft_limit_the_run_is_asked_to_stop(database: Database) -> None:
    run_id = _claimed(database)
    clock = Clock()
    with _reporter(database, run_id, clock, RunPolicy(BEAT_LEASE, soft_limit_secs=60)) as reporter:
        clock.now += 59
        reporter.report(10, "working")
        clock.now += 2
        with pytest.raises(RunTimeLimitError, match="time limit of 60 s"):
            reporter.report(20, "still working")
        with pytest.raises(RunTimeLimitError):
            reporter.check()
    # Asked to stop, not taken away: the engine records the failure as the owner.
    assert state(database, run_id) == ("EXECUTING", 1, "me")


def test_a_run_whose_progress_stops_is_released_for_a_retry(database: Database) -> None:
    run_id = _claimed(database)
    clock = Clock()
    with _reporter(database, run_id, clock, RunPolicy(BEAT_LEASE, stall_secs=300)) as reporter:
        reporter.report(10, "downloading")
        clock.now += 200
        reporter.report(10, "downloading")  # the same progress again: not a move
        clock.now += 101
        wait_until(lambda: reporter.lost)
        with pytest.raises(RunAbandonedError, match="no progress for 300 s"):
            reporter.report(11, "too late")
    assert state(database, run_id) == ("PENDING", 1, None)
    with database.session() as session:
        run = run_repo.get_run(session, run_id=run_id)
        assert run is not None and run.current_task.startswith("retrying: no progress")


def test_moving_progress_is_not_a_stall_and_publishing_is_not_looked_at(
    database: Database,
) -> None:
    run_id = _claimed(database)
    clock = Clock()
    with _reporter(database, run_id, clock, RunPolicy(BEAT_LEASE, stall_secs=300)) as reporter:
        for percent in (10, 20, 30):
            clock.now += 200
            reporter.report(percent, "clipping")
            _next_beat(database, run_id)
            assert not reporter.lost
        reporter.publishing()
        clock.now += 1000
        _next_beat(database, run_id)
        assert not reporter.lost
    assert state(database, run_id) == ("EXECUTING", 1, "me")


def test_past_the_hard_limit_the_last_attempt_fails(database: Database) -> None:
    run_id = _claimed(database, attempts=MAX - 1)
    clock = Clock()
    with _reporter(
        database, run_id, clock, RunPolicy(BEAT_LEASE, hard_limit_secs=600, stall_secs=300)
    ) as reporter:
        # Silent inside a long step, and kept silent past the hard limit.
        reporter.publishing()
        clock.now += 601
        wait_until(lambda: reporter.lost)
    assert state(database, run_id) == ("FAILURE", MAX, None)
    with database.session() as session:
        run = run_repo.get_run(session, run_id=run_id)
        assert run is not None and run.error_code == "worker_lost"
        assert run.error is not None and "hard time limit of 600 s" in run.error
