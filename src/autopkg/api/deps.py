"""Named FastAPI dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from autopkg.api.access import WriteGuard
from autopkg.api.cache import ReadCache
from autopkg.api.storage_calls import StorageCalls
from autopkg.jobs.executors import Executor
from autopkg.runtime import Runtime

# The dependencies that only read the request or the app are ``async``: FastAPI runs a
# plain ``def`` dependency in its thread pool, a hop that costs more than the work.


async def get_runtime(request: Request) -> Runtime:
    """The process runtime stored on the app at start-up."""
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_executor(request: Request) -> Executor:
    """The executor that runs submitted work."""
    executor: Executor = request.app.state.executor
    return executor


async def get_read_cache(request: Request) -> ReadCache:
    """The rendered bodies of this process's read routes."""
    cache: ReadCache = request.app.state.read_cache
    return cache


async def get_storage_calls(request: Request) -> StorageCalls:
    """The pool this process reads package storage on."""
    calls: StorageCalls = request.app.state.storage_calls
    return calls


async def if_none_match(
    if_none_match: Annotated[
        str | None,
        Header(
            max_length=1000,
            description="ETags of bodies you hold; a match is answered 304 without a body.",
        ),
    ] = None,
) -> str | None:
    """The ``If-None-Match`` header of a conditional GET."""
    return if_none_match


def _offered_key(authorization: str | None, x_api_key: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return x_api_key


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


def require_write_access(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> str:
    """Allow a write only with a configured key (when any is configured), within its rates.

    Returns who writes: the key's name, or the client address when no keys are set.
    """
    guard: WriteGuard = request.app.state.write_guard
    return guard.admit(client=_client(request), offered_key=_offered_key(authorization, x_api_key))


async def job_owner(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> str | None:
    """Whose jobs a listing shows: the key's own when keys are set; ``None``, all of them
    (no keys are set, or an admin key was offered)."""
    guard: WriteGuard = request.app.state.write_guard
    return guard.reader(client=_client(request), offered_key=_offered_key(authorization, x_api_key))


async def write_guard(request: Request) -> WriteGuard:
    """Who may write, and which jobs a writer may touch."""
    guard: WriteGuard = request.app.state.write_guard
    return guard


async def packages_host(request: Request, rt: Annotated[Runtime, Depends(get_runtime)]) -> str:
    """Public root URL of packages: configured, or this API's ``/packages``."""
    return rt.settings.packages_host_url or str(request.base_url).rstrip("/") + "/packages"


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ExecutorDep = Annotated[Executor, Depends(get_executor)]
ReadCacheDep = Annotated[ReadCache, Depends(get_read_cache)]
StorageCallsDep = Annotated[StorageCalls, Depends(get_storage_calls)]
IfNoneMatchDep = Annotated[str | None, Depends(if_none_match)]
PackagesHostDep = Annotated[str, Depends(packages_host)]
WriteAccess = Depends(require_write_access)
WriterDep = Annotated[str, WriteAccess]
JobOwnerDep = Annotated[str | None, Depends(job_owner)]
WriteGuardDep = Annotated[WriteGuard, Depends(write_guard)]
