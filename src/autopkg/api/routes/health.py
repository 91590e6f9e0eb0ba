"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from autopkg.api.deps import ExecutorDep, RuntimeDep, StorageCallsDep
from autopkg.api.routing import StrictJSONRoute
from autopkg.api.schemas import ErrorMessage, Status
from autopkg.errors import StorageError

router = APIRouter(tags=["health"], route_class=StrictJSONRoute)

STORAGE_PROBE = "readiness-probe"
# Readiness is asked often and by machines: it says "not ready" rather than wait long.
STORAGE_PROBE_SECS = 3.0


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
async def get_readiness(
    rt: RuntimeDep, executor: ExecutorDep, storage_calls: StorageCallsDep
) -> Status | JSONResponse:
    """Answer 200 when the database, the package storage (and the broker, if one is
    configured) respond.

    Otherwise 503 with the reason, e.g. ``{"detail": "broker is not answering (…)"}``.
    """
    problem = None if await run_in_threadpool(rt.database.ping) else "database is not answering"
    problem = problem or await run_in_threadpool(executor.problem)
    if problem is None:
        try:
            # Any answer will do: a key that is never stored costs one small request.
            await storage_calls.run(
                lambda: rt.storage.size(STORAGE_PROBE), timeout=STORAGE_PROBE_SECS
            )
        except StorageError as exc:
            problem = f"package storage is not answering ({exc.message})"
    if problem is not None:
        return JSONResponse({"detail": problem}, status_code=503)
    return Status(status="ready")
