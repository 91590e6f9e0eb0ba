"""Application factory: wiring only (routers, handlers, middleware, package files)."""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.routing import Mount

import autopkg
from autopkg.api.access import WriteGuard
from autopkg.api.cache import ReadCache
from autopkg.api.callback_documents import callback_documents
from autopkg.api.errors import install_error_handlers
from autopkg.api.hosts import PublicOrigin
from autopkg.api.hygiene import RefuseControlCharacters, state_in_schema
from autopkg.api.limits import BodySizeLimit
from autopkg.api.metrics import HttpLatency, ServiceMetrics
from autopkg.api.package_files import PackageFiles
from autopkg.api.routes import (
    boundaries,
    health,
    jobs,
    limits,
    metrics,
    ogc,
    packages,
    processors,
    summaries,
    web,
)
from autopkg.api.schemas import ErrorMessage
from autopkg.api.storage_calls import StorageCalls
from autopkg.jobs.callbacks import CallbackSender
from autopkg.jobs.executors import Executor
from autopkg.runtime import Runtime
from autopkg.services.boundaries import boundaries_version
from autopkg.services.packages import packages_version
from autopkg.storage.localfs import LocalFSStorage
from autopkg.web import STATIC_DIR

DESCRIPTION = """
Cut global geospatial datasets down to a boundary and publish the result as a
Frictionless data package. Submit a job (`POST /v1/jobs`), poll it, then read the
package (`GET /v1/packages/{boundary_name}`). Errors are `{"detail": "..."}`.
"""


def create_app(
    rt: Runtime, executor: Executor, *, clock: Callable[[], float] = time.monotonic
) -> FastAPI:
    """Build the API around a runtime and the executor that runs submitted work.

    The executor, and the callback sender when callbacks are on
    (``AUTOPKG_CALLBACK_SECRET``), are started and stopped with the application's lifespan.
    ``clock`` measures how long the read cache keeps bodies (tests move one by hand).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        executor.start()
        if callbacks is not None:
            callbacks.start()
        # A full garbage collection scans every tracked object, and after start-up that
        # is ~200,000 objects of imported libraries: ~110 ms with the GIL held, which
        # every request in flight waited for (the p99 of the job status route at 200
        # requests/s was 140 ms with a p50 of 5 ms). Objects alive now are frozen out of
        # collection (still freed by reference counting); the OpenAPI document, which
        # the latency middleware reads, is built first so it is frozen too.
        app.openapi()
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            # Collectable again, for a process (a test run) that builds other apps.
            gc.unfreeze()
            if callbacks is not None:
                callbacks.stop()
            executor.stop()
            storage_calls.close()

    app = FastAPI(
        title="autopkg",
        version=autopkg.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # /docs and /redoc are served by the web router with local assets.
        docs_url=None,
        redoc_url=None,
    )
    storage_calls = StorageCalls(
        threads=rt.settings.storage_threads, timeout=rt.settings.storage_wait_secs
    )
    app.state.runtime = rt
    app.state.executor = executor
    app.state.storage_calls = storage_calls
    app.state.write_guard = WriteGuard(rt.settings)
    app.state.metrics = ServiceMetrics(rt, storage_calls)
    app.state.read_cache = ReadCache(
        lambda include_custom: boundaries_version(rt, include_custom=include_custom),
        lambda: packages_version(rt),
        storage_calls.run,
        clock=clock,
    )
    callbacks = CallbackSender(rt, callback_documents(app)) if rt.settings.callback_secret else None
    install_error_handlers(app)
    # Every 422 is {"detail": "..."} (api/errors.py), not FastAPI's list of errors:
    # the schema says so, instead of the HTTPValidationError it would document.
    invalid: dict[int | str, dict[str, Any]] = {
        422: {"model": ErrorMessage, "description": "Invalid or over a limit"}
    }
    v1 = APIRouter(prefix="/v1", responses=invalid)
    for module in (health, boundaries, processors, packages, summaries, jobs, limits):
        v1.include_router(module.router)
    app.include_router(v1)
    app.include_router(ogc.router)
    app.include_router(web.router)
    app.include_router(metrics.router)
    # Built now (and kept by FastAPI) so that the middleware's rule is written into it.
    state_in_schema(app.openapi())
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    if isinstance(rt.storage, LocalFSStorage) and rt.settings.serve_packages:
        app.mount("/packages", PackageFiles(rt.storage), name="packages")
    app.add_middleware(BodySizeLimit, max_bytes=rt.settings.max_body_bytes)
    app.add_middleware(RefuseControlCharacters)
    app.add_middleware(
        PublicOrigin,
        public_url=rt.settings.public_url,
        allowed_hosts=rt.settings.allowed_hosts,
    )
    # Outermost, so refused requests are timed too.
    mounts = [route.path for route in app.routes if isinstance(route, Mount)]
    app.add_middleware(
        HttpLatency,
        metrics=app.state.metrics,
        mounts=mounts,
        templates=lambda: app.openapi()["paths"],
    )
    return app
