"""GDAL's process-wide resources, sized once per process for the clips it runs at once.

GDAL's block cache is one per process and ``GDAL_CACHEMAX`` set inside a
``rasterio.Env`` resizes it for every thread, so a clip must never set it. A process
calls :func:`configure_gdal` once, before its first clip, with the number of clips it
may run at the same time (its worker threads); each clip then gets its share of the
cache and of the CPUs.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from rasterio.env import set_gdal_config

#: Block cache one clip needs: enough for a row of source blocks. Every block is read
#: once, so a bigger cache only grows memory (benchmarks/RESULTS.md).
CACHE_BYTES_PER_CLIP = 32 * 2**20

_MEGABYTES = re.compile(r"^\s*(\d+)\s*(MB|GB)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class GdalBudget:
    """What :func:`configure_gdal` set: the process's block cache and threads per clip."""

    cache_bytes: int
    threads_per_clip: int


_threads_per_clip = os.cpu_count() or 1


def configure_gdal(*, concurrency: int) -> GdalBudget:
    """Size GDAL's block cache and thread count for ``concurrency`` simultaneous clips.

    The cache is ``CACHE_BYTES_PER_CLIP`` per clip, or less when the environment's
    ``GDAL_CACHEMAX`` is lower (a number below 100000 is megabytes, as in GDAL; ``MB``
    and ``GB`` suffixes are understood; a percentage is ignored). Each clip compresses
    with ``cpu_count // concurrency`` threads (at least one).

    Raises:
        ValueError: if ``concurrency`` is below 1.
    """
    global _threads_per_clip
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")
    cache = CACHE_BYTES_PER_CLIP * concurrency
    configured = _configured_cache_bytes()
    if configured is not None:
        cache = min(cache, configured)
    threads = max(1, (os.cpu_count() or 1) // concurrency)
    set_gdal_config("GDAL_CACHEMAX", cache)
    set_gdal_config("GDAL_NUM_THREADS", str(threads))
    _threads_per_clip = threads
    return GdalBudget(cache_bytes=cache, threads_per_clip=threads)


def threads_per_clip() -> int:
    """Threads one clip may use for compression (all CPUs until configured)."""
    return _threads_per_clip


def _configured_cache_bytes() -> int | None:
    # GDAL's own variable, read from the environment as GDAL itself does; the value
    # GDAL holds now may be one this module set earlier.
    value = os.environ.get("GDAL_CACHEMAX")
    match = _MEGABYTES.fullmatch(value) if value is not None else None
    if match is None:
        return None
    number, unit = int(match.group(1)), (match.group(2) or "").upper()
    if unit == "GB":
        return number * 2**30
    if unit == "MB" or number < 100_000:
        return number * 2**20
    return number
