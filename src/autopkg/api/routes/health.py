"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from autopkg.api.deps import ExecutorDep, RuntimeDep
from autopkg.api.routing import StrictJSONRoute
from autopkg.api.schemas import ErrorMessage, Status

router = APIRouter(tags=["health"], route_class=StrictJSONRoute)


# ``async``: answered on the event loop, even while every thread of the pool is busy.
@router.get("/liveness", response_model=Status, operation_id="get_liveness")
async def get_liveness() -> Status:
    """Answer while the process is up."""
    return Status(status="alive")


@router.get(
    "/readiness",
    response_model=Status,
    responses={503: {"model": ErrorMessage}},
    operation_id="get_readiness",
)
def get_readiness(rt: RuntimeDep, executor: ExecutorDep) -> Status | JSONResponse:
    """Answer 200 when the database (and the broker, if one is configured) respond.

    Otherwise 503 with the reason, e.g. ``{"detail": "broker is not answering (…)"}``.
    """
    problem = None if rt.database.ping() else "database is not answering"
    problem = problem or executor.problem()
    if problem is not None:
        return JSONResponse({"detail": problem}, status_code=503)
    return Status(status="ready")
