"""Map a step's own 0-1 progress onto a slice of the processor's 0-100 percentage."""

from __future__ import annotations

from collections.abc import Callable

from autopkg.processors.base import RunContext


def stage(ctx: RunContext, start: float, end: float, task: str) -> Callable[[float], None]:
    """Return a callback reporting a fraction ``f`` (0-1) as ``start + f * (end - start)``.

    Suits the ``progress`` arguments of ``ctx.fetch`` and of the clip functions.
    """
    span = end - start

    def report(fraction: float) -> None:
        ctx.progress(start + min(max(fraction, 0.0), 1.0) * span, task)

    return report
