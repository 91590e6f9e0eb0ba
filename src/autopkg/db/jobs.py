"""Read queries over jobs: a job's outcome, and listing jobs newest first with filters.

A job's state and outcome are not stored: they follow from its runs' states (and
whether it was cancelled). :func:`outcome_of` decides them in Python for one job and
:func:`list_jobs` expresses the same rules in SQL, so a filter never disagrees with
the status a client then reads.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, false, func, not_, or_, select, true
from sqlalchemy.orm import Session

from autopkg.db.models import ACTIVE_STATES, JobRecord, JobRunRecord, RunRecord, RunState

#: Most jobs one page of a listing returns.
MAX_PAGE = 100


class JobOutcome(enum.StrEnum):
    """How a finished job turned out (``job_group_outcome``)."""

    SUCCESS = "SUCCESS"
    PARTIAL = "PARTIAL"
    FAILURE = "FAILURE"
    CANCELLED = "CANCELLED"


_DONE_STATES = (RunState.SUCCESS.value, RunState.SKIPPED.value)


def outcome_of(states: Collection[RunState], *, cancelled: bool) -> JobOutcome | None:
    """The outcome of a job whose runs are in ``states``; ``None`` while any is active.

    A cancelled job (or one with a revoked run) is CANCELLED; otherwise SUCCESS when
    every run succeeded or was skipped, FAILURE when none did, PARTIAL in between.
    """
    if any(not state.terminal for state in states):
        return None
    if cancelled or RunState.REVOKED in states:
        return JobOutcome.CANCELLED
    succeeded = sum(state.value in _DONE_STATES for state in states)
    if succeeded == len(states):
        return JobOutcome.SUCCESS
    return JobOutcome.PARTIAL if succeeded else JobOutcome.FAILURE


@dataclass(frozen=True)
class JobCondition:
    """Constraints on a job, all of which must hold; ``None`` leaves one open.

    ``cancelled`` means cancelled or with a revoked run (what makes a job CANCELLED
    once complete); ``executing`` means some run is EXECUTING now.
    """

    complete: bool | None = None
    outcome: JobOutcome | None = None
    cancelled: bool | None = None
    executing: bool | None = None


def _has_run(*states: str) -> ColumnElement[bool]:
    return exists(
        select(JobRunRecord.run_id)
        .join(RunRecord, RunRecord.id == JobRunRecord.run_id)
        .where(JobRunRecord.job_id == JobRecord.id, RunRecord.state.in_(states))
    )


def _is(clause: ColumnElement[bool], wanted: bool) -> ColumnElement[bool]:
    return clause if wanted else not_(clause)


def _cancelled() -> ColumnElement[bool]:
    return or_(JobRecord.cancelled_at.is_not(None), _has_run(RunState.REVOKED.value))


def _outcome_clause(outcome: JobOutcome) -> ColumnElement[bool]:
    cancelled = _cancelled()
    if outcome is JobOutcome.CANCELLED:
        return cancelled
    failed = _has_run(RunState.FAILURE.value)
    succeeded = _has_run(*_DONE_STATES)
    rule = {
        JobOutcome.SUCCESS: not_(failed),
        JobOutcome.PARTIAL: and_(failed, succeeded),
        JobOutcome.FAILURE: and_(failed, not_(succeeded)),
    }[outcome]
    return and_(not_(cancelled), rule)


def _condition_clause(condition: JobCondition) -> ColumnElement[bool]:
    if condition.outcome is not None and condition.complete is False:
        return false()
    parts: list[ColumnElement[bool]] = []
    # Only a complete job has an outcome.
    complete = True if condition.outcome is not None else condition.complete
    if complete is not None:
        parts.append(_is(_has_run(*ACTIVE_STATES), not complete))
    if condition.outcome is not None:
        parts.append(_outcome_clause(condition.outcome))
    if condition.cancelled is not None:
        parts.append(_is(_cancelled(), condition.cancelled))
    if condition.executing is not None:
        parts.append(_is(_has_run(RunState.EXECUTING.value), condition.executing))
    return and_(true(), *parts)


def count_queued(session: Session, *, client: str) -> int:
    """How many jobs ``client`` submitted that are neither complete nor cancelled.

    A cancelled job no longer counts even while a run it shares with another job is
    still active: its submitter no longer waits for it.
    """
    query = (
        select(func.count())
        .select_from(JobRecord)
        .where(
            JobRecord.client == client,
            JobRecord.cancelled_at.is_(None),
            _has_run(*ACTIVE_STATES),
        )
    )
    return session.scalar(query) or 0


def list_jobs(
    session: Session,
    *,
    any_of: Sequence[JobCondition] = (),
    boundary_name: str | None = None,
    processor_id: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[JobRecord], int]:
    """Jobs newest first matching any of ``any_of`` (all jobs when empty), and the total.

    ``processor_id`` keeps jobs that asked for that processor. ``limit`` is capped at
    :data:`MAX_PAGE`. Returns one page of jobs (runs loaded) and how many match in all.
    """
    where: list[ColumnElement[bool]] = []
    if any_of:
        where.append(or_(false(), *(_condition_clause(c) for c in any_of)))
    if boundary_name is not None:
        where.append(JobRecord.boundary_name == boundary_name)
    if processor_id is not None:
        where.append(
            exists(
                select(JobRunRecord.run_id)
                .join(RunRecord, RunRecord.id == JobRunRecord.run_id)
                .where(JobRunRecord.job_id == JobRecord.id, RunRecord.processor_id == processor_id)
            )
        )
    total = session.scalar(select(func.count()).select_from(JobRecord).where(*where)) or 0
    page = session.scalars(
        select(JobRecord)
        .where(*where)
        .order_by(JobRecord.created_at.desc(), JobRecord.id.desc())
        .limit(max(1, min(limit, MAX_PAGE)))
        .offset(max(0, offset))
    )
    return list(page), total
