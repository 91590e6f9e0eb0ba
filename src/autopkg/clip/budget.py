"""GDAL's process-wide resources, sized once per process for the clips it runs at once.

GDAL's block cache is one per process and ``GDAL_CACHEMAX`` set inside a
``rasterio.Env`` resizes it for every thread, so a clip must never set it. A process
calls :func:`configure_gdal` once, before its first clip, with the number of clips it
may run at the same time (its worker threads) and the number of such processes
sharing the machine (a Celery worker's prefork children); each clip then gets its
share of the cache and of the CPUs.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass

from rasterio.env import set_gdal_config

log = logging.getLogger(__name__)

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


def configure_gdal(*, concurrency: int, processes: int = 1) -> GdalBudget:
    """Size GDAL's block cache and thread count for ``concurrency`` simultaneous clips.

    ``concurrency`` clips run at once in this process, and ``processes`` such processes
    share the machine. The cache (one per process) is ``CACHE_BYTES_PER_CLIP`` per clip
    of this process, or less when the environment's ``GDAL_CACHEMAX`` is lower (a number
    below 100000 is megabytes, as in GDAL; ``MB`` and ``GB`` suffixes are understood; a
    percentage is ignored). Each clip compresses with ``cpu_count // (concurrency
    * processes)`` threads (at least one), so all the clips of the machine share its CPUs.

    Raises:
        ValueError: if ``concurrency`` or ``processes`` is below 1.
    """
    global _threads_per_clip
    if concurrency < 1 or processes < 1:
        raise ValueError(
            f"concurrency and processes must be at least 1, not {concurrency}, {processes}"
        )
    cache = CACHE_BYTES_PER_CLIP * concurrency
    configured = _configured_cache_bytes()
    if configured is not None:
        cache = min(cache, configured)
    threads = max(1, (os.cpu_count() or 1) // (concurrency * processes))
    set_gdal_config("GDAL_CACHEMAX", cache)
    set_gdal_config("GDAL_NUM_THREADS", str(threads))
    _threads_per_clip = threads
    return GdalBudget(cache_bytes=cache, threads_per_clip=threads)


def size_gdal(*, clips: int, processes: int = 1) -> GdalBudget:
    """:func:`configure_gdal` for an executor, logging what was set (one line per process)."""
    budget = configure_gdal(concurrency=clips, processes=processes)
    log.info(
        "GDAL block cache %d MiB, %d thread(s) per clip",
        budget.cache_bytes // 2**20,
        budget.threads_per_clip,
    )
    return budget


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
