"""Queries over jobs and runs: join-or-create, atomic claims, leases and progress."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from autopkg.db.models import ACTIVE_STATES, JobRecord, JobRunRecord, RunRecord, RunState


def _rowcount(result: Result[Any]) -> int:
    # An UPDATE returns a CursorResult at run time; the ORM's execute is typed Result.
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def active_run(session: Session, *, boundary_name: str, processor_id: str) -> RunRecord | None:
    """The PENDING or EXECUTING run for the pair, if any."""
    return session.scalar(
        select(RunRecord).where(
            RunRecord.boundary_name == boundary_name,
            RunRecord.processor_id == processor_id,
            RunRecord.state.in_(ACTIVE_STATES),
        )
    )


def _new_run(boundary_name: str, processor_id: str, state: RunState) -> RunRecord:
    return RunRecord(
        id=str(uuid.uuid4()),
        boundary_name=boundary_name,
        processor_id=processor_id,
        state=state.value,
        percent=0.0,
        current_task="queued" if state is RunState.PENDING else "",
        attempts=0,
        created_at=utcnow(),
    )


def join_or_create_run(
    session: Session, *, boundary_name: str, processor_id: str
) -> tuple[RunRecord, bool]:
    """Return the active run for the pair, creating a PENDING one if there is none.

    The partial unique index on active runs makes this safe under concurrency: a
    racing insert fails and the loser joins the winner's run. Returns ``(run, created)``.
    """
    existing = active_run(session, boundary_name=boundary_name, processor_id=processor_id)
    if existing is not None:
        return existing, False
    run = _new_run(boundary_name, processor_id, RunState.PENDING)
    try:
        with session.begin_nested():
            session.add(run)
    except IntegrityError:
        existing = active_run(session, boundary_name=boundary_name, processor_id=processor_id)
        if existing is None:
            raise
        return existing, False
    return run, True


def create_skipped_run(
    session: Session, *, boundary_name: str, processor_id: str, result: dict[str, Any]
) -> RunRecord:
    """Record that the pair's output is already published and current."""
    run = _new_run(boundary_name, processor_id, RunState.SKIPPED)
    run.percent = 100.0
    run.current_task = "already up to date"
    run.result = result
    run.finished_at = run.created_at
    session.add(run)
    return run


def create_job(session: Session, *, boundary_name: str, runs: Sequence[RunRecord]) -> JobRecord:
    """Create a job linked, in order, to ``runs``."""
    job = JobRecord(id=str(uuid.uuid4()), boundary_name=boundary_name, created_at=utcnow())
    session.add(job)
    session.flush()
    for position, run in enumerate(runs):
        session.add(JobRunRecord(job_id=job.id, position=position, run_id=run.id))
    return job


def get_job(session: Session, *, job_id: str) -> JobRecord | None:
    """Return the job with its runs loaded, or ``None``."""
    return session.get(JobRecord, job_id)


def get_run(session: Session, *, run_id: str) -> RunRecord | None:
    """Return one run, or ``None``."""
    return session.get(RunRecord, run_id)


def claim(
    session: Session, *, owner: str, lease: timedelta, run_id: str | None = None
) -> RunRecord | None:
    """Atomically take a run that is PENDING or whose lease expired.

    With ``run_id`` only that run is considered (the Celery path); without, the oldest
    claimable run is taken (the embedded pool). The conditional UPDATE is the lock:
    when two workers race, exactly one sees its row updated.
    """
    now = utcnow()
    claimable = or_(
        RunRecord.state == RunState.PENDING.value,
        (RunRecord.state == RunState.EXECUTING.value) & (RunRecord.lease_expires_at < now),
    )
    if run_id is None:
        candidate = session.scalar(
            select(RunRecord.id).where(claimable).order_by(RunRecord.created_at).limit(1)
        )
        if candidate is None:
            return None
        run_id = candidate
    updated = session.execute(
        update(RunRecord)
        .where(RunRecord.id == run_id, claimable)
        .values(
            state=RunState.EXECUTING.value,
            lease_owner=owner,
            lease_expires_at=now + lease,
            heartbeat_at=now,
            started_at=now,
            attempts=RunRecord.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if _rowcount(updated) != 1:
        return None
    run = session.get(RunRecord, run_id, populate_existing=True)
    return run


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
        values["percent"] = percent
    if task is not None:
        values["current_task"] = task[:255]
    updated = session.execute(
        update(RunRecord)
        .where(
            RunRecord.id == run_id,
            RunRecord.lease_owner == owner,
            RunRecord.state == RunState.EXECUTING.value,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(updated) == 1


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
    """Move an owned run to a terminal state; ``False`` if the lease was lost."""
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
    updated = session.execute(
        update(RunRecord)
        .where(
            RunRecord.id == run_id,
            RunRecord.lease_owner == owner,
            RunRecord.state == RunState.EXECUTING.value,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(updated) == 1


def executing_runs(session: Session) -> list[RunRecord]:
    """Every run currently marked EXECUTING."""
    return list(
        session.scalars(select(RunRecord).where(RunRecord.state == RunState.EXECUTING.value))
    )


def release(session: Session, *, run: RunRecord, max_attempts: int, reason: str) -> None:
    """Hand back a run whose worker is gone: PENDING again, or FAILURE after enough tries."""
    if run.attempts >= max_attempts:
        run.state = RunState.FAILURE.value
        run.error_code = "worker_lost"
        run.error = f"{reason}; gave up after {run.attempts} attempts"
        run.finished_at = utcnow()
    else:
        run.state = RunState.PENDING.value
        run.current_task = f"retrying: {reason}"
    run.lease_owner = None
    run.lease_expires_at = None


def cancel_job(session: Session, *, job: JobRecord) -> list[str]:
    """Mark ``job`` cancelled and revoke its active runs that no live job still needs.

    A run shared with another job that is not cancelled keeps going for that job.
    Returns the ids of the revoked runs. An EXECUTING run that is revoked loses its
    lease, so its worker stops at the next progress report and publishes nothing.
    """
    now = utcnow()
    if job.cancelled_at is None:
        job.cancelled_at = now
    revoked = []
    for link in job.runs:
        run = link.run
        if run.state not in ACTIVE_STATES:
            continue
        still_needed = session.scalar(
            select(func.count())
            .select_from(JobRunRecord)
            .join(JobRecord, JobRecord.id == JobRunRecord.job_id)
            .where(
                JobRunRecord.run_id == run.id,
                JobRecord.id != job.id,
                JobRecord.cancelled_at.is_(None),
            )
        )
        if still_needed:
            continue
        run.state = RunState.REVOKED.value
        run.current_task = "cancelled"
        run.finished_at = now
        run.lease_owner = None
        run.lease_expires_at = None
        revoked.append(run.id)
    return revoked
