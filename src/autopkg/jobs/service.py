"""Submitting jobs and reading their status; the API and CLI call only these."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from autopkg.boundaries.geojson import Area
from autopkg.db import deliveries
from autopkg.db import jobs as job_queries
from autopkg.db import runs as run_repo
from autopkg.db.jobs import JobCondition, JobOutcome, JobRow
from autopkg.db.models import RunRecord
from autopkg.domain.states import RunState
from autopkg.errors import ConflictError, NotFoundError, RateLimitedError
from autopkg.jobs import callback_targets
from autopkg.jobs.estimates import check_limit
from autopkg.jobs.executors import Executor
from autopkg.jobs.planning import Options, current_for, plan
from autopkg.packaging.manifest import Manifest
from autopkg.packaging.publish import read_manifest
from autopkg.packaging.summary import SummaryRequest, asks_other_summary, request_record
from autopkg.runtime import Runtime
from autopkg.slugs import canonical_name

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    """A created job and the runs it created (to be dispatched to an executor)."""

    job_id: str
    new_run_ids: tuple[str, ...]


@dataclass(frozen=True)
class RunStatus:
    """What one processor of a job is doing."""

    processor_id: str
    state: RunState  # as clients are told (RunState.reported)
    percent: float
    task: str
    result: dict[str, Any] | None
    estimate: dict[str, Any] | None = None
    options: dict[str, Any] | None = None


@dataclass(frozen=True)
class JobStatus:
    """A job and its processors' runs."""

    job_id: str
    boundary_name: str
    complete: bool
    cancelled: bool
    percent: float
    runs: tuple[RunStatus, ...]
    outcome: JobOutcome | None = None
    created_at: datetime | None = None
    boundary_name_long: str | None = None


@dataclass(frozen=True)
class JobPage:
    """One page of a job listing, newest first, and how many jobs match in all."""

    jobs: tuple[JobStatus, ...]
    total: int
    limit: int
    offset: int


