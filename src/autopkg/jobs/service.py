"""Submitting jobs and reading their status; the API and CLI call only these."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from autopkg.boundaries.boundary import Boundary
from autopkg.boundaries.custom import custom_boundary
from autopkg.boundaries.geojson import Area
from autopkg.db import boundaries as boundary_repo
from autopkg.db import jobs as job_queries
from autopkg.db import runs as run_repo
from autopkg.db.jobs import JobCondition, JobOutcome
from autopkg.db.models import JobRecord, RunState
from autopkg.errors import (
    InvalidInputError,
    LimitExceededError,
    NotFoundError,
    UnprocessableError,
)
from autopkg.jobs.estimates import (
    ProcessorEstimate,
    check_limit,
    estimate_processor,
    total_bytes,
    within_limit,
)
from autopkg.jobs.executor import Executor
from autopkg.packaging.manifest import PROCESSOR_KEY, Manifest, is_current
from autopkg.packaging.publish import read_manifest
from autopkg.processors.options import canonical_options
from autopkg.runtime import Runtime
from autopkg.slugs import canonical_name, is_slug

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
    state: RunState
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


@dataclass(frozen=True)
class JobPage:
    """One page of a job listing, newest first, and how many jobs match in all."""

    jobs: tuple[JobStatus, ...]
    total: int
    limit: int
    offset: int


Options = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Plan:
    """What a job would do before anything is created: boundary, options and estimates."""

    boundary: Boundary
    options: dict[str, dict[str, Any]]
    estimates: tuple[ProcessorEstimate, ...]


@dataclass(frozen=True)
class DryRunProcessor:
    """One processor of a dry run: its estimate and what the package holds already."""

    estimate: ProcessorEstimate
    published: bool
    current: bool


@dataclass(frozen=True)
class DryRun:
    """What a job would produce, checked against the output limit; nothing is created."""

    boundary_name: str
    max_output_bytes: int
    total_bytes: int
    within_limit: bool
    processors: tuple[DryRunProcessor, ...]


def plan(
    rt: Runtime,
    *,
    processor_ids: Sequence[str],
    boundary_name: str | None = None,
    area: Area | None = None,
    options: Options | None = None,
) -> Plan:
    """Validate a job request and estimate its output, creating no job and no run.

    A custom ``area`` is stored as a boundary (``custom-<hash>``), as a job would.

    Raises:
        UnprocessableError: no processors, the same processor twice, options for a
            processor the job does not ask for or that the processor refuses (naming
            processor and field), or an area with nothing left after repair.
        LimitExceededError: more processors or an area larger than the limits allow.
        InvalidInputError: unknown boundary or processor (named in the message).
    """
    _check_processors(rt, processor_ids)
    canonical = _canonical_options(rt, processor_ids, options or {})
    if area is not None:
        boundary_name = _store_area(rt, area)
    if boundary_name is None:
        raise UnprocessableError("a boundary_name or a boundary area is required")
    boundary_name = canonical_name(boundary_name)
    if not is_slug(boundary_name):
        raise InvalidInputError(f"unknown boundary: {boundary_name[:80]!r}")
    with rt.database.read_session() as session:
        boundary = boundary_repo.get(session, name=boundary_name)
    if boundary is None:
        raise InvalidInputError(f"unknown boundary: {boundary_name!r}")
    estimates = tuple(
        estimate_processor(rt, pid, boundary, canonical[pid]) for pid in processor_ids
    )
    return Plan(boundary=boundary, options=canonical, estimates=estimates)


def dry_run(
    rt: Runtime,
    *,
    processor_ids: Sequence[str],
    boundary_name: str | None = None,
    area: Area | None = None,
    options: Options | None = None,
) -> DryRun:
    """Estimate a job and say what is already published and current; create nothing.

    Raises:
        The errors of :func:`plan`; never the output limit (``within_limit`` says it).
    """
    planned = plan(
        rt, processor_ids=processor_ids, boundary_name=boundary_name, area=area, options=options
    )
    manifest = read_manifest(rt.storage, planned.boundary.name)
    published = {resource.get(PROCESSOR_KEY) for resource in (manifest or {}).get("resources", [])}
    processors = tuple(
        DryRunProcessor(
            estimate=estimate,
            published=estimate.processor_id in published,
            current=_is_current(rt, manifest, planned, estimate.processor_id),
        )
        for estimate in planned.estimates
    )
    return DryRun(
        boundary_name=planned.boundary.name,
        max_output_bytes=rt.settings.max_output_bytes,
        total_bytes=total_bytes(planned.estimates),
        within_limit=within_limit(rt, planned.estimates),
        processors=processors,
    )


def _is_current(rt: Runtime, manifest: Manifest | None, planned: Plan, processor_id: str) -> bool:
    return manifest is not None and is_current(
        manifest,
        processor_id,
        geometry=planned.boundary.geometry,
        options=planned.options[processor_id],
        pinned=rt.registry.get(processor_id).sources,
    )


def submit(
    rt: Runtime,
    executor: Executor,
    *,
    processor_ids: Sequence[str],
    boundary_name: str | None = None,
    area: Area | None = None,
    options: Options | None = None,
) -> Submission:
    """Create a job; each processor joins active work, is skipped if current, or is queued.

    The boundary is a known ``boundary_name`` or a custom ``area`` (typed GeoJSON), which is
    stored as a ``custom-<hash>`` boundary so that the same area shares its work.
    ``options`` maps processor ids to their options; the same processor with other
    options is other work (another run, not SKIPPED).

    The order matters for dedup: active work is looked for first, and the published
    manifest is read only once none is found (see the comment in the loop).

    Newly queued runs are handed to ``executor`` once the job is committed.

    Raises:
        UnprocessableError: see :func:`plan`.
        LimitExceededError: more processors, an area larger, or an estimated output
            larger (``AUTOPKG_MAX_OUTPUT_BYTES``) than the limits allow.
        InvalidInputError: unknown boundary or processor (named in the message).
    """
    planned = plan(
        rt, processor_ids=processor_ids, boundary_name=boundary_name, area=area, options=options
    )
    check_limit(rt, planned.estimates)
    boundary_name = planned.boundary.name
    with rt.database.session() as session:
        runs = []
        created = []
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
            if manifest is not None and _is_current(rt, manifest, planned, processor_id):
                runs.append(
                    run_repo.create_skipped_run(
                        session,
                        boundary_name=boundary_name,
                        processor_id=processor_id,
                        options=options,
                        result=_skipped_result(manifest, processor_id),
                        estimate=estimate.record(),
                    )
                )
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
        job = run_repo.create_job(session, boundary_name=boundary_name, runs=runs)
        submission = Submission(job_id=job.id, new_run_ids=tuple(created))
        skipped = sum(run.state == RunState.SKIPPED.value for run in runs)
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


def _canonical_options(
    rt: Runtime, processor_ids: Sequence[str], options: Options
) -> dict[str, dict[str, Any]]:
    """Every requested processor's options in canonical form (``{}`` when none given)."""
    strays = sorted(set(options) - set(processor_ids))
    if strays:
        shown = ", ".join(repr(pid[:80]) for pid in strays[:5])
        raise UnprocessableError(f"options given for {shown}, not among the job's processors")
    return {
        pid: canonical_options(pid, rt.registry.get(pid).options_model, options.get(pid, {}))
        for pid in processor_ids
    }


