"""Progress reports, lease heartbeats and the execution policy for a run being executed."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from autopkg.db import runs as run_repo
from autopkg.db.session import Database
from autopkg.errors import RunAbandonedError, RunTimeLimitError
from autopkg.jobs.policy import RunPolicy
from autopkg.threads import context_thread

log = logging.getLogger(__name__)

_TAKEN = "run was cancelled or taken over by another worker"


class RunReporter:
    """Writes a run's progress to the database, keeps its lease alive, applies the policy.

    Progress never goes backwards, writes are throttled, and a background thread
    renews the lease even while a processor is silent inside a long clip. A database
    error in a write is logged and retried at the next beat; once the lease could not
    be renewed for a whole lease period, another worker may take the run over, so the
    run counts as lost. Once lost, :meth:`report` and :meth:`check` raise
    :class:`RunAbandonedError` so the processor stops and nothing is published.

    The rules of :mod:`autopkg.jobs.policy` are applied here, in whichever executor
    runs the attempt: past the soft limit :meth:`report` and :meth:`check` raise
    :class:`RunTimeLimitError`; past the hard limit, or with no progress for the stall
    period (until publishing begins, which reports none), the heartbeat gives the
    attempt up: it releases the run for a retry (or fails it after the last attempt)
    and renews the lease no more. ``clock`` (seconds, monotonic) is injectable for tests.
    """

    def __init__(
        self,
        database: Database,
        *,
        run_id: str,
        owner: str,
        policy: RunPolicy,
        min_interval: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._run_id = run_id
        self._owner = owner
        self._policy = policy
        self._lease = policy.lease
        self._min_interval = min_interval
        self._clock = clock
        self._percent = 0.0
        self._task = ""
        self._last_write = 0.0
        self._renewed = time.monotonic()
        self._started = clock()
        self._moved = self._started
        self._publishing = False
        self._why_lost = _TAKEN
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.lost = False
        # Created inside the run's log context, so the heartbeat's lines name the run.
        self._thread = context_thread(self._beat, name=f"heartbeat-{run_id[:8]}")

    def __enter__(self) -> RunReporter:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def report(self, percent: float, task: str) -> None:
        """Record progress (0-100) and the current task.

        Raises:
            RunAbandonedError: the run was revoked, taken over or given up; the
                processor stops.
            RunTimeLimitError: the run passed its soft time limit.
        """
        with self._lock:
            percent = max(self._percent, min(100.0, percent))
            changed_task = task != self._task
            # Counted before the checks: progress that moves past the soft limit is
            # still no stall; a processor that ignores that limit meets the hard one.
            if changed_task or percent > self._percent:
                self._moved = self._clock()
            self._percent, self._task = percent, task
        self.check()
        with self._lock:
            now = time.monotonic()
            if changed_task or now - self._last_write >= self._min_interval:
                self._last_write = now
                self._write(percent, task)
        self.check()

    def publishing(self) -> None:
        """Say that publishing has begun: it reports no progress, so stalls are not looked for."""
        with self._lock:
            self._publishing = True

    def check(self) -> None:
        """Raise if the run is no longer this worker's, or past its soft time limit.

        Raises:
            RunAbandonedError: the run was revoked, taken over, given up by the policy,
                or its lease could not be renewed in time.
            RunTimeLimitError: the run passed its soft time limit.
        """
        if self.lost:
            raise RunAbandonedError(self._why_lost)
        soft = self._policy.soft_limit_secs
        if soft is not None and self._clock() - self._started > soft:
            raise RunTimeLimitError(
                f"the run passed its time limit of {soft:g} s "
                "(AUTOPKG_TASK_SOFT_TIME_LIMIT_SECS) and was stopped"
            )

    def _write(self, percent: float | None, task: str | None) -> None:
        try:
            with self._database.session() as session:
                held = run_repo.heartbeat(
                    session,
                    run_id=self._run_id,
                    owner=self._owner,
                    lease=self._lease,
                    percent=percent,
                    task=task,
                )
        except Exception as exc:
            # Transient (a database restart, a dropped connection): keep working while
            # the lease still holds; the next beat tries again.
            silent = time.monotonic() - self._renewed
            if silent < self._lease.total_seconds():
                log.warning("run %s: could not renew the lease (%s); retrying", self._run_id, exc)
                return
            log.error("run %s: lease not renewed for %.0fs; stopping", self._run_id, silent)
            held = False
        if held:
            self._renewed = time.monotonic()
        elif not self.lost:
            log.warning("run %s: revoked or taken over by another worker", self._run_id)
            self.lost = True

    def _past_a_limit(self) -> str | None:
        """Why the attempt must be given up now, or ``None``."""
        now = self._clock()
        hard, stall = self._policy.hard_limit_secs, self._policy.stall_secs
        if hard is not None and now - self._started > hard:
            return f"passed the hard time limit of {hard:g} s (AUTOPKG_TASK_TIME_LIMIT_SECS)"
        if stall is not None and not self._publishing and now - self._moved > stall:
            return f"no progress for {stall:g} s (AUTOPKG_RUN_STALL_SECS)"
        return None

    def _give_up(self, reason: str) -> None:
        """Release the run (retry, or fail after the last attempt) and stop renewing it."""
        try:
            with self._database.session() as session:
                state = run_repo.release(
                    session,
                    run_id=self._run_id,
                    owner=self._owner,
                    max_attempts=self._policy.max_attempts,
                    reason=reason,
                    expired_before=None,
                )
        except Exception as exc:
            # The lease is no longer renewed either way: the sweep releases the run
            # once it expires.
            log.error("run %s: %s; could not release it (%s)", self._run_id, reason, exc)
            state = None
        outcome = "nothing to release" if state is None else f"now {state.value}"
        log.warning("run %s: %s; attempt given up (%s)", self._run_id, reason, outcome)
        self._why_lost = f"run stopped: {reason}"
        self.lost = True

    def _beat(self) -> None:
        interval = max(self._lease.total_seconds() / 4, 0.25)
        while not self._stop.wait(interval):
            with self._lock:
                if self.lost:
                    return
                reason = self._past_a_limit()
                if reason is not None:
                    self._give_up(reason)
                    return
                self._write(self._percent, self._task)
