"""Housekeeping: custom areas nobody asks for any more are retired with their packages.

Every distinct area a user submits becomes a ``custom-<hash>`` boundary (so the same
area shares its work). Left alone they would pile up forever, geometry and package
alike; an area no job has asked for in ``AUTOPKG_CUSTOM_AREA_RETENTION_DAYS`` (and that
no run is working on) is deleted, package first. Job records keep their history: a
job's status needs only the boundary's name. Submitting the same area again simply
creates it again.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from autopkg.db import boundaries as boundary_repo
from autopkg.db import counters
from autopkg.db import runs as run_repo
from autopkg.runtime import Runtime

log = logging.getLogger(__name__)

#: How often the executors' loops look for areas to retire.
INTERVAL_SECONDS = 3600.0


def retire_unused_custom_areas(rt: Runtime) -> list[str]:
    """Delete custom areas unused for the retention period, and their packages.

    Returns:
        The names of the areas retired.
    """
    since = run_repo.utcnow() - timedelta(days=rt.settings.custom_area_retention_days)
    with rt.database.read_session() as session:
        names = boundary_repo.unused_custom_areas(session, since=since)
    retired = []
    for name in names:
        for key in rt.storage.list_keys(f"{name}/"):
            rt.storage.delete(key)
        with rt.database.session() as session:
            counters.add(session, counters.Counter.PACKAGES_VERSION)
            if boundary_repo.delete_custom_area(session, name=name):
                retired.append(name)
    if retired:
        log.info(
            "retired %d custom area(s) unused for %d days",
            len(retired),
            rt.settings.custom_area_retention_days,
        )
    return retired


class Housekeeper:
    """Runs :func:`retire_unused_custom_areas` at most once per ``interval`` seconds."""

    def __init__(self, rt: Runtime, interval: float = INTERVAL_SECONDS) -> None:
        self._rt = rt
        self._interval = interval
        self._next = 0.0
        self._lock = threading.Lock()

    def maybe_run(self) -> None:
        """Retire unused areas if the interval has passed since the last time."""
        with self._lock:
            now = time.monotonic()
            if now < self._next:
                return
            self._next = now + self._interval
        retire_unused_custom_areas(self._rt)
