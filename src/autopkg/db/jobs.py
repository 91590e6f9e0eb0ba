"""Read queries over jobs: a job's outcome, and listing jobs newest first with filters.

A job's state and outcome are not stored: they follow from five facts about its runs
(:class:`JobFacts`) by one rule, a decision list (:data:`_RULE`). A job read in Python
gets its facts from its runs and the rule decides (:func:`outcome_of`); a filter in SQL
is built from the same rows over the same facts as clauses (:func:`_outcome_clause`),
so a filter never disagrees with the status a client then reads.

Jobs are read as plain rows (:class:`JobRow`) on a Core connection, in one query for
any number of jobs: a status is the most polled read of the API, and loading it as ORM
objects cost ten times the query itself (about 1.1 ms against 0.1 ms).
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    and_,
    bindparam,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.orm import Session

from autopkg.db.locks import advisory_key
from autopkg.db.models import ACTIVE_STATES, JobRecord, JobRunRecord, RunRecord
from autopkg.domain.states import LEASED, RunState

#: Most jobs one page of a listing returns.
MAX_PAGE = 100


class JobOutcome(enum.StrEnum):
    """How a finished job turned out (``job_group_outcome``)."""

    SUCCESS = "SUCCESS"
    PARTIAL = "PARTIAL"
    FAILURE = "FAILURE"
    CANCELLED = "CANCELLED"


_DONE_STATES = (RunState.SUCCESS.value, RunState.SKIPPED.value)

#: The key of a SUCCESS run's result listing the source files it could not make.
FAILED_KEY = "failed"


@dataclass(frozen=True)
class JobFacts:
    """What a job's outcome depends on: facts about its runs (and its cancel mark).

    ``cancelled``: cancelled, or some run was revoked; ``failed``: some run FAILURE;
    ``succeeded``: some run SUCCESS or SKIPPED; ``lacking``: some SUCCESS run lists
    source files it could not make (under :data:`FAILED_KEY`).
    """

    active: bool
    cancelled: bool
    failed: bool
    succeeded: bool
    lacking: bool


#: The rule, as a decision list: the first row whose facts all hold gives the outcome
#: (``None``: not complete). Python reads it in :func:`decide`; SQL in
#: :func:`_outcome_clause`. A cancelled job (or one with a revoked run) is CANCELLED;
#: otherwise a job with a failed run is PARTIAL if another succeeded and FAILURE if
#: none did; a job without failures is PARTIAL when a run lacks some of its files.
_RULE: tuple[tuple[dict[str, bool], JobOutcome | None], ...] = (
    ({"active": True}, None),
    ({"cancelled": True}, JobOutcome.CANCELLED),
    ({"failed": True, "succeeded": True}, JobOutcome.PARTIAL),
    ({"failed": True}, JobOutcome.FAILURE),
    ({"lacking": True}, JobOutcome.PARTIAL),
    ({}, JobOutcome.SUCCESS),
)


def decide(facts: JobFacts) -> JobOutcome | None:
    """The outcome of a job with these facts (:data:`_RULE`); ``None`` while any run is active."""
    for condition, outcome in _RULE:
        if all(getattr(facts, name) is wanted for name, wanted in condition.items()):
            return outcome
    raise AssertionError("the rule's last row holds for every job")


def outcome_of(
    states: Collection[RunState], *, cancelled: bool, files_failed: bool = False
) -> JobOutcome | None:
    """The outcome (:func:`decide`) of a job whose runs are in ``states``.

    ``files_failed``: a SUCCESS run lists files it could not make (:func:`files_failed`).
    """
    return decide(
        JobFacts(
            active=any(not state.terminal for state in states),
            cancelled=cancelled or RunState.REVOKED in states,
            failed=RunState.FAILURE in states,
            succeeded=any(state.value in _DONE_STATES for state in states),
            lacking=files_failed,
        )
    )


def files_failed(runs: Collection[RunRow]) -> bool:
    """Whether a run succeeded without some of its files (see :class:`JobFacts`)."""
    return any(
        run.state is RunState.SUCCESS and bool((run.result or {}).get(FAILED_KEY)) for run in runs
    )


@dataclass(frozen=True)
class JobCondition:
    """Constraints on a job, all of which must hold; ``None`` leaves one open.

    ``cancelled`` means cancelled or with a revoked run (what makes a job CANCELLED
    once complete); ``executing`` means some run is EXECUTING (or PUBLISHING) now.
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


