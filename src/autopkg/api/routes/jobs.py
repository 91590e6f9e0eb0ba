"""Jobs: submit processors for a boundary and follow their progress."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from autopkg.api.deps import ExecutorDep, JobOwnerDep, RuntimeDep, WriteGuardDep, WriterDep
from autopkg.api.responses import model_response
from autopkg.api.routing import StrictJSONRoute
from autopkg.api.schemas import (
    DryRunProcessor,
    DryRunResult,
    ErrorMessage,
    EstimatePublic,
    JobCreate,
    JobCreated,
    JobList,
    JobOutcomeName,
    JobProgress,
    JobStatusPublic,
    ProcessorJob,
    SummaryOptions,
)
from autopkg.db.deliveries import Role, Target
from autopkg.db.jobs import MAX_PAGE, JobCondition, JobOutcome
from autopkg.jobs import callback_targets, planning, service
from autopkg.packaging.summary import SummaryRequest

router = APIRouter(prefix="/jobs", tags=["jobs"], route_class=StrictJSONRoute)


@router.post(
    "",
    status_code=202,
    response_model=JobCreated,
    responses={
        200: {"model": DryRunResult, "description": "With dry_run=true: the estimate only."},
        400: {"model": ErrorMessage},
        401: {"model": ErrorMessage},
        429: {"model": ErrorMessage},
        422: {"model": ErrorMessage},
    },
    operation_id="submit_job",
)
def submit_job(
    rt: RuntimeDep,
    executor: ExecutorDep,
    writer: WriterDep,
    body: JobCreate,
    request: Request,
    response: Response,
    dry_run: Annotated[
        bool, Query(description="Only estimate the output (200); create no job.")
    ] = False,
) -> JobCreated | JSONResponse:
    """Package processors for a boundary (or a custom GeoJSON area) in the background.

    A custom area may be given a name (``area_name``); it becomes the area's
    ``name_long``, shown as ``boundary_name_long`` in job status and as the package's
    boundary name. The same area submitted again without a name keeps its name.

    ``buffer_m`` grows the boundary (or area) by that many metres on the ellipsoid; the
    job is then for the boundary ``<name>-buffer-<buffer_m>m`` (long name "Ghana + 5 km"),
    made once and reused, whose package is separate from the unbuffered one. A dry run
    makes the buffer in memory and stores nothing.

    A processor already queued or running for the boundary with the same options is
    joined (no second execution); one whose output is already published and current
    reports SKIPPED. Poll the returned job (also in the ``Location`` header).

    Each processor first estimates its output; a job whose estimated total is over
    ``AUTOPKG_MAX_OUTPUT_BYTES`` is refused with 422. With ``dry_run=true`` the answer
    is that estimate (200), with what the package already holds, and nothing is created.

    ``summary`` sets the thresholds of hazard processors in the package's summary
    (422 for a processor that is unknown or not a hazard), or turns the summary off
    (``false``) for this job's publications. When every processor is already current
    but the thresholds differ from those the summary records, one processor's run
    recomputes and republishes the summary alone (nothing is clipped again).

    A client (its API key, or its address when the service has no keys) with
    ``AUTOPKG_MAX_QUEUED_JOBS_PER_CLIENT`` jobs not yet complete is refused with 429
    until one completes or is cancelled; a dry run is not counted.

    ``notify_url`` is POSTed the job's status, signed, when it starts running and when
    it is complete (see the README's "Callbacks"); a URL that resolves to a loopback,
    private or otherwise non-public address is refused (422).
    """
    callbacks = [Target(Role.NOTIFY, body.notify_url)] if body.notify_url else []
    if dry_run:
        callback_targets.check(rt.settings, callbacks)
        result = planning.dry_run(
            rt,
            boundary_name=body.boundary_name,
            area=body.boundary,
            processor_ids=body.processors,
            options=body.options,
            buffer_m=body.buffer_m,
            summary=summary_request(body.summary),
        )
        return JSONResponse(dry_run_public(result).model_dump(mode="json"))
    submission = service.submit(
        rt,
        executor,
        boundary_name=body.boundary_name,
        area=body.boundary,
        area_name=body.area_name,
        processor_ids=body.processors,
        options=body.options,
        buffer_m=body.buffer_m,
        client=writer,
        callbacks=callbacks,
        base_url=str(request.base_url),
        summary=summary_request(body.summary),
    )
    response.headers["Location"] = f"/v1/jobs/{submission.job_id}"
    return JobCreated(job_id=submission.job_id)


def summary_request(body: SummaryOptions | Literal[False] | None) -> SummaryRequest:
    """A job body's ``summary`` as the service takes it."""
    return body.thresholds if isinstance(body, SummaryOptions) else body


def dry_run_public(result: planning.DryRun) -> DryRunResult:
    """Present a dry run."""
    return DryRunResult(
        boundary_name=result.boundary_name,
        max_output_bytes=result.max_output_bytes,
        total_bytes=result.total_bytes,
        within_limit=result.within_limit,
        processors=[
            DryRunProcessor(
                processor=p.estimate.processor_id,
                bytes=p.estimate.estimate.bytes if p.estimate.estimate else None,
                pixels=p.estimate.estimate.pixels if p.estimate.estimate else None,
                features=p.estimate.estimate.features if p.estimate.estimate else None,
                files=p.estimate.estimate.files if p.estimate.estimate else None,
                error=None if p.estimate.estimate else p.estimate.record()["error"],
                published=p.published,
                current=p.current,
            )
            for p in result.processors
        ],
    )


def job_public(status: service.JobStatus) -> JobStatusPublic:
    """Present a job's status in the ancestor-compatible shape."""
    return JobStatusPublic(
        job_id=status.job_id,
        boundary_name=status.boundary_name,
        job_group_status="COMPLETE" if status.complete else "PENDING",
        job_group_percent_complete=status.percent,
        job_group_processors=[
            ProcessorJob(
                processor_name=run.processor_id,
                job_status=run.state.value,
                job_progress=JobProgress(percent_complete=run.percent, current_task=run.task),
                job_result=run.result,
                job_estimate=EstimatePublic(**run.estimate) if run.estimate else None,
                job_options=run.options or {},
            )
            for run in status.runs
        ],
        job_group_outcome=status.outcome.value if status.outcome else None,
        created_at=status.created_at,
        boundary_name_long=status.boundary_name_long,
    )


@router.get(
    "",
    response_model=JobList,
    responses={
        401: {"model": ErrorMessage},
        422: {"model": ErrorMessage},
        429: {"model": ErrorMessage},
    },
    operation_id="list_jobs",
)
async def list_jobs(
    rt: RuntimeDep,
    owner: JobOwnerDep,
    state: Annotated[
        Literal["PENDING", "COMPLETE"] | None, Query(description="job_group_status to keep.")
    ] = None,
    outcome: Annotated[
        list[JobOutcomeName] | None,
        Query(
            max_length=len(JobOutcome),
            description="job_group_outcome(s) to keep (repeat for several; each at most "
            "once counts, more than four values is 422).",
        ),
    ] = None,
    boundary_name: Annotated[str | None, Query(max_length=200)] = None,
    processor: Annotated[
        str | None, Query(max_length=200, description="Keep jobs that asked for this id.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """Jobs, newest first, one page at a time (``limit``, ``offset``; ``total`` counts all).

    When the service has API keys, a key lists the jobs it submitted (an admin key,
    every job) and a listing without a valid key is 401.

    Filters combine: ``state=COMPLETE&outcome=FAILURE&outcome=PARTIAL&boundary_name=gha``
    lists Ghana's finished jobs where something failed.
    """
    complete = None if state is None else state == "COMPLETE"
    conditions = [
        # Each outcome once: a repeated one would only repeat the same clauses.
        JobCondition(complete=complete, outcome=JobOutcome(name))
        for name in dict.fromkeys(outcome or [])
    ] or ([JobCondition(complete=complete)] if complete is not None else [])
    page = await run_in_threadpool(
        service.list_jobs,
        rt,
        any_of=conditions,
        boundary_name=boundary_name,
        processor_id=processor,
        client=owner,
        limit=limit,
        offset=offset,
    )
    listed = JobList(
        jobs=[job_public(job) for job in page.jobs],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )
    return model_response(listed)


@router.get(
    "/{job_id}",
    response_model=JobStatusPublic,
    responses={404: {"model": ErrorMessage}},
    operation_id="get_job",
)
async def get_job(rt: RuntimeDep, job_id: str) -> Response:
    """A job's status: PENDING until every processor has finished and been published."""
    status = await run_in_threadpool(service.status, rt, job_id=job_id)
    return model_response(job_public(status))


@router.delete(
    "/{job_id}",
    response_model=JobStatusPublic,
    responses={
        401: {"model": ErrorMessage},
        404: {"model": ErrorMessage},
        409: {"model": ErrorMessage},
        429: {"model": ErrorMessage},
    },
    operation_id="cancel_job",
)
def cancel_job(
    rt: RuntimeDep, writer: WriterDep, guard: WriteGuardDep, job_id: str
) -> JobStatusPublic:
    """Cancel a job. Its queued or running processors become REVOKED, except those
    another (not cancelled) job is also waiting for; finished ones are kept.

    A complete job cannot be cancelled (409; its outcome stands). With API keys, only
    the key that submitted the job (or an admin key) may cancel it; another key gets 404.
    """
    return job_public(service.cancel(rt, job_id=job_id, client=guard.owner(writer)))
