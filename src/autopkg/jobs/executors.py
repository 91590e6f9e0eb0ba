"""The executor seam: what job submission needs from whatever runs the work, and the
choice of executor from the settings (Celery when a broker is configured)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from autopkg.runtime import Runtime


class Executor(Protocol):
    """Starts work for runs; the embedded pool and Celery both implement it."""

    def start(self) -> None:
        """Begin accepting work."""
        ...

    def dispatch(self, run_id: str) -> None:
        """Make sure ``run_id`` gets executed (at least once; claims make it exactly once)."""
        ...

    def stop(self, timeout: float = 10.0) -> None:
        """Stop accepting work."""
        ...

    def problem(self) -> str | None:
        """Why work cannot be handed out right now (e.g. the broker is down), or ``None``."""
        ...


def make_executor(rt: Runtime) -> Executor:
    """A Celery executor when ``AUTOPKG_CELERY_BROKER`` is set, else the embedded pool."""
    if rt.settings.celery_broker:
        from autopkg.jobs.celery_executor import CeleryExecutor, make_celery

        return CeleryExecutor(rt, make_celery(rt.settings))
    from autopkg.jobs.embedded import EmbeddedExecutor

    return EmbeddedExecutor(rt, workers=rt.settings.workers)
