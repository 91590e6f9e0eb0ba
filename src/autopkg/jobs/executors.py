"""Choosing the executor from the settings: Celery when a broker is configured."""

from __future__ import annotations

from autopkg.jobs.executor import Executor
from autopkg.runtime import Runtime


def make_executor(rt: Runtime) -> Executor:
    """A Celery executor when ``AUTOPKG_CELERY_BROKER`` is set, else the embedded pool."""
    if rt.settings.celery_broker:
        from autopkg.jobs.celery_executor import CeleryExecutor, make_celery

        return CeleryExecutor(rt, make_celery(rt.settings))
    from autopkg.jobs.embedded import EmbeddedExecutor

    return EmbeddedExecutor(rt, workers=rt.settings.workers)