def submit(
    rt: Runtime,
    executor: Executor,
    *,
    processor_ids: Sequence[str],
    boundary_name: str | None = None,
    area: Area | None = None,
    area_name: str | None = None,
    options: Options | None = None,
    buffer_m: int | None = None,
    client: str | None = None,
    callbacks: Sequence[deliveries.Target] = (),
    base_url: str = "",
    summary: SummaryRequest = None,
) -> Submission:
    """Create a job; each processor joins active work, is skipped if current, or is queued.

    ``client`` names the submitter (an API key's name, or the client address without
    keys; ``None`` from the CLI, which is not limited). It is recorded on the job and
    may have at most ``AUTOPKG_MAX_QUEUED_JOBS_PER_CLIENT`` jobs not yet complete.

    The boundary is a known ``boundary_name`` or a custom ``area`` (typed GeoJSON), which is
    stored as a ``custom-<hash>`` boundary so that the same area shares its work.
    ``area_name`` (validated by the caller) becomes that boundary's long name; an area
    submitted again without one keeps the name it had. ``buffer_m`` grows the boundary
    by that many metres: the job is then for the buffered area (see :func:`plan`).
    ``options`` maps processor ids to their options; the same processor with other
    options is other work (another run, not SKIPPED).

    The order matters for dedup: active work is looked for first, and the published
    manifest is read only once none is found (see the comment in the loop).

    ``summary`` (thresholds by hazard processor, or ``False``) is recorded on the job;
    each run publishes with the request of its newest job that made one. When every
    processor is current (nothing would publish) but the request differs from what
    the package's summary records, one processor gets a ``summary_only`` run instead
    of SKIPPED: it recomputes and republishes the summary, clipping nothing.

    Newly queued runs are handed to ``executor`` once the job is committed.

    ``callbacks`` are URLs to tell of the job's state changes (``autopkg.jobs.callbacks``;
    checked before anything else is done); ``base_url`` is the API's address, for the
    links of the documents sent to them.

    Raises:
        UnprocessableError: see :func:`plan`; also callbacks are off, or a callback URL
            is refused (:func:`autopkg.jobs.callback_targets.check`).
        LimitExceededError: more processors, an area larger, or an estimated output
            larger (``AUTOPKG_MAX_OUTPUT_BYTES``) than the limits allow.
        InvalidInputError: unknown boundary or processor (named in the message).
        RateLimitedError: ``client`` has as many jobs not yet complete as it may have.
    """
    callback_targets.check(rt.settings, callbacks)
    limit = rt.settings.max_queued_jobs_per_client if client is not None else 0
    if client is not None and limit:
        # First without holding anything, so a refused client costs no geometry work.
        with rt.database.read_session() as session:
            _check_queued(job_queries.count_queued(session, client=client), limit)
    planned = plan(
        rt,
        processor_ids=processor_ids,
        boundary_name=boundary_name,
        area=area,
        area_name=area_name,
        options=options,
        buffer_m=buffer_m,
        summary=summary,
    )
    check_limit(rt, planned.estimates)
    boundary_name = planned.boundary.name
    with rt.database.session() as session:
        if client is not None and limit:
            # Again, holding the client's count until this job is committed: two
            # submissions at once cannot both take the last place.
            _check_queued(job_queries.count_queued(session, client=client, hold=True), limit)
        runs: list[RunRecord | None] = []
        created = []
        current: dict[int, tuple[str, dict[str, Any], dict[str, Any] | None, Manifest]] = {}
        manifest = None
        for estimate in planned.estimates:
            processor_id = estimate.processor_id
            options = planned.options[processor_id]
            active = run_repo.active_run(
                session, boundary_name=boundary_name, processor_id=processor_id, options=options
            )
            if active is not None:
                runs.append(active)
                continue
            # No run is active, and a run publishes before it is marked finished, so
            # the manifest read now reflects every earlier run of this processor.
            manifest = read_manifest(rt.storage, boundary_name)
            if manifest is not None and current_for(rt, manifest, planned, processor_id):
                current[len(runs)] = (processor_id, options, estimate.record(), manifest)
                runs.append(None)
                continue
            run, is_new = run_repo.join_or_create_run(
                session,
                boundary_name=boundary_name,
                processor_id=processor_id,
                options=options,
                estimate=estimate.record(),
            )
            runs.append(run)
            if is_new:
                created.append(run.id)
        # Every processor is current: none will publish, so one of them recomputes the
        # summary when the job asks it for other thresholds (or none).
        refresh = (
            _summary_refresher(planned.summary, [pid for pid, *_ in current.values()])
            if len(current) == len(runs) and asks_other_summary(manifest, planned.summary)
            else None
        )
        for position, (processor_id, options, record, seen) in current.items():
            if processor_id == refresh:
                run, is_new = run_repo.join_or_create_run(
                    session,
                    boundary_name=boundary_name,
                    processor_id=processor_id,
                    options=options,
                    estimate=record,
                    summary_only=True,
                )
                if is_new:
                    created.append(run.id)
            else:
                run = run_repo.create_skipped_run(
                    session,
                    boundary_name=boundary_name,
                    processor_id=processor_id,
                    options=options,
                    result=_skipped_result(seen, processor_id),
                    estimate=record,
                )
            runs[position] = run
        job = run_repo.create_job(
            session,
            boundary_name=boundary_name,
            runs=[run for run in runs if run is not None],
            client=client,
            summary=request_record(planned.summary),
        )
        deliveries.subscribe(session, job_id=job.id, targets=callbacks, base_url=base_url)
        submission = Submission(job_id=job.id, new_run_ids=tuple(created))
        skipped = sum(run is not None and run.state == RunState.SKIPPED.value for run in runs)
    log.info(
        "job %s for %s: %d queued, %d joined, %d already published",
        submission.job_id[:8],
        boundary_name,
        len(created),
        len(runs) - len(created) - skipped,
        skipped,
    )
    for run_id in submission.new_run_ids:
        executor.dispatch(run_id)
    return submission


# Jobs take minutes: asking again every few seconds would only add load.
_QUEUED_RETRY_AFTER_SECONDS = 30


def _check_queued(queued: int, limit: int) -> None:
    if queued >= limit:
        raise RateLimitedError(
            f"{queued} jobs not yet complete: at most {limit} per client "
            f"(AUTOPKG_MAX_QUEUED_JOBS_PER_CLIENT); retry in {_QUEUED_RETRY_AFTER_SECONDS} s "
            "or cancel one",
            retry_after=_QUEUED_RETRY_AFTER_SECONDS,
        )


def _summary_refresher(request: SummaryRequest, processor_ids: Sequence[str]) -> str:
    """Which of a job's current processors recomputes the summary for it.

    The first that the request sets thresholds for, else the job's first processor.
    """
    named = [pid for pid in processor_ids if request and pid in request]
    return (named or list(processor_ids))[0]


def _skipped_result(manifest: Manifest, processor_id: str) -> dict[str, Any]:
    files = [resource.path for resource in manifest.resources if resource.processor == processor_id]
    return {"message": "already published and up to date", "files": files}


