"""The embedded executor: a pool of worker threads inside ``autopkg serve``."""

from __future__ import annotations

import logging
import queue
import threading

from autopkg.clip.budget import size_gdal
from autopkg.jobs import engine
from autopkg.jobs.housekeeping import Housekeeper
from autopkg.jobs.recovery import recover
from autopkg.runtime import Runtime

log = logging.getLogger(__name__)

_POLL_SECONDS = 1.0


class EmbeddedExecutor:
    """Runs claimed runs on ``workers`` threads; ``dispatch`` only wakes a worker.

    Workers claim work from the database rather than from an in-memory queue, so runs
    submitted before a restart (or by the CLI) are picked up too. With
    ``only_dispatched`` (``autopkg package``) the workers claim only runs dispatched to
    this executor, never other work waiting in a shared database.
    """

    def __init__(self, rt: Runtime, *, workers: int, only_dispatched: bool = False) -> None:
        self._rt = rt
        self._only_dispatched = only_dispatched
        self._mine: set[str] = set()
        self._mine_lock = threading.Lock()
        self._wake: queue.SimpleQueue[None] = queue.SimpleQueue()
        self._housekeeper = Housekeeper(rt)
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._work, name=f"worker-{index}", daemon=True)
            for index in range(workers)
        ]

    def start(self) -> None:
        """Size GDAL for the workers, recover runs left by a previous process, start."""
        if self._threads:
            size_gdal(clips=len(self._threads))
        recover(self._rt)
        for thread in self._threads:
            thread.start()
        log.info("embedded executor started with %d workers", len(self._threads))

    def dispatch(self, run_id: str) -> None:
        """Wake one worker to claim ``run_id`` (or whatever is oldest)."""
        with self._mine_lock:
            self._mine.add(run_id)
        self._wake.put(None)

    def problem(self) -> str | None:
        """Threads in this process need nothing else: never a problem."""
        return None

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking new work and wait briefly for the workers."""
        self._stopping.set()
        for _ in self._threads:
            self._wake.put(None)
        for thread in self._threads:
            thread.join(timeout)

    def _claimable(self) -> list[str] | None:
        if not self._only_dispatched:
            return None
        with self._mine_lock:
            return sorted(self._mine)

    def _work(self) -> None:
        owner = engine.worker_id()
        while not self._stopping.is_set():
            try:
                run = engine.claim_next(self._rt, owner=owner, run_ids=self._claimable())
                if run is not None:
                    engine.execute(self._rt, run, owner=owner)
                    continue
                for _ in recover(self._rt):
                    self._wake.put(None)
                self._housekeeper.maybe_run()
            except Exception:
                log.exception("worker %s: unexpected error", owner)
            try:
                self._wake.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue
