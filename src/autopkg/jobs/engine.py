"""Running one claimed run: processor → staged outputs → published package.

Every executor (the embedded pool, a Celery task, the CLI) ends up here. Runs are
claimed with a lease before they execute, and every state change is owner-checked, so
redelivery or a crashed worker never runs the same work twice at once.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from autopkg.db import boundaries as boundary_repo
from autopkg.db import runs as run_repo
from autopkg.db.models import RunRecord, RunState
from autopkg.errors import AutopkgError, NotFoundError
from autopkg.jobs.locks import boundary_lock
from autopkg.jobs.progress import RunReporter
from autopkg.packaging.manifest import EMPTY_KEY
from autopkg.packaging.publish import publish_processor
from autopkg.processors.context import LocalRunContext
from autopkg.runtime import Runtime

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# The processor's own progress fills 0-95 %; publishing takes the rest.
_PROCESSOR_SHARE = 95.0


def worker_id() -> str:
    """Identify this thread as a lease owner: ``host:pid:thread``."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"


def lease_of(rt: Runtime) -> timedelta:
    """The lease length configured for runs."""
    return timedelta(seconds=rt.settings.run_lease_seconds)


def claim_next(rt: Runtime, *, owner: str, run_id: str | None = None) -> RunRecord | None:
    """Claim a specific run, or the oldest pending one."""
    with rt.database.session() as session:
        return run_repo.claim(session, owner=owner, lease=lease_of(rt), run_id=run_id)


def execute(rt: Runtime, run: RunRecord, *, owner: str) -> RunState:
    """Execute a run this worker has claimed and record its terminal state."""
    log.info("run %s: %s for %s started", run.id[:8], run.processor_id, run.boundary_name)
    scratch = rt.settings.processing_root / "runs" / run.id
    started = time.monotonic()
    state, result, code, message = RunState.FAILURE, None, None, None
    with RunReporter(rt.database, run_id=run.id, owner=owner, lease=lease_of(rt)) as reporter:
        try:
            result = _produce_and_publish(rt, run, reporter, scratch)
            state = RunState.SUCCESS
        except AutopkgError as exc:
            code, message = exc.code, exc.message
        except Exception as exc:
            log.exception("run %s: unexpected error", run.id[:8])
            code, message = "internal_error", f"internal error ({type(exc).__name__})"
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    with rt.database.session() as session:
        recorded = run_repo.finish(
            session,
            run_id=run.id,
            owner=owner,
            state=state,
            result=result,
            error_code=code,
            error=message,
        )
    if not recorded:
        log.warning("run %s: revoked or lease lost; result discarded", run.id[:8])
    log.info(
        "run %s: %s for %s ended %s in %.2fs%s",
        run.id[:8],
        run.processor_id,
        run.boundary_name,
        state.value,
        time.monotonic() - started,
        f" ({message})" if message else "",
    )
    return state


def _produce_and_publish(
    rt: Runtime, run: RunRecord, reporter: RunReporter, scratch: Path
) -> dict[str, Any]:
    processor_cls = rt.registry.get(run.processor_id)
    with rt.database.session() as session:
        boundary = boundary_repo.get(session, name=run.boundary_name)
    if boundary is None:
        raise NotFoundError(f"boundary {run.boundary_name!r} no longer exists")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    context = LocalRunContext(
        boundary=boundary,
        scratch=scratch,
        cache_dir=rt.settings.source_cache,
        mirror=rt.settings.source_mirror,
        verify=rt.settings.verify_source_checksums,
        on_progress=lambda pct, task: reporter.report(pct * _PROCESSOR_SHARE / 100, task),
    )
    processor = processor_cls()
    outputs = processor.run(context)
    reporter.report(_PROCESSOR_SHARE, "publishing")
    resources = publish_processor(
        rt.storage,
        boundary,
        processor.metadata,
        outputs,
        lock=boundary_lock(rt.settings.processing_root / "locks", boundary.name),
        sources=processor.sources,
    )
    result: dict[str, Any] = {"files": [resource["path"] for resource in resources]}
    empty = [resource["path"] for resource in resources if resource.get(EMPTY_KEY)]
    if empty:
        result["empty"] = empty
        result["message"] = "nothing of the source lies inside the boundary for: " + ", ".join(
            path.rsplit("/", 1)[-1] for path in empty
        )
    return result


def sweep(rt: Runtime, *, dead_owner: Callable[[str], bool] | None = None) -> int:
    """Release runs whose lease expired (or whose owner is known dead); return how many.

    A released run goes back to PENDING to be retried, or to FAILURE once it has been
    attempted ``MAX_ATTEMPTS`` times, so nothing stays EXECUTING forever.
    """
    now = run_repo.utcnow()
    released = 0
    with rt.database.session() as session:
        for run in run_repo.executing_runs(session):
            expired = run.lease_expires_at is None or run.lease_expires_at < now
            if expired or (dead_owner is not None and dead_owner(run.lease_owner or "")):
                run_repo.release(
                    session, run=run, max_attempts=MAX_ATTEMPTS, reason="worker stopped"
                )
                released += 1
    if released:
        log.warning("released %d run(s) left by stopped workers", released)
    return released