def _facts_sql() -> dict[str, ColumnElement[bool]]:
    """The facts of :class:`JobFacts`, by name, as clauses on a job's row."""
    lacking = exists(
        select(JobRunRecord.run_id)
        .join(RunRecord, RunRecord.id == JobRunRecord.run_id)
        .where(
            JobRunRecord.job_id == JobRecord.id,
            RunRecord.state == RunState.SUCCESS.value,
            RunRecord.result[FAILED_KEY].as_string().is_not(None),
        )
    )
    return {
        "active": _has_run(*ACTIVE_STATES),
        "cancelled": _cancelled(),
        "failed": _has_run(RunState.FAILURE.value),
        "succeeded": _has_run(*_DONE_STATES),
        "lacking": lacking,
    }


def _outcome_clause(outcome: JobOutcome) -> ColumnElement[bool]:
    """Jobs :data:`_RULE` gives ``outcome``: a row of it holds, and no earlier row does.

    Plain EXISTS and NOT EXISTS clauses, which the databases plan as (anti-)joins.
    """
    facts = _facts_sql()

    def holds(condition: dict[str, bool]) -> ColumnElement[bool]:
        return and_(true(), *(_is(facts[name], wanted) for name, wanted in condition.items()))

    chosen: list[ColumnElement[bool]] = []
    earlier: list[ColumnElement[bool]] = []
    for condition, result in _RULE:
        if result is outcome:
            chosen.append(and_(holds(condition), *(not_(clause) for clause in earlier)))
        earlier.append(holds(condition))
    return or_(false(), *chosen)


def _condition_clause(condition: JobCondition) -> ColumnElement[bool]:
    if condition.outcome is not None and condition.complete is False:
        return false()
    parts: list[ColumnElement[bool]] = []
    # Only a complete job has an outcome (and the outcome's rule says so itself).
    complete = None if condition.outcome is not None else condition.complete
    if complete is not None:
        parts.append(_is(_has_run(*ACTIVE_STATES), not complete))
    if condition.outcome is not None:
        parts.append(_outcome_clause(condition.outcome))
    if condition.cancelled is not None:
        parts.append(_is(_cancelled(), condition.cancelled))
    if condition.executing is not None:
        parts.append(_is(_has_run(*sorted(s.value for s in LEASED)), condition.executing))
    return and_(true(), *parts)


def count_queued(session: Session, *, client: str, hold: bool = False) -> int:
    """How many jobs ``client`` submitted that are neither complete nor cancelled.

    A cancelled job no longer counts even while a run it shares with another job is
    still active: its submitter no longer waits for it.

    With ``hold`` (in a write transaction), no other transaction can count this client's
    jobs with ``hold`` until this one ends, so a count and the job created after it are
    one step: on PostgreSQL through a transaction-level advisory lock on the client, on
    SQLite because a write transaction already excludes every other.
    """
    if hold and session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_key(f"queued-{client}")}
        )
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


@dataclass(frozen=True)
class RunRow:
    """One processor of a job: the run doing it, as stored."""

    processor_id: str
    state: RunState
    percent: float
    current_task: str
    result: dict[str, Any] | None
    error_code: str | None
    error: str | None
    estimate: dict[str, Any] | None
    options: dict[str, Any] | None


@dataclass(frozen=True)
class JobRow:
    """A job as stored, with its runs in the order its processors were asked for.

    ``boundary_name_long`` is ``None`` once a custom area has been retired.
    """

    id: str
    boundary_name: str
    created_at: datetime
    cancelled_at: datetime | None
    boundary_name_long: str | None
    runs: tuple[RunRow, ...]


