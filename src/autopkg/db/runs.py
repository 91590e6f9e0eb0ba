"""Jobs and runs: join-or-create, and every state transition of a run.

This module implements the rows of the run state machine
(:data:`autopkg.domain.states.TRANSITIONS`) and nothing else writes ``runs.state``.
Each function names the events it implements (:func:`implements`); each change is one
conditional UPDATE through :func:`_fire`, which takes the states to leave and the state
to reach from the table, adds the function's guards (owner, lease, attempts) and says
whether it took effect, so the loser of a race (a sweep beside ``finish``, a cancel
beside publishing, two claimers) learns that it lost and nothing is overwritten.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from autopkg.db.models import ACTIVE_STATES, JobRecord, JobRunRecord, RunRecord
from autopkg.domain.options import options_key
from autopkg.domain.states import LEASED, RunEvent, RunState, sources_of, target_of

_Function = TypeVar("_Function", bound=Callable[..., Any])
_IMPLEMENTED: dict[RunEvent, str] = {}


def implements(*events: RunEvent) -> Callable[[_Function], _Function]:
    """Mark a function as the implementation of ``events`` (rows of the state machine)."""

    def mark(function: _Function) -> _Function:
        for event in events:
            _IMPLEMENTED[event] = function.__name__
        return function

    return mark


def implementations() -> dict[RunEvent, str]:
    """Which function implements each event of the state machine."""
    return dict(_IMPLEMENTED)


def _fire(session: Session, event: RunEvent, *guards: ColumnElement[bool], **values: Any) -> bool:
    """Apply ``event`` to the one run ``guards`` select, if it is in a state the event leaves.

    The states left and reached come from the machine's table; ``values`` are the other
    columns the transition sets. Returns whether the run changed (one row updated).
    """
    target = target_of(event)
    if target is not None:
        values["state"] = target.value
    updated = session.execute(
        update(RunRecord)
        .where(RunRecord.state.in_(_values(sources_of(event))), *guards)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    # An UPDATE returns a CursorResult at run time; the ORM's execute is typed Result.
    assert isinstance(updated, CursorResult)
    return int(updated.rowcount) == 1


def _values(states: frozenset[RunState]) -> list[str]:
    return sorted(state.value for state in states)


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def active_run(
    session: Session,
    *,
    boundary_name: str,
    processor_id: str,
    options: dict[str, Any] | None = None,
) -> RunRecord | None:
    """The PENDING or EXECUTING run for the pair with these (canonical) options, if any."""
    return session.scalar(
        select(RunRecord).where(
            RunRecord.boundary_name == boundary_name,
            RunRecord.processor_id == processor_id,
            RunRecord.options_key == options_key(options or {}),
            RunRecord.state.in_(ACTIVE_STATES),
        )
    )


def _new_run(
    boundary_name: str,
    processor_id: str,
    state: RunState,
    options: dict[str, Any] | None,
    estimate: dict[str, Any] | None,
    summary_only: bool = False,
) -> RunRecord:
    return RunRecord(
        id=str(uuid.uuid4()),
        boundary_name=boundary_name,
        processor_id=processor_id,
        options=dict(options or {}),
        options_key=options_key(options or {}),
        estimate=estimate,
        state=state.value,
        percent=0.0,
        current_task="queued" if state is RunState.PENDING else "",
        attempts=0,
        created_at=utcnow(),
        summary_only=summary_only,
    )


@implements(RunEvent.SUBMIT)
def join_or_create_run(
    session: Session,
    *,
    boundary_name: str,
    processor_id: str,
    options: dict[str, Any] | None = None,
    estimate: dict[str, Any] | None = None,
    summary_only: bool = False,
) -> tuple[RunRecord, bool]:
    """Return the active run for the pair and options, creating a PENDING one if none.

    The partial unique index on active runs makes this safe under concurrency: a
    racing insert fails and the loser joins the winner's run. Returns ``(run, created)``.
    ``estimate`` and ``summary_only`` (see :attr:`RunRecord.summary_only`) are recorded
    on a created run.
    """

    def find() -> RunRecord | None:
        return active_run(
            session, boundary_name=boundary_name, processor_id=processor_id, options=options
        )

    existing = find()
    if existing is not None:
        return existing, False
    run = _new_run(boundary_name, processor_id, RunState.PENDING, options, estimate, summary_only)
    try:
        with session.begin_nested():
            session.add(run)
    except IntegrityError:
        existing = find()
        if existing is None:
            raise
        return existing, False
    return run, True


@implements(RunEvent.FIND_CURRENT)
def create_skipped_run(
    session: Session,
    *,
    boundary_name: str,
    processor_id: str,
    result: dict[str, Any],
    options: dict[str, Any] | None = None,
    estimate: dict[str, Any] | None = None,
) -> RunRecord:
    """Record that the pair's output (with these options) is already published and current."""
    run = _new_run(boundary_name, processor_id, RunState.SKIPPED, options, estimate)
    run.percent = 100.0
    run.current_task = "already up to date"
    run.result = result
    run.finished_at = run.created_at
    session.add(run)
    return run


