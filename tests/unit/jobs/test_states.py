"""The run state machine: every row of the table is implemented, and does what it says.

Each row is walked on a real database (SQLite and PostgreSQL): a run is brought to the
row's source state through other rows, the row's event is fired through the function
``db/runs.py`` names for it, and the run must then be in the row's target state.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from autopkg.db import jobs as job_repo
from autopkg.db import runs as run_repo
from autopkg.db.models import JobRecord
from autopkg.db.session import Database
from autopkg.domain.states import (
    ACTIVE,
    LEASED,
    TRANSITIONS,
    RunEvent,
    RunState,
    Transition,
    sources_of,
    target_of,
)
from tests.unit.jobs.helpers import LEASE, MAX, queue, state

EXPIRED = timedelta(seconds=-1)


def test_every_row_has_an_implementation_and_every_implementation_a_row() -> None:
    implemented = run_repo.implementations()
    assert set(implemented) == {row.event for row in TRANSITIONS} == set(RunEvent)
    for event, name in implemented.items():
        assert callable(getattr(run_repo, name)), (event, name)


def test_the_table_is_coherent() -> None:
    rows = {(row.source, row.event) for row in TRANSITIONS}
    assert len(rows) == len(TRANSITIONS), "a (source, event) pair has two targets"
    for event in RunEvent:
        target_of(event)  # one target per event, or a self-loop
    assert {row.source for row in TRANSITIONS if row.source} == ACTIVE
    assert all(row.target.terminal or row.target in ACTIVE for row in TRANSITIONS)
    # A terminal state is left by nothing; a cancel never revokes a publishing run.
    assert not any(row.source is not None and row.source.terminal for row in TRANSITIONS)
    assert RunState.PUBLISHING not in sources_of(RunEvent.CANCEL)
    assert sources_of(RunEvent.CLAIM) == {RunState.PENDING}
    assert {state.reported for state in LEASED} == {RunState.EXECUTING}


def _job_of(database: Database) -> str:
    with database.session() as session:
        return session.scalars(select(JobRecord.id)).one()


def _bring(database: Database, source: RunState | None, *, lease: timedelta = LEASE) -> str:
    """A run in ``source`` (``None``: a PENDING one, for the events that create)."""
    run_id = queue(database)
    if source in (None, RunState.PENDING):
        return run_id
    with database.session() as session:
        assert run_repo.claim(session, owner="me", lease=lease, max_attempts=MAX)
    if source is RunState.PUBLISHING:
        with database.session() as session:
            assert run_repo.begin_publish(session, run_id=run_id, owner="me", lease=lease)
    return run_id


def _release(database: Database, run_id: str, attempts: int) -> RunState | None:
    with database.session() as session:
        return run_repo.release(
            session,
            run_id=run_id,
            owner="me",
            max_attempts=attempts,
            reason="worker stopped",
            expired_before=run_repo.utcnow(),
        )


def _fire(database: Database, row: Transition) -> str:
    """Bring a run to ``row.source``, fire ``row.event``; return the run's id."""
    event = row.event
    if event is RunEvent.FIND_CURRENT:
        with database.session() as session:
            return run_repo.create_skipped_run(
                session, boundary_name="zone", processor_id="p.skip", result={"files": []}
            ).id
    if event is RunEvent.SUBMIT:
        return _bring(database, None)
    expired = event in (RunEvent.RETRY, RunEvent.GIVE_UP)
    run_id = _bring(database, row.source, lease=EXPIRED if expired else LEASE)
    fired: dict[RunEvent, Callable[[], object]] = {
        RunEvent.DISPATCH: lambda: _in(database, run_repo.mark_dispatched, run_id=run_id),
        RunEvent.CLAIM: lambda: _in(
            database, run_repo.claim, owner="me", lease=LEASE, max_attempts=MAX
        ),
        RunEvent.HEARTBEAT: lambda: _in(
            database, run_repo.heartbeat, run_id=run_id, owner="me", lease=LEASE, percent=5
        ),
        RunEvent.BEGIN_PUBLISH: lambda: _in(
            database, run_repo.begin_publish, run_id=run_id, owner="me", lease=LEASE
        ),
        RunEvent.SUCCEED: lambda: _in(
            database, run_repo.finish, run_id=run_id, owner="me", state=RunState.SUCCESS
        ),
        RunEvent.FAIL: lambda: _in(
            database, run_repo.finish, run_id=run_id, owner="me", state=RunState.FAILURE
        ),
        RunEvent.RETRY: lambda: _release(database, run_id, MAX),
        RunEvent.GIVE_UP: lambda: _release(database, run_id, 1),
        RunEvent.CANCEL: lambda: _in(database, run_repo.cancel_job, job_id=_job_of(database)),
    }
    assert fired[event](), f"{row} did not take effect"
    return run_id


def _in(database: Database, function: Callable[..., object], **arguments: object) -> object:
    with database.session() as session:
        return function(session, **arguments)


@pytest.mark.parametrize(
    "row", TRANSITIONS, ids=[f"{row.source}-{row.event}-{row.target}" for row in TRANSITIONS]
)
def test_each_row_takes_its_source_to_its_target(database: Database, row: Transition) -> None:
    run_id = _fire(database, row)
    assert state(database, run_id)[0] == row.target.value


def test_no_event_leaves_a_terminal_state(database: Database) -> None:
    run_id = _bring(database, RunState.PUBLISHING, lease=EXPIRED)
    with database.session() as session:
        assert run_repo.finish(session, run_id=run_id, owner="me", state=RunState.SUCCESS)
    attempts: list[Callable[[], object]] = [
        lambda: _in(database, run_repo.heartbeat, run_id=run_id, owner="me", lease=LEASE),
        lambda: _in(database, run_repo.begin_publish, run_id=run_id, owner="me", lease=LEASE),
        lambda: _in(database, run_repo.finish, run_id=run_id, owner="me", state=RunState.FAILURE),
        lambda: _in(database, run_repo.mark_dispatched, run_id=run_id),
        lambda: _release(database, run_id, MAX),
        lambda: _in(database, run_repo.cancel_job, job_id=_job_of(database)),
        lambda: _in(database, run_repo.claim, owner="me", lease=LEASE, max_attempts=MAX),
    ]
    assert [bool(attempt()) for attempt in attempts] == [False] * len(attempts)
    assert state(database, run_id)[0] == "SUCCESS"


def test_a_worker_ends_a_run_in_success_or_failure_only(database: Database) -> None:
    run_id = _bring(database, RunState.EXECUTING)
    with database.session() as session, pytest.raises(ValueError, match="SUCCESS or FAILURE"):
        run_repo.finish(session, run_id=run_id, owner="me", state=RunState.REVOKED)
    # SUCCESS only once publishing: the package is written before a run succeeds.
    with database.session() as session:
        assert not run_repo.finish(session, run_id=run_id, owner="me", state=RunState.SUCCESS)
    assert state(database, run_id)[0] == "EXECUTING"


def test_a_publishing_run_is_active_and_reported_as_executing(database: Database) -> None:
    run_id = _bring(database, RunState.PUBLISHING)
    with database.session() as session:
        joined, created = run_repo.join_or_create_run(
            session, boundary_name="zone", processor_id="p.v1"
        )
        assert (joined.id, created) == (run_id, False)
        executing = job_repo.JobCondition(executing=True)
        assert job_repo.count_jobs(session, any_of=[executing]) == 1
    with database.engine.connect() as connection:
        (job,) = job_repo.read_jobs(connection, [_job_of(database)])
    assert job.runs[0].state is RunState.PUBLISHING
    assert job.runs[0].state.reported is RunState.EXECUTING
