"""OGC API - Processes 1.0 view of the same processors and jobs (an adapter, no new engine).

Each processor version is a process; executing it is a job for one processor. Job
ids are shared with ``/v1/jobs``. Mounted under ``/ogc`` because ``/v1/jobs/{id}``
keeps the ancestor's shape.

A process's inputs are what ``POST /v1/jobs`` takes for one processor: the boundary
(``boundary_name``, or ``boundary`` and ``area_name``), ``buffer_m``, and each of the
processor's options (its ``options_schema``) as an input of its own. An execution is
validated as that job would be; an input the process does not take is refused, so a
mistyped option never starts the full run. Errors are OGC exception documents
(:mod:`autopkg.api.problems`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from autopkg.api.deps import (
    ExecutorDep,
    JobOwnerDep,
    PackagesHostDep,
    RuntimeDep,
    WriteGuardDep,
    WriterDep,
)
from autopkg.api.errors import as_written
from autopkg.api.problems import (
    INVALID_PARAMETER,
    NO_SUCH_JOB,
    NO_SUCH_PROCESS,
    RESULT_NOT_READY,
    OgcProblem,
    documented,
)
from autopkg.api.responses import model_response
from autopkg.api.routes.jobs import summary_request
from autopkg.api.routing import StrictJSONRoute
from autopkg.api.schemas import AREA_NAME_MAX_LENGTH, JobCreate, SummaryOptions
from autopkg.db.deliveries import Role, Target
from autopkg.db.jobs import FAILED_KEY, MAX_PAGE, JobCondition, JobOutcome
from autopkg.domain.metadata import Metadata
from autopkg.domain.states import RunState
from autopkg.errors import NotFoundError
from autopkg.jobs import service
from autopkg.runtime import Runtime

router = APIRouter(prefix="/ogc", tags=["OGC API - Processes"], route_class=StrictJSONRoute)

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/job-list",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/dismiss",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/oas30",
]
CALLBACK_CONFORMANCE = "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/callback"
OgcStatus = Literal["accepted", "running", "successful", "failed", "dismissed"]


class Subscriber(BaseModel):
    """URIs the service POSTs the job's status info to (the ``callback`` class)."""

    model_config = ConfigDict(extra="forbid")

    successUri: str = Field(
        max_length=2000, description="Told once the job has succeeded (required)."
    )
    inProgressUri: str | None = Field(
        None, max_length=2000, description="Told once a processor starts running."
    )
    failedUri: str | None = Field(
        None, max_length=2000, description="Told once the job has failed or been dismissed."
    )

    def targets(self) -> list[Target]:
        """The URIs given, each in its role."""
        given = [
            (Role.SUCCESS, self.successUri),
            (Role.IN_PROGRESS, self.inProgressUri),
            (Role.FAILED, self.failedUri),
        ]
        return [Target(role, url) for role, url in given if url is not None]


class ExecuteRequest(BaseModel):
    """An execute request: the process's inputs by name (``outputs``, ``response`` ignored)."""

    model_config = ConfigDict(extra="allow")

    inputs: dict[str, Any] = Field(
        examples=[{"boundary_name": "gmb", "hazards": ["coastal"], "buffer_m": 5000}]
    )
    subscriber: Subscriber | None = Field(
        None,
        description="Callback URIs, each POSTed the job's status info, signed in "
        "X-Autopkg-Signature; only when /ogc/conformance lists the callback class.",
    )


class StatusInfo(BaseModel):
    """OGC ``statusInfo``."""

    # Field names are the standard's (camelCase).
    jobID: str
    processID: str
    type: Literal["process"] = "process"
    status: OgcStatus
    message: str = Field(
        description="What the job is doing; once failed, each failed processor and why."
    )
    progress: int
    links: list[dict[str, str]]


def _link(href: str, rel: str, title: str, kind: str = "application/json") -> dict[str, str]:
    return {"href": href, "rel": rel, "type": kind, "title": title}