def create_job(
    session: Session,
    *,
    boundary_name: str,
    runs: Sequence[RunRecord],
    client: str | None = None,
    summary: dict[str, Any] | bool | None = None,
) -> JobRecord:
    """Create a job for ``client`` (see :attr:`JobRecord.client`) linked, in order, to ``runs``.

    ``summary`` is what the job asks of the package's summary (see
    :attr:`JobRecord.summary`).
    """
    job = JobRecord(
        id=str(uuid.uuid4()),
        boundary_name=boundary_name,
        created_at=utcnow(),
        client=client,
        summary=summary,
    )
    session.add(job)
    session.flush()
    for position, run in enumerate(runs):
        session.add(JobRunRecord(job_id=job.id, position=position, run_id=run.id))
    return job


def get_run(session: Session, *, run_id: str) -> RunRecord | None:
    """Return one run, or ``None``."""
    return session.get(RunRecord, run_id)


@implements(RunEvent.CLAIM)
def claim(
    session: Session,
    *,
    owner: str,
    lease: timedelta,
    max_attempts: int,
    run_id: str | None = None,
    run_ids: Sequence[str] | None = None,
) -> RunRecord | None:
    """Atomically take a PENDING run.

    With ``run_id`` only that run is considered (the Celery path); with ``run_ids`` only
    those (a CLI running its own job); otherwise the oldest PENDING run is taken (the
    embedded pool). A run already attempted ``max_attempts`` times is never claimed. A
    run whose worker was lost is claimable again only once the sweep has put it back
    (:func:`release`): that is the one way an expired lease is recovered. The
    conditional UPDATE is the lock: when workers race, exactly one sees its row
    updated; on PostgreSQL the candidate is also selected ``FOR UPDATE SKIP LOCKED`` so
    concurrent claimers pick different runs.
    """
    now = utcnow()
    tried_less = RunRecord.attempts < max_attempts
    if run_id is None:
        query = select(RunRecord.id).where(
            RunRecord.state.in_(_values(sources_of(RunEvent.CLAIM))), tried_less
        )
        if run_ids is not None:
            query = query.where(RunRecord.id.in_(run_ids))
        candidate = session.scalar(
            query.order_by(RunRecord.created_at).limit(1).with_for_update(skip_locked=True)
        )
        if candidate is None:
            return None
        run_id = candidate
    claimed = _fire(
        session,
        RunEvent.CLAIM,
        RunRecord.id == run_id,
        tried_less,
        lease_owner=owner,
        lease_expires_at=now + lease,
        heartbeat_at=now,
        started_at=now,
        publishing_at=None,
        attempts=RunRecord.attempts + 1,
    )
    if not claimed:
        return None
    return session.get(RunRecord, run_id, populate_existing=True)


def _owned(run_id: str, owner: str) -> ColumnElement[bool]:
    return and_(RunRecord.id == run_id, RunRecord.lease_owner == owner)


@implements(RunEvent.HEARTBEAT)
def heartbeat(
    session: Session,
    *,
    run_id: str,
    owner: str,
    lease: timedelta,
    percent: float | None = None,
    task: str | None = None,
) -> bool:
    """Extend the lease (and record progress) if ``owner`` still holds the run."""
    now = utcnow()
    values: dict[str, Any] = {"heartbeat_at": now, "lease_expires_at": now + lease}
    if percent is not None:
        # Never lower: a retried run counts from zero again, but a job's progress must
        # not go backwards.
        values["percent"] = case((RunRecord.percent < percent, percent), else_=RunRecord.percent)
    if task is not None:
        values["current_task"] = task[:255]
    return _fire(session, RunEvent.HEARTBEAT, _owned(run_id, owner), **values)


