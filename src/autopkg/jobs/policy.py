"""One execution policy for every executor: how long a run may work, and when it is stuck.

The embedded pool and Celery workers run a claimed run through the same
:class:`~autopkg.jobs.progress.RunReporter`, which applies these rules in the worker
itself, so both modes behave alike:

- past the soft limit (``AUTOPKG_TASK_SOFT_TIME_LIMIT_SECS``) the run is asked to stop:
  its next progress report (or the engine's check when the processor returns) raises
  :class:`~autopkg.errors.RunTimeLimitError` and it ends FAILURE;
- past the hard limit (``AUTOPKG_TASK_TIME_LIMIT_SECS``), or when its progress has not
  moved for ``AUTOPKG_RUN_STALL_SECS``, the attempt is given up: the run is released
  (PENDING again, or FAILURE once tried :data:`MAX_ATTEMPTS` times) and its lease is no
  longer renewed, so it never outlives the limit however the processor behaves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from autopkg.config import Settings

#: Attempts of one run (the first and two retries) before it fails for good.
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class RunPolicy:
    """The limits of one attempt of a run; ``None`` leaves a limit out."""

    lease: timedelta
    soft_limit_secs: float | None = None
    hard_limit_secs: float | None = None
    stall_secs: float | None = None
    max_attempts: int = MAX_ATTEMPTS


def policy_of(settings: Settings) -> RunPolicy:
    """The policy ``settings`` configure."""
    return RunPolicy(
        lease=timedelta(seconds=settings.run_lease_seconds),
        soft_limit_secs=settings.task_soft_time_limit_secs,
        hard_limit_secs=settings.task_time_limit_secs,
        stall_secs=settings.run_stall_secs,
    )