def _store_area(rt: Runtime, area: Area) -> str:
    boundary = custom_boundary(area, rt.area_limits)
    with rt.database.session() as session:
        boundary_repo.upsert(session, [boundary])
    return boundary.name


def _check_processors(rt: Runtime, processor_ids: Sequence[str]) -> None:
    if not processor_ids:
        raise UnprocessableError("processors must list at least one processor id")
    limit = rt.settings.max_processors_per_job
    if len(processor_ids) > limit:
        raise LimitExceededError(
            f"{len(processor_ids)} processors is over the limit of {limit} per job "
            "(AUTOPKG_MAX_PROCESSORS_PER_JOB)"
        )
    duplicates = sorted({pid for pid in processor_ids if processor_ids.count(pid) > 1})
    if duplicates:
        raise UnprocessableError(f"duplicate processors in request: {', '.join(duplicates)}")
    for processor_id in processor_ids:
        rt.registry.get(processor_id)


def _skipped_result(manifest: dict[str, Any], processor_id: str) -> dict[str, Any]:
    files = [
        resource["path"]
        for resource in manifest.get("resources", [])
        if resource.get("autopkg:processor") == processor_id
    ]
    return {"message": "already published and up to date", "files": files}


def status(rt: Runtime, *, job_id: str) -> JobStatus:
    """Return a job's status read from the database.

    Raises:
        NotFoundError: no job has this id.
    """
    with rt.database.read_session() as session:
        return _status_of(_job(session, job_id))


def list_jobs(
    rt: Runtime,
    *,
    any_of: Sequence[JobCondition] = (),
    boundary_name: str | None = None,
    processor_id: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> JobPage:
    """Jobs newest first, matching any of ``any_of`` and the boundary and processor given.

    The boundary name is matched case-insensitively; ``limit`` is capped at
    :data:`autopkg.db.jobs.MAX_PAGE`.
    """
    limit = max(1, min(limit, job_queries.MAX_PAGE))
    with rt.database.read_session() as session:
        jobs, total = job_queries.list_jobs(
            session,
            any_of=any_of,
            boundary_name=canonical_name(boundary_name) if boundary_name else None,
            processor_id=processor_id,
            limit=limit,
            offset=offset,
        )
        return JobPage(
            jobs=tuple(_status_of(job) for job in jobs), total=total, limit=limit, offset=offset
        )


def _status_of(job: JobRecord) -> JobStatus:
    runs = tuple(
        RunStatus(
            processor_id=link.run.processor_id,
            state=RunState(link.run.state),
            percent=100.0 if RunState(link.run.state).terminal else link.run.percent,
            task=_task_of(link.run.state, link.run.current_task, link.run.error),
            result=_result_of(link.run.state, link.run.result, link.run.error_code, link.run.error),
            estimate=link.run.estimate,
            options=link.run.options,
        )
        for link in job.runs
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
        outcome=job_queries.outcome_of([run.state for run in runs], cancelled=cancelled),
        created_at=job.created_at,
    )


# A failed run keeps the last task its processor reported ("downloading…"), which
# would read as if it were still working; say that it failed and why instead.
_FAILED_TASK_CHARS = 120


def _task_of(state: str, task: str, error: str | None) -> str:
    if state == RunState.FAILURE.value:
        reason = (error or "failed").splitlines()[0]
        if len(reason) > _FAILED_TASK_CHARS:
            reason = reason[: _FAILED_TASK_CHARS - 1] + "…"
        return f"failed: {reason}"
    return task


def _job(session: Session, job_id: str) -> JobRecord:
    job = run_repo.get_job(session, job_id=job_id)
    if job is None:
        raise NotFoundError(f"unknown job: {job_id[:80]!r}")
    return job


def _result_of(
    state: str, result: dict[str, Any] | None, code: str | None, error: str | None
) -> dict[str, Any] | None:
    if state == RunState.FAILURE.value:
        return {"error": code or "error", "detail": error or "failed"}
    return result


def cancel(rt: Runtime, *, job_id: str) -> JobStatus:
    """Cancel a job: its queued or running work stops unless another job still needs it.

    Raises:
        NotFoundError: no job has this id.
    """
    with rt.database.session() as session:
        revoked = run_repo.cancel_job(session, job_id=job_id)
    if revoked is None:
        raise NotFoundError(f"unknown job: {job_id[:80]!r}")
    return status(rt, job_id=job_id)
