"""Progress reports and lease heartbeats for a run being executed."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from autopkg.db import runs as run_repo
from autopkg.db.session import Database
from autopkg.errors import RunAbandonedError
from autopkg.threads import context_thread

log = logging.getLogger(__name__)


class RunReporter:
    """Writes a run's progress to the database and keeps its lease alive.

    Progress never goes backwards, writes are throttled, and a background thread
    renews the lease even while a processor is silent inside a long clip. A database
    error in a write is logged and retried at the next beat; once the lease could not
    be renewed for a whole lease period, another worker may take the run over, so the
    run counts as lost. Once lost, :meth:`report` and :meth:`check` raise
    :class:`RunAbandonedError` so the processor stops and nothing is published.
    """

    def __init__(
        self,
        database: Database,
        *,
        run_id: str,
        owner: str,
        lease: timedelta,
        min_interval: float = 0.2,
    ) -> None:
        self._database = database
        self._run_id = run_id
        self._owner = owner
        self._lease = lease
        self._min_interval = min_interval
        self._percent = 0.0
        self._task = ""
        self._last_write = 0.0
        self._renewed = time.monotonic()
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
            RunAbandonedError: the run was revoked or taken over; the processor stops.
        """
        self.check()
        with self._lock:
            percent = max(self._percent, min(100.0, percent))
            changed_task = task != self._task
            self._percent, self._task = percent, task
            now = time.monotonic()
            if changed_task or now - self._last_write >= self._min_interval:
                self._last_write = now
                self._write(percent, task)
        self.check()

    def check(self) -> None:
        """Raise if the run is no longer this worker's.

        Raises:
            RunAbandonedError: the run was revoked, taken over, or its lease could not
                be renewed in time.
        """
        if self.lost:
            raise RunAbandonedError("run was cancelled or taken over by another worker")

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

    def _beat(self) -> None:
        interval = max(self._lease.total_seconds() / 4, 0.25)
        while not self._stop.wait(interval):
            with self._lock:
                self._write(self._percent, self._task)