@implements(RunEvent.BEGIN_PUBLISH)
def begin_publish(session: Session, *, run_id: str, owner: str, lease: timedelta) -> bool:
    """Pass the point of no return (PUBLISHING), if ``owner`` still holds the run.

    From then on :func:`cancel_job` leaves the run alone, so whatever the owner
    publishes is recorded as SUCCESS rather than REVOKED. Returns ``False`` when the run
    was revoked or taken over: the caller must then publish nothing.
    """
    now = utcnow()
    return _fire(
        session,
        RunEvent.BEGIN_PUBLISH,
        _owned(run_id, owner),
        publishing_at=now,
        heartbeat_at=now,
        lease_expires_at=now + lease,
    )


_ENDINGS = {RunState.SUCCESS: RunEvent.SUCCEED, RunState.FAILURE: RunEvent.FAIL}


@implements(*_ENDINGS.values())
def finish(
    session: Session,
    *,
    run_id: str,
    owner: str,
    state: RunState,
    result: dict[str, Any] | None = None,
    error_code: str | None = None,
    error: str | None = None,
) -> bool:
    """Move an owned run to SUCCESS (once publishing) or FAILURE; ``False`` if the lease was lost.

    Raises:
        ValueError: ``state`` is neither SUCCESS nor FAILURE.
    """
    if state not in _ENDINGS:
        raise ValueError(f"a worker ends a run in SUCCESS or FAILURE, not {state}")
    values: dict[str, Any] = {
        "state": state.value,
        "result": result,
        "error_code": error_code,
        "error": error,
        "finished_at": utcnow(),
        "lease_owner": None,
        "lease_expires_at": None,
    }
    if state is RunState.SUCCESS:
        values["percent"] = 100.0
        values["current_task"] = "done"
    return _fire(session, _ENDINGS[state], _owned(run_id, owner), **values)


@implements(RunEvent.DISPATCH)
def mark_dispatched(session: Session, *, run_id: str) -> bool:
    """Record that a message for the PENDING run was just handed to the broker."""
    return _fire(session, RunEvent.DISPATCH, RunRecord.id == run_id, dispatched_at=utcnow())


def undispatched_runs(session: Session, *, sent_before: datetime) -> list[str]:
    """PENDING runs never sent to the broker, or last sent before ``sent_before``, oldest first."""
    return list(
        session.scalars(
            select(RunRecord.id)
            .where(
                RunRecord.state == RunState.PENDING.value,
                or_(RunRecord.dispatched_at.is_(None), RunRecord.dispatched_at < sent_before),
            )
            .order_by(RunRecord.created_at)
        )
    )


def job_ids_of_run(session: Session, *, run_id: str) -> list[str]:
    """The ids of every job linked to the run, sorted."""
    rows = session.scalars(select(JobRunRecord.job_id).where(JobRunRecord.run_id == run_id))
    return sorted(set(rows))


def summary_request(session: Session, *, run_id: str) -> dict[str, Any] | bool | None:
    """What the newest job of the run that says anything asks of the summary (or ``None``).

    A run shared by several jobs publishes once: the latest request stands, as it
    would had the jobs' runs published one after another.
    """
    found = session.scalars(
        select(JobRecord.summary)
        .join(JobRunRecord, JobRunRecord.job_id == JobRecord.id)
        .where(JobRunRecord.run_id == run_id, JobRecord.summary.is_not(None))
        .order_by(JobRecord.created_at.desc(), JobRecord.id.desc())
        .limit(1)
    )
    return found.first()


def count_by_state(session: Session) -> dict[str, int]:
    """How many runs are in each state (states with none are absent)."""
    counted = select(RunRecord.state, func.count()).group_by(RunRecord.state)
    return {state: int(n) for state, n in session.execute(counted).tuples()}


def durations(session: Session) -> list[tuple[str, float]]:
    """``(state, seconds from start to finish)`` of every run that started and finished."""
    timed = select(RunRecord.state, RunRecord.started_at, RunRecord.finished_at).where(
        RunRecord.started_at.is_not(None), RunRecord.finished_at.is_not(None)
    )
    return [
        (state, (end - start).total_seconds())
        for state, start, end in session.execute(timed).tuples()
        if start is not None and end is not None
    ]


