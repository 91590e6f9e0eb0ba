"""Running one claimed run: processor → staged outputs → published package.

Every executor (the embedded pool, a Celery task, the CLI) ends up here. Runs are
claimed with a lease before they execute, and every state change is owner-checked, so
redelivery or a crashed worker never runs the same work twice at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from autopkg import logs
from autopkg.db import boundaries as boundary_repo
from autopkg.db import counters
from autopkg.db import runs as run_repo
from autopkg.db.jobs import FAILED_KEY
from autopkg.db.models import RunRecord
from autopkg.domain.boundary import Boundary
from autopkg.domain.metadata import Metadata
from autopkg.domain.states import RunState
from autopkg.errors import AutopkgError, NotFoundError, RunAbandonedError
from autopkg.jobs.locks import publish_lock
from autopkg.jobs.policy import MAX_ATTEMPTS, policy_of
from autopkg.jobs.progress import RunReporter
from autopkg.packaging.inputs import geometry_digest, run_inputs
from autopkg.packaging.manifest import Manifest, is_current
from autopkg.packaging.publish import publish_processor, publish_summary, read_manifest
from autopkg.packaging.summary import SummaryRequest, request_of
from autopkg.processors.clipstore import ClipStore
from autopkg.processors.context import LocalRunContext
from autopkg.runtime import Runtime

log = logging.getLogger(__name__)

# The processor's own progress fills 0-95 %; publishing takes the rest.
_PROCESSOR_SHARE = 95.0
# The folder of a run's kept clips, beside its attempts' scratch folders.
_CLIPS = "clips"
# How long a claim waits out an unreachable database before giving up.
_DATABASE_PATIENCE_SECS = 30.0


def worker_id() -> str:
    """Identify this thread as a lease owner: ``host:pid:thread``."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"


def lease_of(rt: Runtime) -> timedelta:
    """The lease length configured for runs."""
    return timedelta(seconds=rt.settings.run_lease_seconds)


def claim_next(
    rt: Runtime,
    *,
    owner: str,
    run_id: str | None = None,
    run_ids: Sequence[str] | None = None,
) -> RunRecord | None:
    """Claim a specific run, one of ``run_ids``, or the oldest pending one."""
    return rt.database.transact_retrying(
        lambda session: run_repo.claim(
            session,
            owner=owner,
            lease=lease_of(rt),
            max_attempts=MAX_ATTEMPTS,
            run_id=run_id,
            run_ids=run_ids,
        ),
        for_seconds=_DATABASE_PATIENCE_SECS,
    )


def execute(rt: Runtime, run: RunRecord, *, owner: str) -> RunState:
    """Execute a run this worker has claimed and record its terminal state.

    The attempt works in its own scratch folder (``runs/<run>/<attempt>-<nonce>``), so
    a worker that took the run over never shares or deletes another attempt's files.
    Finished clips are kept beside the attempts (``runs/<run>/clips``, a
    :class:`~autopkg.processors.clipstore.ClipStore`) for an attempt that takes the run
    over; the run's folder, with whatever a killed attempt left in it, is removed once
    the run has ended.
    Every log line written meanwhile names the run (:func:`autopkg.logs.run_context`),
    and the jobs waiting for it as they are when it starts.
    """
    with rt.database.read_session() as session:
        job_ids = run_repo.job_ids_of_run(session, run_id=run.id)
    with logs.run_context(
        run_id=run.id, boundary=run.boundary_name, processor=run.processor_id, job_ids=job_ids
    ):
        return _execute(rt, run, owner=owner)


