"""OGC API - Processes 1.0 view of the same processors and jobs (an adapter, no new engine).

Each processor version is a process; executing it is a job for one processor. Job
ids are shared with ``/v1/jobs``. Mounted under ``/ogc`` because ``/v1/jobs/{id}``
keeps the ancestor's shape.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from autopkg.api.deps import ExecutorDep, PackagesHostDep, RuntimeDep, WriteAccess
from autopkg.api.routing import StrictJSONRoute
from autopkg.api.schemas import ErrorMessage
from autopkg.boundaries.geojson import parse_area
from autopkg.db.models import RunState
from autopkg.errors import NotFoundError
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


def _status(request: Request, status: service.JobStatus) -> StatusInfo:
    states = [run.state for run in status.runs]
    if status.cancelled or RunState.REVOKED in states:
        ogc: OgcStatus = "dismissed"
    elif not status.complete:
        ogc = "running" if RunState.EXECUTING in states else "accepted"
    elif RunState.FAILURE in states:
        ogc = "failed"
    else:
        ogc = "successful"
    href = str(request.url_for("ogc_get_job", job_id=status.job_id))
    links = [_link(href, "self", "job status")]
    if ogc == "successful":
        results = str(request.url_for("ogc_get_job_results", job_id=status.job_id))
        links.append(_link(results, "http://www.opengis.net/def/rel/ogc/1.0/results", "results"))
    task = status.runs[0].task if status.runs else ""
    return StatusInfo(
        jobID=status.job_id,
        processID=status.runs[0].processor_id if status.runs else "",
        status=ogc,
        message=task,
        progress=int(status.percent),
        links=links,
    )


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
        },
        "outputs": {
            "package": {
                "title": "The published data package (datapackage.json)",
                "schema": {"type": "string", "format": "uri"},
            }
        },
    }


def _metadata(rt: RuntimeDep, process_id: str) -> Metadata:
    if process_id not in rt.registry:
        raise NotFoundError(f"unknown process: {process_id[:80]!r}")
    return rt.registry.get(process_id).metadata


@router.post(
    "/processes/{process_id}/execution",
    status_code=201,
    response_model=StatusInfo,
    responses={
        400: {"model": ErrorMessage},
        404: {"model": ErrorMessage},
        422: {"model": ErrorMessage},
    },
    dependencies=[WriteAccess],
    operation_id="ogc_execute",
    name="ogc_execute",
)
def execute(
    rt: RuntimeDep,
    executor: ExecutorDep,
    request: Request,
    response: Response,
    process_id: str,
    body: Annotated[ExecuteRequest, Body()],
) -> StatusInfo:
    """Start a job for the process (always asynchronous); ``Location`` is the job."""
    _metadata(rt, process_id)
    area = body.inputs.get("boundary")
    name = body.inputs.get("boundary_name")
    submission = service.submit(
        rt,
        executor,
        boundary_name=str(name) if name is not None else None,
        area=parse_area(area) if area is not None else None,
        processor_ids=[process_id],
    )
    response.headers["Location"] = str(request.url_for("ogc_get_job", job_id=submission.job_id))
    return _status(request, service.status(rt, job_id=submission.job_id))


@router.get(
    "/jobs/{job_id}",
    response_model=StatusInfo,
    responses={404: {"model": ErrorMessage}},
    operation_id="ogc_get_job",
    name="ogc_get_job",
)
def get_job(rt: RuntimeDep, request: Request, job_id: str) -> StatusInfo:
    """Status of a job."""
    return _status(request, service.status(rt, job_id=job_id))


@router.delete(
    "/jobs/{job_id}",
    response_model=StatusInfo,
    responses={404: {"model": ErrorMessage}},
    dependencies=[WriteAccess],
    operation_id="ogc_dismiss_job",
    name="ogc_dismiss_job",
)
def dismiss_job(rt: RuntimeDep, request: Request, job_id: str) -> StatusInfo:
    """Dismiss (cancel) a job."""
    return _status(request, service.cancel(rt, job_id=job_id))


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