def _process_summary(request: Request, metadata: Metadata) -> dict[str, Any]:
    href = str(request.url_for("ogc_get_process", process_id=metadata.id))
    execute = str(request.url_for("ogc_execute", process_id=metadata.id))
    return {
        "id": metadata.id,
        "title": metadata.data_title_long,
        "description": metadata.description,
        "version": metadata.version,
        "jobControlOptions": ["async-execute", "dismiss"],
        "outputTransmission": ["reference"],
        "links": [
            _link(href, "self", "process description"),
            _link(execute, "http://www.opengis.net/def/rel/ogc/1.0/execute", "execute"),
        ],
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


def _failures(status: service.JobStatus) -> str:
    """Each processor that failed or is missing files, and why, in the job status's words.

    A failed run's reason is its whole ``job_result.detail`` (``/v1`` shows its first
    line as the task); a run that succeeded without some files says which and why.
    """
    reasons = {}
    for run in status.runs:
        result = run.result or {}
        if run.state is RunState.FAILURE:
            reasons[run.processor_id] = str(result.get("detail", run.task))
        elif result.get(FAILED_KEY):
            reasons[run.processor_id] = f"missing files: {result.get('message', '')}"
    if len(status.runs) == 1:
        return "; ".join(f"{pid} failed: {reason}" for pid, reason in reasons.items())
    listed = "; ".join(f"{pid}: {reason}" for pid, reason in reasons.items())
    return f"{len(reasons)} of {len(status.runs)} processors failed: {listed}"


def _message(status: service.JobStatus, ogc: OgcStatus) -> str:
    if ogc == "failed":
        return _failures(status)
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
        message=_message(status, ogc),
        progress=int(status.percent),
        links=links,
    )


def _job_status(rt: Runtime, request: Request, job_id: str) -> service.JobStatus:
    """The job's status; an unknown job is OGC's no-such-job."""
    try:
        return service.status(rt, job_id=job_id)
    except NotFoundError as exc:
        instance = str(request.url_for("ogc_get_job", job_id=job_id))
        raise OgcProblem(404, NO_SUCH_JOB, exc.message, instance=instance) from None


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
_NO_SUCH_PROCESS = {404: "No such process (an OGC exception document)"}
_NO_SUCH_JOB = {404: "No such job (an OGC exception document)"}
_INVALID = {400: "An invalid parameter or input (an OGC exception document)"}


@router.get("/", responses=documented({}), operation_id="ogc_landing_page", name="ogc_landing_page")
def landing_page(request: Request) -> dict[str, Any]:
    """Landing page of the OGC API - Processes view."""
    openapi = "application/vnd.oai.openapi+json;version=3.0"
    return {
        "title": "autopkg - OGC API Processes",
        "links": [
            _link(str(request.url_for("ogc_conformance")), "conformance", "conformance"),
            _link(str(request.url_for("ogc_list_processes")), "processes", "processes"),
            _link(str(request.base_url) + "openapi.json", "service-desc", "OpenAPI", openapi),
        ],
    }


@router.get(
    "/conformance", responses=documented({}), operation_id="ogc_conformance", name="ogc_conformance"
)
def conformance(rt: RuntimeDep) -> dict[str, list[str]]:
    """Conformance classes implemented; ``callback`` when callbacks can be signed."""
    callback = [CALLBACK_CONFORMANCE] if rt.settings.callback_secret is not None else []
    return {"conformsTo": CONFORMANCE + callback}


@router.get(
    "/processes",
    responses=documented({}),
    operation_id="ogc_list_processes",
    name="ogc_list_processes",
)
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
    responses=documented(_NO_SUCH_PROCESS),
    operation_id="ogc_get_process",
    name="ogc_get_process",
)
def get_process(rt: RuntimeDep, request: Request, process_id: str) -> dict[str, Any]:
    """Description of one process: its inputs (a boundary, a buffer and the processor's
    options) and its output (a package)."""
    metadata = _metadata(rt, request, process_id)
    return {
        **_process_summary(request, metadata),
        "inputs": _inputs(rt, metadata),
        "outputs": {
            "package": {
                "title": "The published data package (datapackage.json)",
                "schema": {"type": "string", "format": "uri"},
            }
        },
    }