def _execute(rt: Runtime, run: RunRecord, *, owner: str) -> RunState:
    log.info("run %s: %s for %s started", run.id[:8], run.processor_id, run.boundary_name)
    scratch = run_folder(rt, run.id) / f"{run.attempts}-{uuid.uuid4().hex}"
    started = time.monotonic()
    state, result, code, message = RunState.FAILURE, None, None, None
    with RunReporter(
        rt.database, run_id=run.id, owner=owner, policy=policy_of(rt.settings)
    ) as reporter:
        try:
            result = _produce_and_publish(rt, run, reporter, scratch, owner)
            state = RunState.SUCCESS
        except AutopkgError as exc:
            code, message = exc.code, exc.message
        except Exception as exc:
            log.exception("run %s: unexpected error", run.id[:8])
            code, message = (
                "internal_error",
                f"an unexpected error stopped the run; the operators can find it in the log "
                f"of run {run.id[:8]} (internal error, {type(exc).__name__})",
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            with contextlib.suppress(OSError):
                scratch.parent.rmdir()
    # The lease outlives a short database outage (a restart): keep trying to record
    # the outcome for as long as the lease would hold.
    recorded = rt.database.transact_retrying(
        lambda session: run_repo.finish(
            session,
            run_id=run.id,
            owner=owner,
            state=state,
            result=result,
            error_code=code,
            error=message,
        ),
        for_seconds=rt.settings.run_lease_seconds,
    )
    if not recorded:
        log.warning("run %s: revoked or lease lost; result discarded", run.id[:8])
    if recorded or _has_ended(rt, run.id):
        discard_run_folder(rt, run.id)
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


def _count_cache_lookup(rt: Runtime, hit: bool) -> None:
    """Count a source cache hit or miss where ``/metrics`` of every API process reads it."""
    counter = counters.Counter.SOURCE_CACHE_HITS if hit else counters.Counter.SOURCE_CACHE_MISSES
    rt.database.transact_retrying(
        lambda session: counters.add(session, counter), for_seconds=_DATABASE_PATIENCE_SECS
    )


def _produce_and_publish(
    rt: Runtime, run: RunRecord, reporter: RunReporter, scratch: Path, owner: str
) -> dict[str, Any]:
    processor_cls = rt.registry.get(run.processor_id)
    boundary = rt.database.transact_retrying(
        lambda session: boundary_repo.get(session, name=run.boundary_name),
        for_seconds=_DATABASE_PATIENCE_SECS,
    )
    if boundary is None:
        raise NotFoundError(f"boundary {run.boundary_name!r} no longer exists")

    def still_ours() -> None:
        # The last word before the manifest changes: a conditional UPDATE on state and
        # owner. After it a cancel no longer revokes this run.
        held = rt.database.transact_retrying(
            lambda session: run_repo.begin_publish(
                session, run_id=run.id, owner=owner, lease=lease_of(rt)
            ),
            for_seconds=rt.settings.run_lease_seconds,
        )
        if not held:
            raise RunAbandonedError("run was cancelled or taken over before publishing")
        reporter.publishing()

    if run.summary_only and is_current(
        read_manifest(rt.storage, boundary.name),
        run.processor_id,
        geometry=boundary.geometry,
        options=run.options,
        pinned=processor_cls.sources,
    ):
        return _publish_summary_only(rt, run, boundary, reporter, still_ours)
    scratch.mkdir(parents=True)
    # The run's canonical options: part of its inputs and of every kept clip's key.
    options = run.options
    clips = ClipStore(
        run_folder(rt, run.id) / _CLIPS,
        {
            "processor": run.processor_id,
            "boundary": geometry_digest(boundary.geometry),
            "options": options,
        },
    )
    context = LocalRunContext(
        boundary=boundary,
        scratch=scratch,
        cache_dir=rt.settings.source_cache,
        mirror=rt.settings.source_mirror,
        verify=rt.settings.verify_source_checksums,
        on_progress=lambda pct, task: reporter.report(pct * _PROCESSOR_SHARE / 100, task),
        osm_database=rt.osm_database,
        options=options,
        clips=clips,
        on_cache_lookup=lambda hit: _count_cache_lookup(rt, hit),
    )
    processor = processor_cls()
    outputs = processor.run(context)
    # The processor may have been silent since the run was revoked or taken over.
    reporter.check()
    reporter.report(_PROCESSOR_SHARE, "publishing")

    resources = publish_processor(
        rt.storage,
        boundary,
        processor.metadata,
        outputs,
        lock=publish_lock(rt, boundary.name),
        inputs=run_inputs(boundary.geometry, run.processor_id, options, context.fetched),
        fetched=context.fetched,
        notes=_notes(context),
        before_commit=still_ours,
        package_url=rt.citable_package_url(boundary.name),
        summary=_summary_request(rt, run.id),
    )
    # Before the run is recorded as finished, so readers of the job see the package too.
    rt.database.transact_retrying(
        lambda session: counters.add(session, counters.Counter.PACKAGES_VERSION),
        for_seconds=_DATABASE_PATIENCE_SECS,
    )
    result: dict[str, Any] = {"files": [resource.path for resource in resources]}
    messages = []
    if context.failures:
        # The run is still SUCCESS, the state the ancestor's client knows; the job's
        # outcome is PARTIAL (see autopkg.db.jobs.outcome_of).
        result[FAILED_KEY] = [failed.record() for failed in context.failures]
        messages.append(
            f"{len(context.failures)} source file(s) could not be made and are missing: "
            + "; ".join(f"{failed.name}: {failed.reason}" for failed in context.failures)
        )
    empty = [resource.path for resource in resources if resource.empty]
    if empty:
        result["empty"] = empty
        messages.append(
            "nothing of the source lies inside the boundary for: "
            + ", ".join(path.rsplit("/", 1)[-1] for path in empty)
        )
    if messages:
        result["message"] = "; ".join(messages)
    return result


def _summary_request(rt: Runtime, run_id: str) -> SummaryRequest:
    """What the run's jobs ask of the summary (the newest that says anything decides)."""
    record = rt.database.transact_retrying(
        lambda session: run_repo.summary_request(session, run_id=run_id),
        for_seconds=_DATABASE_PATIENCE_SECS,
    )
    return request_of(record)


def _publish_summary_only(
    rt: Runtime,
    run: RunRecord,
    boundary: Boundary,
    reporter: RunReporter,
    still_ours: Callable[[], None],
) -> dict[str, Any]:
    """Recompute and republish the summary of a package whose processor files are current.

    The run was made for a job that asked the summary for other thresholds (or none)
    while every processor it named was current: nothing is clipped again.
    """
    reporter.report(_PROCESSOR_SHARE, "computing the summary again")
    request = _summary_request(rt, run.id)

    def described(manifest: Manifest) -> list[Metadata]:
        # Dataset pages show their summary rows: every known processor's is rendered again.
        ids = {r.processor for r in manifest.resources if r.processor is not None}
        return [rt.registry.get(pid).metadata for pid in sorted(ids) if pid in rt.registry]

    manifest = publish_summary(
        rt.storage,
        boundary,
        lock=publish_lock(rt, boundary.name),
        summary=request,
        described=described,
        before_commit=still_ours,
        package_url=rt.citable_package_url(boundary.name),
    )
    if manifest is not None:
        rt.database.transact_retrying(
            lambda session: counters.add(session, counters.Counter.PACKAGES_VERSION),
            for_seconds=_DATABASE_PATIENCE_SECS,
        )
    files = [
        r.path
        for r in (manifest.resources if manifest is not None else ())
        if r.processor == run.processor_id
    ]
    done = "turned off" if request is False else "computed again"
    return {"message": f"already published and up to date; the summary was {done}", "files": files}


def _notes(context: LocalRunContext) -> dict[str, Any]:
    """What the run said of its sources, for provenance: facts read, files failed."""
    notes: dict[str, Any] = {}
    if context.sources_read:
        notes["source_rasters"] = [read.record() for read in context.sources_read]
    if context.failures:
        notes["failed_files"] = [failed.record() for failed in context.failures]
    return notes


def run_folder(rt: Runtime, run_id: str) -> Path:
    """The folder of a run's attempts and kept clips: ``<processing root>/runs/<run>``."""
    return rt.settings.processing_root / "runs" / run_id


def discard_run_folder(rt: Runtime, run_id: str) -> None:
    """Remove an ended run's folder: its kept clips and what killed attempts left.

    Only for a run in a final state: no attempt of it can publish any more, so an old
    attempt still alive somewhere loses nothing it could use.
    """
    shutil.rmtree(run_folder(rt, run_id), ignore_errors=True)


def _has_ended(rt: Runtime, run_id: str) -> bool:
    """Whether the run is in a final state (revoked, say), so no attempt needs its clips."""
    state = rt.database.transact_retrying(
        lambda session: _state_of(run_repo.get_run(session, run_id=run_id)),
        for_seconds=_DATABASE_PATIENCE_SECS,
    )
    return state is None or state.terminal


def _state_of(record: RunRecord | None) -> RunState | None:
    return None if record is None else RunState(record.state)
