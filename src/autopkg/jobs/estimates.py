"""Estimating a job's output before any work, and refusing one over the size limit."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autopkg.domain.boundary import Boundary
from autopkg.domain.estimate import Estimate
from autopkg.errors import AutopkgError, LimitExceededError
from autopkg.processors.context import LocalEstimateContext
from autopkg.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProcessorEstimate:
    """One processor's estimate for a boundary and options, or why there is none."""

    processor_id: str
    estimate: Estimate | None
    error: str | None = None

    def record(self) -> dict[str, Any]:
        """The estimate as stored with the run: its figures, or ``{"error": …}``."""
        if self.estimate is None:
            return {"error": self.error or "no estimate"}
        return self.estimate.as_dict()


def estimate_processor(
    rt: Runtime, processor_id: str, boundary: Boundary, options: Mapping[str, Any]
) -> ProcessorEstimate:
    """Ask the processor for its estimate; a failure (an index unreachable) gives none.

    A processor that cannot estimate cannot be checked against the limit; its run will
    meet the same cause and report it, so the job is not refused for it.
    """
    processor = rt.registry.get(processor_id)()
    context = LocalEstimateContext(
        boundary,
        options,
        rt.settings.source_cache,
        mirror=rt.settings.source_mirror,
        verify=rt.settings.verify_source_checksums,
        osm_database=rt.osm_database,
    )
    try:
        return ProcessorEstimate(processor_id, processor.estimate(context))
    except AutopkgError as exc:
        log.warning("no estimate for %s on %s: %s", processor_id, boundary.name, exc.message)
        return ProcessorEstimate(processor_id, None, exc.message)


def total_bytes(estimates: Sequence[ProcessorEstimate]) -> int:
    """The estimated bytes of every processor that could estimate."""
    return sum(e.estimate.bytes for e in estimates if e.estimate is not None)


def within_limit(rt: Runtime, estimates: Sequence[ProcessorEstimate]) -> bool:
    """Whether the estimated total is within ``AUTOPKG_MAX_OUTPUT_BYTES`` (0: unlimited)."""
    limit = rt.settings.max_output_bytes
    return limit == 0 or total_bytes(estimates) <= limit


def check_limit(rt: Runtime, estimates: Sequence[ProcessorEstimate]) -> None:
    """Refuse a job whose estimated output is over ``AUTOPKG_MAX_OUTPUT_BYTES``.

    Raises:
        LimitExceededError: naming the estimate (and each processor's), the limit and
            the setting.
    """
    if within_limit(rt, estimates):
        return
    parts = ", ".join(
        f"{e.processor_id} {e.estimate.bytes:,}" for e in estimates if e.estimate is not None
    )
    raise LimitExceededError(
        f"the estimated output of {total_bytes(estimates):,} bytes ({parts}) is over the "
        f"limit of {rt.settings.max_output_bytes:,} bytes (AUTOPKG_MAX_OUTPUT_BYTES)"
    )