def _metadata(rt: Runtime, request: Request, process_id: str) -> Metadata:
    process_id = process_id.lower()
    if process_id not in rt.registry:
        instance = str(request.url_for("ogc_get_process", process_id=process_id))
        raise OgcProblem(
            404, NO_SUCH_PROCESS, f"unknown process: {process_id[:80]!r}", instance=instance
        )
    return rt.registry.get(process_id).metadata


def _boundary_inputs(rt: Runtime) -> dict[str, dict[str, Any]]:
    """The inputs of every process: which area, how much to grow it, its summary."""
    return {
        "boundary_name": {
            "title": "Boundary name (e.g. gha); give this or boundary",
            "schema": {"type": "string", "maxLength": 200},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
        "boundary": {
            "title": "Custom area as GeoJSON (Polygon, MultiPolygon, Feature(Collection))",
            "schema": {"type": "object", "contentMediaType": "application/geo+json"},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
        "area_name": {
            "title": "A name for the custom area (only with boundary)",
            "schema": {"type": "string", "minLength": 1, "maxLength": AREA_NAME_MAX_LENGTH},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
        "buffer_m": {
            "title": "Grow the boundary by this many metres, measured on the ellipsoid",
            "schema": {"type": "integer", "minimum": 1, "maximum": rt.settings.max_buffer_m},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
        "summary": {
            "title": "The package summary's thresholds per hazard processor, or false "
            "for no summary (as the summary of POST /v1/jobs)",
            "schema": {
                "oneOf": [
                    SummaryOptions.model_json_schema(),
                    {"type": "boolean", "enum": [False]},
                ]
            },
            "minOccurs": 0,
            "maxOccurs": 1,
        },
    }


def _inputs(rt: Runtime, metadata: Metadata) -> dict[str, dict[str, Any]]:
    """Every input of the process: the boundary's, then each option of the processor.

    An option is one input whose schema is the option's in ``options_schema`` (a list
    of choices is one array-valued input, its default every choice).
    """
    inputs = _boundary_inputs(rt)
    options = rt.registry.get(metadata.id).options_model.model_json_schema()
    for name, schema in options.get("properties", {}).items():
        option = dict(schema)
        inputs[name] = {
            "title": option.pop("title", name),
            "description": option.pop("description", ""),
            "schema": option,
            "minOccurs": 0,
            "maxOccurs": 1,
        }
    return inputs


@router.post(
    "/processes/{process_id}/execution",
    status_code=201,
    response_model=StatusInfo,
    responses=documented({**_INVALID, **_NO_SUCH_PROCESS}),
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
    """Start a job for the process (always asynchronous); ``Location`` is the job.

    The inputs are validated as ``POST /v1/jobs`` validates the same job; an input the
    process does not take is 400, naming the inputs it takes, and starts nothing.

    With a ``subscriber``, its URIs are POSTed the job's status info, signed: the
    ``inProgressUri`` when a processor starts running, then the ``successUri`` or the
    ``failedUri`` (failed or dismissed). A URI that resolves to a loopback, private or
    otherwise non-public address is refused, as is a subscriber when the service has no
    callback secret.
    """
    metadata = _metadata(rt, request, process_id)
    job = _job_of(rt, metadata, body.inputs)
    submission = service.submit(
        rt,
        executor,
        boundary_name=job.boundary_name,
        area=job.boundary,
        area_name=job.area_name,
        processor_ids=job.processors,
        options=job.options,
        buffer_m=job.buffer_m,
        client=writer,
        callbacks=body.subscriber.targets() if body.subscriber else (),
        base_url=str(request.base_url),
        summary=summary_request(job.summary),
    )
    response.headers["Location"] = str(request.url_for("ogc_get_job", job_id=submission.job_id))
    return _status(request, service.status(rt, job_id=submission.job_id))


def _job_of(rt: Runtime, metadata: Metadata, inputs: dict[str, Any]) -> JobCreate:
    """The ``POST /v1/jobs`` request the inputs make, validated as that route validates it.

    Raises:
        OgcProblem: an input the process does not take, or a value the job refuses.
    """
    taken = _inputs(rt, metadata)
    unknown = sorted(set(inputs) - set(taken))
    if unknown:
        shown = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise OgcProblem(
            400,
            INVALID_PARAMETER,
            f"unknown input {shown}: process {metadata.id} takes {', '.join(taken)}",
        )
    boundary = _boundary_inputs(rt)
    options = {name: value for name, value in inputs.items() if name not in boundary}
    job = {
        **{name: value for name, value in inputs.items() if name in boundary},
        "processors": [metadata.id],
        "options": {metadata.id: options} if options else None,
    }
    try:
        return JobCreate.model_validate(job)
    except ValidationError as exc:
        errors = as_written(exc.errors(), job)
        problems = "; ".join(_input_problem(error, metadata.id) for error in errors[:3])
        raise OgcProblem(400, INVALID_PARAMETER, problems) from None


def _input_problem(error: Mapping[str, Any], process_id: str) -> str:
    """A validation error of the job, named by the input it is about."""
    where = [str(part) for part in error["loc"]]
    if where[:2] == ["options", process_id]:
        where = where[2:]
    return f"inputs.{'.'.join(where)}: {error['msg']}" if where else error["msg"]


class JobListInfo(BaseModel):
    """OGC job list: one page of jobs, newest first, with ``next``/``prev`` links."""

    jobs: list[StatusInfo]
    numberMatched: int
    links: list[dict[str, str]]


@router.get(
    "/jobs",
    response_model=JobListInfo,
    responses=documented({**_INVALID, 401: "With API keys, without a valid key"}),
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
            "more than five values is 400).",
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
    responses=documented(_NO_SUCH_JOB),
    operation_id="ogc_get_job",
    name="ogc_get_job",
)
async def get_job(rt: RuntimeDep, request: Request, job_id: str) -> Response:
    """Status of a job; once failed, its ``message`` names each failed processor and why."""
    status = await run_in_threadpool(_job_status, rt, request, job_id)
    return model_response(_status(request, status))


@router.delete(
    "/jobs/{job_id}",
    response_model=StatusInfo,
    responses=documented({**_NO_SUCH_JOB, 409: "The job is already complete"}),
    operation_id="ogc_dismiss_job",
    name="ogc_dismiss_job",
)
def dismiss_job(
    rt: RuntimeDep, request: Request, writer: WriterDep, guard: WriteGuardDep, job_id: str
) -> StatusInfo:
    """Dismiss (cancel) a job that is not yet complete (409 once it is; its outcome
    stands). With API keys, only its own key or an admin key may (404 for another)."""
    try:
        cancelled = service.cancel(rt, job_id=job_id, client=guard.owner(writer))
    except NotFoundError as exc:
        instance = str(request.url_for("ogc_get_job", job_id=job_id))
        raise OgcProblem(404, NO_SUCH_JOB, exc.message, instance=instance) from None
    return _status(request, cancelled)


@router.get(
    "/jobs/{job_id}/results",
    responses=documented(
        {
            **_NO_SUCH_JOB,
            500: "The job failed: the detail names each failed processor and why",
        }
    ),
    operation_id="ogc_get_job_results",
    name="ogc_get_job_results",
)
def get_job_results(
    rt: RuntimeDep, request: Request, host: PackagesHostDep, job_id: str
) -> dict[str, Any]:
    """Results of a successful job: a reference to the package's datapackage.json.

    Before then, 404 ``result-not-ready``; a failed job's is an exception document (500)
    naming each failed processor and why; a dismissed job has none (404).
    """
    job = _job_status(rt, request, job_id)
    state = _status(request, job).status
    instance = str(request.url_for("ogc_get_job", job_id=job_id))
    if state == "failed":
        raise OgcProblem(
            500, "about:blank", f"job {job_id} failed: " + _failures(job), instance=instance
        )
    if state == "dismissed":
        raise OgcProblem(
            404, "about:blank", f"job {job_id} was dismissed: it has no results", instance=instance
        )
    if state != "successful":
        raise OgcProblem(
            404,
            RESULT_NOT_READY,
            f"job {job_id} has no results yet (status: {state})",
            instance=instance,
        )
    href = rt.package_url(job.boundary_name, host) + "datapackage.json"
    return {"package": {"href": href, "type": "application/json"}}