def status(rt: Runtime, *, job_id: str) -> JobStatus:
    """Return a job's status read from the database.

    Raises:
        NotFoundError: no job has this id.
    """
    with rt.database.read_connection() as connection:
        found = job_queries.read_jobs(connection, [job_id])
    if not found:
        raise NotFoundError(f"unknown job: {job_id[:80]!r}")
    return _status_of(found[0])


def statuses(rt: Runtime, job_ids: Sequence[str]) -> list[JobStatus]:
    """The status of each of these jobs that exists, in one read."""
    with rt.database.read_connection() as connection:
        return [_status_of(job) for job in job_queries.read_jobs(connection, job_ids)]


def list_jobs(
    rt: Runtime,
    *,
    any_of: Sequence[JobCondition] = (),
    boundary_name: str | None = None,
    processor_id: str | None = None,
    client: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> JobPage:
    """Jobs newest first, matching any of ``any_of`` and the boundary and processor given,
    only ``client``'s when given.

    The boundary name and the processor id are matched case-insensitively; ``limit``
    is capped at :data:`autopkg.db.jobs.MAX_PAGE`.
    """
    limit = max(1, min(limit, job_queries.MAX_PAGE))
    with rt.database.read_connection() as connection:
        jobs, total = job_queries.list_jobs(
            connection,
            any_of=any_of,
            boundary_name=canonical_name(boundary_name) if boundary_name else None,
            processor_id=processor_id.lower() if processor_id else None,
            client=client,
            limit=limit,
            offset=offset,
        )
    return JobPage(
        jobs=tuple(_status_of(job) for job in jobs), total=total, limit=limit, offset=offset
    )


def _status_of(job: JobRow) -> JobStatus:
    runs = tuple(
        RunStatus(
            processor_id=run.processor_id,
            state=run.state.reported,
            percent=100.0 if run.state.terminal else run.percent,
            task=_task_of(run.state, run.current_task, run.error),
            result=_result_of(run.state, run.result, run.error_code, run.error),
            estimate=run.estimate,
            options=run.options,
        )
        for run in job.runs
    )
    percent = sum(run.percent for run in runs) / len(runs) if runs else 100.0
    cancelled = job.cancelled_at is not None
    return JobStatus(
        job_id=job.id,
        boundary_name=job.boundary_name,
        complete=all(run.state.terminal for run in runs),
        cancelled=cancelled,
        percent=round(percent, 2),
        runs=runs,
        outcome=job_queries.outcome_of(
            [run.state for run in runs],
            cancelled=cancelled,
            files_failed=job_queries.files_failed(job.runs),
        ),
        created_at=job.created_at,
        boundary_name_long=job.boundary_name_long,
    )


# A failed run keeps the last task its processor reported ("downloading…"), which
# would read as if it were still working; say that it failed and why instead. A
# reason opens with the sentence a person can act on, naming a file of up to some 60
# characters; this keeps that sentence whole, and job_result keeps the rest.
_FAILED_TASK_CHARS = 200


def _task_of(state: RunState, task: str, error: str | None) -> str:
    if state is RunState.FAILURE:
        reason = (error or "failed").splitlines()[0]
        if len(reason) > _FAILED_TASK_CHARS:
            reason = reason[: _FAILED_TASK_CHARS - 1] + "…"
        return f"failed: {reason}"
    return task


def _result_of(
    state: RunState, result: dict[str, Any] | None, code: str | None, error: str | None
) -> dict[str, Any] | None:
    if state is RunState.FAILURE:
        return {"error": code or "error", "detail": error or "failed"}
    return result


def cancel(rt: Runtime, *, job_id: str, client: str | None = None) -> JobStatus:
    """Cancel a job: its queued or running work stops unless another job still needs it.

    ``client``, when given, is the only submitter whose job may be cancelled: another's
    is answered as if it did not exist. Cancelling a cancelled job again changes nothing.

    Raises:
        NotFoundError: no job has this id (of ``client``'s, when given).
        ConflictError: the job is already complete: its outcome stands.
    """
    with rt.database.session() as session:
        revoked = run_repo.cancel_job(session, job_id=job_id, client=client)
    if revoked is None:
        raise NotFoundError(f"unknown job: {job_id[:80]!r}")
    cancelled = status(rt, job_id=job_id)
    if cancelled.complete and not cancelled.cancelled:
        outcome = cancelled.outcome.value if cancelled.outcome else "complete"
        raise ConflictError(
            f"job {job_id} is already complete ({outcome}): a finished job cannot be cancelled"
        )
    return cancelled
