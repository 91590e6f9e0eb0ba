"""A clip to a full file system says so, names the folder, and leaves nothing behind."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely

from autopkg.clip import clip_raster, clip_vector
from autopkg.errors import ClipError
from tests.unit.clip.conftest import grid_at, pattern, write_raster


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 512 kB file system (tmpfs; the tests run as root), unmounted afterwards."""
    folder = tmp_path / "small"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_raster_clip_to_a_full_disk_names_it(tmp_path: Path, small_disk: Path) -> None:
    # 2000 x 2000 bytes that do not compress: 4 MB for a 512 kB disk.
    src = write_raster(
        tmp_path / "src.tif",
        pattern((2000, 2000), "uint8")[np.newaxis],
        crs="EPSG:4326",
        transform=grid_at(0, 20, 0.01, 0.01),
    )
    out = small_disk / "out" / "clip.tif"
    with pytest.raises(ClipError) as raised:
        clip_raster(src, shapely.box(1, 1, 19, 19), out)
    assert raised.value.message == f"no space left on device in {out.parent}"
    assert list(out.parent.iterdir()) == []


def test_a_vector_clip_to_a_full_disk_names_it(tmp_path: Path, small_disk: Path) -> None:
    src = tmp_path / "points.gpkg"
    points = shapely.points(np.indices((200, 100)).reshape(2, -1).T / 100)
    pyogrio.raw.write(
        src,
        shapely.to_wkb(points),
        [np.array([f"point {i} " * 20 for i in range(len(points))], dtype=object)],
        ["label"],
        driver="GPKG",
        geometry_type="Point",
        crs="EPSG:4326",
    )
    out = small_disk / "clip.gpkg"
    with pytest.raises(ClipError) as raised:
        clip_vector(src, shapely.box(0, 0, 2, 1), out)
    assert raised.value.message == f"no space left on device in {small_disk}"
    assert list(small_disk.iterdir()) == []
