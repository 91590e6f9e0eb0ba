"""OGC API - Processes 1.0 view of the same processors and jobs (an adapter, no new engine).

Each processor version is a process; executing it is a job for one processor. Job
ids are shared with ``/v1/jobs``. Mounted under ``/ogc`` because ``/v1/jobs/{id}``
keeps the ancestor's shape.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from autopkg.api.deps import (
    ExecutorDep,
    JobOwnerDep,
    PackagesHostDep,
    RuntimeDep,
    WriteGuardDep,
    WriterDep,
)
from autopkg.api.responses import model_response
from autopkg.api.routing import StrictJSONRoute
from autopkg.api.schemas import ErrorMessage
from autopkg.boundaries.geojson import parse_area
from autopkg.db.jobs import MAX_PAGE, JobCondition, JobOutcome
from autopkg.domain.states import RunState
from autopkg.errors import NotFoundError, UnprocessableError
from autopkg.jobs import service
from autopkg.processors.base import Metadata

router = APIRouter(prefix="/ogc", tags=["OGC API - Processes"], route_class=StrictJSONRoute)

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/job-list",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/dismiss",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/oas30",
]
OgcStatus = Literal["accepted", "running", "successful", "failed", "dismissed"]


class ExecuteRequest(BaseModel):
    """An execute request: the boundary as ``boundary_name`` or a GeoJSON ``boundary``."""

    model_config = ConfigDict(extra="allow")

    inputs: dict[str, Any] = Field(examples=[{"boundary_name": "gha"}])


class StatusInfo(BaseModel):
    """OGC ``statusInfo``."""

    # Field names are the standard's (camelCase).
    jobID: str
    processID: str
    type: Literal["process"] = "process"
    status: OgcStatus
    message: str
    progress: int
    links: list[dict[str, str]]


def _link(href: str, rel: str, title: str, kind: str = "application/json") -> dict[str, str]:
    return {"href": href, "rel": rel, "type": kind, "title": title}


def _process_summary(request: Request, metadata: Metadata) -> dict[str, Any]:
    href = str(request.url_for("ogc_get_process", process_id=metadata.id))
    return {
        "id": metadata.id,
        "title": metadata.data_title_long,
        "description": metadata.description,
        "version": metadata.version,
        "jobControlOptions": ["async-execute", "dismiss"],
        "outputTransmission": ["reference"],
        "links": [_link(href, "self", "process description")],
    }


def _ogc_status(status: service.JobStatus) -> OgcStatus:
    if status.cancelled or any(run.state is RunState.REVOKED for run in status.runs):
        return "dismissed"
    if status.outcome is None:
        executing = any(run.state is RunState.EXECUTING for run in status.runs)
        return "running" if executing else "accepted"
    # OGC has no partial success: a job where any processor failed has failed.
    outcomes: dict[JobOutcome, OgcStatus] = {
        JobOutcome.SUCCESS: "successful",
        JobOutcome.PARTIAL: "failed",
        JobOutcome.FAILURE: "failed",
        JobOutcome.CANCELLED: "dismissed",
    }
    return outcomes[status.outcome]


def _message(status: service.JobStatus) -> str:
    failed = [run for run in status.runs if run.state is RunState.FAILURE]
    if status.outcome is JobOutcome.PARTIAL:
        return f"{len(failed)} of {len(status.runs)} processors failed: {failed[0].task}"
    return status.runs[0].task if status.runs else ""


def _status(request: Request, status: service.JobStatus) -> StatusInfo:
    ogc = _ogc_status(status)
    href = str(request.url_for("ogc_get_job", job_id=status.job_id))
    links = [_link(href, "self", "job status")]
    if ogc == "successful":
        results = str(request.url_for("ogc_get_job_results", job_id=status.job_id))
        links.append(_link(results, "http://www.opengis.net/def/rel/ogc/1.0/results", "results"))
    return StatusInfo(
        jobID=status.job_id,
        processID=status.runs[0].processor_id if status.runs else "",
        status=ogc,
        message=_message(status),
        progress=int(status.percent),
        links=links,
    )


# What each OGC status means in terms of the job service's conditions.
_OGC_CONDITIONS: dict[str, tuple[JobCondition, ...]] = {
    "accepted": (JobCondition(complete=False, cancelled=False, executing=False),),
    "running": (JobCondition(complete=False, cancelled=False, executing=True),),
    "successful": (JobCondition(outcome=JobOutcome.SUCCESS),),
    "failed": (
        JobCondition(outcome=JobOutcome.PARTIAL),
        JobCondition(outcome=JobOutcome.FAILURE),
    ),
    "dismissed": (JobCondition(cancelled=True),),
}


@router.get("/", operation_id="ogc_landing_page", name="ogc_landing_page")
def landing_page(request: Request) -> dict[str, Any]:
    """Landing page of the OGC API - Processes view."""
    return {
        "title": "autopkg - OGC API Processes",
        "links": [
            _link(str(request.url_for("ogc_conformance")), "conformance", "conformance"),
            _link(str(request.url_for("ogc_list_processes")), "processes", "processes"),
            _link(str(request.base_url) + "openapi.json", "service-desc", "OpenAPI"),
        ],
    }


@router.get("/conformance", operation_id="ogc_conformance", name="ogc_conformance")
def conformance() -> dict[str, list[str]]:
    """Conformance classes implemented."""
    return {"conformsTo": CONFORMANCE}


@router.get("/processes", operation_id="ogc_list_processes", name="ogc_list_processes")
def list_processes(rt: RuntimeDep, request: Request) -> dict[str, Any]:
    """Every processor version, as a process."""
    processes = [
        _process_summary(request, metadata)
        for versions in rt.registry.by_name().values()
        for metadata in versions
    ]
    return {"processes": processes, "links": []}


@router.get(
    "/processes/{process_id}",
    responses={404: {"model": ErrorMessage}},
    operation_id="ogc_get_process",
    name="ogc_get_process",
)
def get_process(rt: RuntimeDep, request: Request, process_id: str) -> dict[str, Any]:
    """Description of one process: its inputs (a boundary) and output (a package)."""
    metadata = _metadata(rt, process_id)
    return {
        **_process_summary(request, metadata),
        "inputs": {
            "boundary_name": {
                "title": "Boundary name (e.g. gha); give this or boundary",
                "schema": {"type": "string"},
                "minOccurs": 0,
            },
            "boundary": {
                "title": "Custom area as GeoJSON (Polygon, MultiPolygon, Feature(Collection))",
                "schema": {"type": "object", "contentMediaType": "application/geo+json"},
                "minOccurs": 0,
            },
            "buffer_m": {
                "title": "Grow the boundary by this many metres, measured on the ellipsoid",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": rt.settings.max_buffer_m,
                },
                "minOccurs": 0,
            },
        },
        "outputs": {
            "package": {
                "title": "The published data package (datapackage.json)",
                "schema": {"type": "string", "format": "uri"},
            }
        },
    }


def _metadata(rt: RuntimeDep, process_id: str) -> Metadata:
    process_id = process_id.lower()
    if process_id not in rt.registry:
        raise NotFoundError(f"unknown process: {process_id[:80]!r}")
    return rt.registry.get(process_id).metadata


@router.post(
    "/processes/{process_id}/execution",
    status_code=201,
    response_model=StatusInfo,
    responses={
        400: {"model": ErrorMessage},
        401: {"model": ErrorMessage},
        404: {"model": ErrorMessage},
        422: {"model": ErrorMessage},
        429: {"model": ErrorMessage},
    },
    operation_id="ogc_execute",
    name="ogc_execute",
)
def execute(
    rt: RuntimeDep,
    executor: ExecutorDep,
    writer: WriterDep,
    request: Request,
    response: Response,
    process_id: str,
    body: Annotated[ExecuteRequest, Body()],
) -> StatusInfo:
    """Start a job for the process (always asynchronous); ``Location`` is the job."""
    metadata = _metadata(rt, process_id)
    area = body.inputs.get("boundary")
    name = body.inputs.get("boundary_name")
    submission = service.submit(
        rt,
        executor,
        boundary_name=str(name) if name is not None else None,
        area=parse_area(area) if area is not None else None,
        processor_ids=[metadata.id],
        buffer_m=_buffer_m(body.inputs.get("buffer_m")),
        client=writer,
    )
    response.headers["Location"] = str(request.url_for("ogc_get_job", job_id=submission.job_id))
    return _status(request, service.status(rt, job_id=submission.job_id))


def _buffer_m(value: Any) -> int | None:
    # JSON true is an int to Python; a buffer is a whole number of metres, not a flag.
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UnprocessableError(
            f"inputs.buffer_m: must be a whole number of metres from 1, not {str(value)[:40]!r}"
        )
    return value


class JobListInfo(BaseModel):
    """OGC job list: one page of jobs, newest first, with ``next``/``prev`` links."""

    jobs: list[StatusInfo]
    numberMatched: int
    links: list[dict[str, str]]


@router.get(
    "/jobs",
    response_model=JobListInfo,
    responses={
        401: {"model": ErrorMessage},
        422: {"model": ErrorMessage},
        429: {"model": ErrorMessage},
    },
    operation_id="ogc_list_jobs",
    name="ogc_list_jobs",
)
def list_jobs(
    rt: RuntimeDep,
    request: Request,
    owner: JobOwnerDep,
    status: Annotated[
        list[OgcStatus] | None,
        Query(
            max_length=len(_OGC_CONDITIONS),
            description="Statuses to keep (repeat for several; each at most once counts, "
            "more than five values is 422).",
        ),
    ] = None,
    processID: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> JobListInfo:
    """Jobs newest first, optionally only some statuses or one process, ``limit`` per page.

    With API keys, a key's own jobs (an admin key's: all); without a valid key, 401.
    """
    # Each status once: a repeated one would only repeat the same clauses.
    conditions = [c for name in dict.fromkeys(status or []) for c in _OGC_CONDITIONS[name]]
    page = service.list_jobs(
        rt, any_of=conditions, processor_id=processID, client=owner, limit=limit, offset=offset
    )
    links = [_link(str(request.url), "self", "this page")]
    if offset + limit < page.total:
        following = request.url.include_query_params(offset=offset + limit)
        links.append(_link(str(following), "next", "next page"))
    if offset > 0:
        previous = request.url.include_query_params(offset=max(0, offset - limit))
        links.append(_link(str(previous), "prev", "previous page"))
    return JobListInfo(
        jobs=[_status(request, job) for job in page.jobs], numberMatched=page.total, links=links
    )


@router.get(
    "/jobs/{job_id}",
    response_model=StatusInfo,
    responses={404: {"model": ErrorMessage}},
    operation_id="ogc_get_job",
    name="ogc_get_job",
)
async def get_job(rt: RuntimeDep, request: Request, job_id: str) -> Response:
    """Status of a job."""
    status = await run_in_threadpool(service.status, rt, job_id=job_id)
    return model_response(_status(request, status))


@router.delete(
    "/jobs/{job_id}",
    response_model=StatusInfo,
    responses={
        401: {"model": ErrorMessage},
        404: {"model": ErrorMessage},
        409: {"model": ErrorMessage},
        429: {"model": ErrorMessage},
    },
    operation_id="ogc_dismiss_job",
    name="ogc_dismiss_job",
)
def dismiss_job(
    rt: RuntimeDep, request: Request, writer: WriterDep, guard: WriteGuardDep, job_id: str
) -> StatusInfo:
    """Dismiss (cancel) a job that is not yet complete (409 once it is; its outcome
    stands). With API keys, only its own key or an admin key may (404 for another)."""
    return _status(request, service.cancel(rt, job_id=job_id, client=guard.owner(writer)))


@router.get(
    "/jobs/{job_id}/results",
    responses={404: {"model": ErrorMessage}},
    operation_id="ogc_get_job_results",
    name="ogc_get_job_results",
)
def get_job_results(
    rt: RuntimeDep, request: Request, host: PackagesHostDep, job_id: str
) -> dict[str, Any]:
    """Results of a successful job: a reference to the package's datapackage.json."""
    job = service.status(rt, job_id=job_id)
    state = _status(request, job).status
    if state != "successful":
        raise NotFoundError(f"job {job_id[:80]} has no results (status: {state})")
    href = rt.package_url(job.boundary_name, host) + "datapackage.json"
    return {"package": {"href": href, "type": "application/json"}}