def leased_runs(session: Session) -> list[RunRecord]:
    """Every run a worker holds (EXECUTING or PUBLISHING)."""
    return list(session.scalars(select(RunRecord).where(RunRecord.state.in_(_values(LEASED)))))


@implements(RunEvent.GIVE_UP, RunEvent.RETRY)
def release(
    session: Session,
    *,
    run_id: str,
    owner: str | None,
    max_attempts: int,
    reason: str,
    expired_before: datetime | None,
) -> RunState | None:
    """Hand back a run whose worker is gone: PENDING again, or FAILURE after enough tries.

    The one way a lost lease is recovered (the sweep calls it). Conditional on the run
    still being held (EXECUTING or PUBLISHING) by ``owner`` (the owner the caller
    saw) and, with ``expired_before``, on its lease having expired by then; so a run
    that finished or renewed its lease meanwhile is left alone. Returns the new state,
    or ``None`` when nothing changed.
    """
    still_lost = [
        RunRecord.id == run_id,
        RunRecord.lease_owner.is_(None) if owner is None else RunRecord.lease_owner == owner,
    ]
    if expired_before is not None:
        still_lost.append(
            or_(RunRecord.lease_expires_at.is_(None), RunRecord.lease_expires_at < expired_before)
        )
    handed_back = {
        "lease_owner": None,
        "lease_expires_at": None,
        "publishing_at": None,
        "dispatched_at": None,
    }
    gave_up = _fire(
        session,
        RunEvent.GIVE_UP,
        *still_lost,
        RunRecord.attempts >= max_attempts,
        error_code="worker_lost",
        error=f"{reason}; gave up after {max_attempts} attempts",
        current_task=f"failed: {reason}",
        finished_at=utcnow(),
        **handed_back,
    )
    if gave_up:
        return RunState.FAILURE
    retried = _fire(
        session,
        RunEvent.RETRY,
        *still_lost,
        RunRecord.attempts < max_attempts,
        current_task=f"retrying: {reason}",
        **handed_back,
    )
    return RunState.PENDING if retried else None


@implements(RunEvent.CANCEL)
def cancel_job(session: Session, *, job_id: str, client: str | None = None) -> list[str] | None:
    """Mark the job cancelled and revoke its active runs that no live job still needs.

    Each revocation is one conditional UPDATE: the run must still be PENDING or
    EXECUTING (not PUBLISHING: past :func:`begin_publish`), and linked to no other job
    that is not cancelled; a run that finishes at the same moment keeps its result.
    Returns the ids of the revoked runs, or ``None`` if there is no such job (submitted
    by ``client``, when given). A revoked EXECUTING run loses its lease, so its worker
    stops at its next progress report or before publishing, and publishes nothing. A
    job with no active run left is complete: it is not marked cancelled, so its outcome
    stays what its runs made it.
    """
    now = utcnow()
    job = session.get(JobRecord, job_id)
    if job is None or (client is not None and job.client != client):
        return None
    still_active = (
        select(JobRunRecord.run_id)
        .join(RunRecord, RunRecord.id == JobRunRecord.run_id)
        .where(JobRunRecord.job_id == job_id, RunRecord.state.in_(ACTIVE_STATES))
        .exists()
    )
    session.execute(
        update(JobRecord)
        .where(JobRecord.id == job_id, JobRecord.cancelled_at.is_(None), still_active)
        .values(cancelled_at=now)
        .execution_options(synchronize_session=False)
    )
    run_ids = session.scalars(
        select(JobRunRecord.run_id)
        .where(JobRunRecord.job_id == job_id)
        .order_by(JobRunRecord.position)
    ).all()
    revoked = []
    for run_id in run_ids:
        other_live_job = (
            select(JobRunRecord.run_id)
            .join(JobRecord, JobRecord.id == JobRunRecord.job_id)
            .where(
                JobRunRecord.run_id == run_id,
                JobRecord.id != job_id,
                JobRecord.cancelled_at.is_(None),
            )
            .exists()
        )
        if _fire(
            session,
            RunEvent.CANCEL,
            RunRecord.id == run_id,
            ~other_live_job,
            current_task="cancelled",
            finished_at=now,
            lease_owner=None,
            lease_expires_at=None,
        ):
            revoked.append(run_id)
    return revoked
