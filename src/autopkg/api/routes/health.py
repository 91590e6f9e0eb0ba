"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from autopkg.api.deps import RuntimeDep
from autopkg.api.routing import StrictJSONRoute
from autopkg.api.schemas import ErrorMessage, Status

router = APIRouter(tags=["health"], route_class=StrictJSONRoute)


@router.get("/liveness", response_model=Status, operation_id="get_liveness")
def get_liveness() -> Status:
    """Answer while the process is up."""
    return Status(status="alive")


@router.get(
    "/readiness",
    response_model=Status,
    responses={503: {"model": ErrorMessage}},
    operation_id="get_readiness",
)
def get_readiness(rt: RuntimeDep) -> Status | JSONResponse:
    """Answer 200 when the database responds, 503 otherwise."""
    if not rt.database.ping():
        return JSONResponse({"detail": "database is not answering"}, status_code=503)
    return Status(status="ready")