# Built once: SQLAlchemy memoises a statement's cache key on the statement object, so a
# statement built per call would spend most of a status read (~0.8 ms) recomputing it.
_READ_JOBS = (
    select(
        JobRecord.id,
        JobRecord.boundary_name,
        JobRecord.created_at,
        JobRecord.cancelled_at,
        # A column property has no name of its own outside an ORM entity.
        JobRecord.boundary_name_long.label("boundary_name_long"),
        RunRecord.processor_id,
        RunRecord.state,
        RunRecord.percent,
        RunRecord.current_task,
        RunRecord.result,
        RunRecord.error_code,
        RunRecord.error,
        RunRecord.estimate,
        RunRecord.options,
    )
    .outerjoin(JobRunRecord, JobRunRecord.job_id == JobRecord.id)
    .outerjoin(RunRecord, RunRecord.id == JobRunRecord.run_id)
    .where(JobRecord.id.in_(bindparam("job_ids", expanding=True)))
    .order_by(JobRecord.id, JobRunRecord.position)
)


def read_jobs(connection: Connection, job_ids: Sequence[str]) -> list[JobRow]:
    """The jobs with these ids that exist, in the order given, each with its runs."""
    if not job_ids:
        return []
    rows = connection.execute(_READ_JOBS, {"job_ids": list(job_ids)}).all()
    heads: dict[str, Row[Any]] = {}
    runs: dict[str, list[RunRow]] = {}
    for row in rows:
        heads.setdefault(row.id, row)
        found = runs.setdefault(row.id, [])
        if row.processor_id is not None:  # the outer join's row of a job without runs
            found.append(
                RunRow(
                    processor_id=row.processor_id,
                    state=RunState(row.state),
                    percent=row.percent,
                    current_task=row.current_task,
                    result=row.result,
                    error_code=row.error_code,
                    error=row.error,
                    estimate=row.estimate,
                    options=row.options,
                )
            )
    return [
        JobRow(
            id=head.id,
            boundary_name=head.boundary_name,
            created_at=head.created_at,
            cancelled_at=head.cancelled_at,
            boundary_name_long=head.boundary_name_long,
            runs=tuple(runs[head.id]),
        )
        for head in (heads.get(job_id) for job_id in job_ids)
        if head is not None
    ]


def _filters(
    any_of: Sequence[JobCondition],
    boundary_name: str | None,
    processor_id: str | None,
    client: str | None,
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if client is not None:
        where.append(JobRecord.client == client)
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
    return where


def count_jobs(
    reader: Session | Connection,
    *,
    any_of: Sequence[JobCondition] = (),
    boundary_name: str | None = None,
    processor_id: str | None = None,
    client: str | None = None,
) -> int:
    """How many jobs match any of ``any_of`` (all jobs when empty) and the other filters."""
    where = _filters(any_of, boundary_name, processor_id, client)
    return reader.scalar(select(func.count()).select_from(JobRecord).where(*where)) or 0


def list_jobs(
    connection: Connection,
    *,
    any_of: Sequence[JobCondition] = (),
    boundary_name: str | None = None,
    processor_id: str | None = None,
    client: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[JobRow], int]:
    """Jobs newest first matching any of ``any_of`` (all jobs when empty), and the total.

    ``processor_id`` keeps jobs that asked for that processor, ``client`` those that
    submitter made. ``limit`` is capped at :data:`MAX_PAGE`. Returns one page of jobs
    (runs loaded) and how many match in all.
    """
    total = count_jobs(
        connection,
        any_of=any_of,
        boundary_name=boundary_name,
        processor_id=processor_id,
        client=client,
    )
    page = connection.scalars(
        select(JobRecord.id)
        .where(*_filters(any_of, boundary_name, processor_id, client))
        .order_by(JobRecord.created_at.desc(), JobRecord.id.desc())
        .limit(max(1, min(limit, MAX_PAGE)))
        .offset(max(0, offset))
    ).all()
    return read_jobs(connection, page), total
