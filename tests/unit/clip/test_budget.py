"""GDAL's cache and threads: set once per process, never changed by a clip in another thread."""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from autopkg.clip.budget import CACHE_BYTES_PER_CLIP, configure_gdal, threads_per_clip
from autopkg.clip.raster import clip_raster


def _gdal() -> ctypes.CDLL:
    # rasterio's own libgdal: loading the same file again returns the loaded library,
    # so this reads the real process-wide cache size.
    folder = Path(rasterio.__file__).parent.parent / "rasterio.libs"
    (library,) = folder.glob("libgdal*.so*")
    gdal = ctypes.CDLL(str(library))
    gdal.GDALGetCacheMax64.restype = ctypes.c_int64
    return gdal


@pytest.fixture
def restore_budget() -> Iterator[None]:
    yield
    configure_gdal(concurrency=1)


def test_budget_is_shared_by_the_concurrent_clips(
    restore_budget: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GDAL_CACHEMAX", raising=False)
    budget = configure_gdal(concurrency=2)
    assert budget.cache_bytes == 2 * CACHE_BYTES_PER_CLIP
    assert budget.threads_per_clip == max(1, (os.cpu_count() or 1) // 2)
    assert threads_per_clip() == budget.threads_per_clip
    assert _gdal().GDALGetCacheMax64() == 2 * CACHE_BYTES_PER_CLIP


@pytest.mark.parametrize(("value", "expected"), [("16", 16 * 2**20), ("20MB", 20 * 2**20)])
def test_a_lower_gdal_cachemax_is_honoured(
    restore_budget: None, monkeypatch: pytest.MonkeyPatch, value: str, expected: int
) -> None:
    monkeypatch.setenv("GDAL_CACHEMAX", value)
    assert configure_gdal(concurrency=4).cache_bytes == expected


def test_a_clip_leaves_the_process_cache_alone(
    restore_budget: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("GDAL_CACHEMAX", raising=False)
    configure_gdal(concurrency=4)
    source = tmp_path / "source.tif"
    with rasterio.open(
        source,
        "w",
        driver="GTiff",
        width=64,
        height=64,
        count=1,
        dtype="uint8",
        crs="EPSG:4326",
        transform=from_origin(0, 64, 1, 1),
    ) as dst:
        dst.write(np.ones((1, 64, 64), "uint8"))
    inside, leave = threading.Event(), threading.Event()

    def hold(_: float) -> None:
        inside.set()
        leave.wait(10)

    area = shapely.box(8, 8, 40, 40)
    worker = threading.Thread(
        target=clip_raster, args=(source, area, tmp_path / "out.tif"), kwargs={"progress": hold}
    )
    worker.start()
    assert inside.wait(10)
    seen_during = _gdal().GDALGetCacheMax64()
    leave.set()
    worker.join(10)
    assert seen_during == 4 * CACHE_BYTES_PER_CLIP
    assert _gdal().GDALGetCacheMax64() == 4 * CACHE_BYTES_PER_CLIP
    assert (tmp_path / "out.tif").exists()


def test_the_processes_of_one_machine_share_its_cpus(
    restore_budget: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A prefork child of a worker of concurrency 3: one clip here, beside two others.
    monkeypatch.delenv("GDAL_CACHEMAX", raising=False)
    budget = configure_gdal(concurrency=1, processes=3)
    assert budget.cache_bytes == CACHE_BYTES_PER_CLIP
    assert budget.threads_per_clip == max(1, (os.cpu_count() or 1) // 3)
    with pytest.raises(ValueError, match="at least 1"):
        configure_gdal(concurrency=1, processes=0)
