"""The executor seam: what job submission needs from whatever runs the work."""

from __future__ import annotations

from typing import Protocol


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
