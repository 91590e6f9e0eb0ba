"""Progress reports and lease heartbeats for a run being executed."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from autopkg.db import runs as run_repo
from autopkg.db.session import Database
from autopkg.errors import RunAbandonedError

log = logging.getLogger(__name__)


class RunReporter:
    """Writes a run's progress to the database and keeps its lease alive.

    Progress never goes backwards, writes are throttled, and a background thread
    renews the lease even while a processor is silent inside a long clip.
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
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.lost = False
        self._thread = threading.Thread(
            target=self._beat, name=f"heartbeat-{run_id[:8]}", daemon=True
        )

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
        if self.lost:
            raise RunAbandonedError("run was cancelled or taken over by another worker")
        with self._lock:
            percent = max(self._percent, min(100.0, percent))
            changed_task = task != self._task
            self._percent, self._task = percent, task
            now = time.monotonic()
            if not changed_task and now - self._last_write < self._min_interval:
                return
            self._last_write = now
            self._write(percent, task)

    def _write(self, percent: float | None, task: str | None) -> None:
        with self._database.session() as session:
            held = run_repo.heartbeat(
                session,
                run_id=self._run_id,
                owner=self._owner,
                lease=self._lease,
                percent=percent,
                task=task,
            )
        if not held and not self.lost:
            log.warning("run %s: lease lost to another worker", self._run_id)
            self.lost = True

    def _beat(self) -> None:
        interval = max(self._lease.total_seconds() / 3, 0.5)
        while not self._stop.wait(interval):
            with self._lock:
                self._write(self._percent, self._task)
