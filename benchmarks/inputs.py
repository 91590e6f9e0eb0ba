"""Deterministic benchmark inputs, generated once into ``benchmarks/.cache/``.

Every input is written under a temporary name and renamed when complete, so an
interrupted run regenerates it and a finished one is reused. Pixel values and features
depend only on fixed seeds and the pixel or feature position, never on the run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyogrio
import rasterio
import shapely
from affine import Affine
from numpy.typing import NDArray
from rasterio.windows import Window

CACHE = Path(__file__).parent / ".cache"
TILE = 512
#: Mollweide's full extent, metres.
MOLLWEIDE_HALF_WIDTH = 18_041_000.0
MOLLWEIDE_HALF_HEIGHT = 9_021_000.0


@dataclass(frozen=True)
class RasterSpec:
    """One generated global raster: file name, size, type, CRS and pixel size."""

    name: str
    width: int
    height: int
    dtype: str
    crs: str
    transform: Affine
    nodata: float | None

    @property
    def path(self) -> Path:
        return CACHE / f"{self.name}.tif"


def _geographic(name: str, width: int, dtype: str, nodata: float | None = None) -> RasterSpec:
    step = 360.0 / width
    return RasterSpec(
        name, width, width // 2, dtype, "EPSG:4326", Affine(step, 0, -180, 0, -step, 90), nodata
    )


RASTERS = {
    "uint8": _geographic("world_uint8_43200", 43_200, "uint8"),
    "uint8_4x": _geographic("world_uint8_86400", 86_400, "uint8"),
    "float32": _geographic("world_float32_43200", 43_200, "float32", nodata=-9999.0),
    "mollweide": RasterSpec(
        "world_mollweide_1km",
        36_082,
        18_042,
        "uint8",
        "ESRI:54009",
        Affine(1000.0, 0, -MOLLWEIDE_HALF_WIDTH, 0, -1000.0, MOLLWEIDE_HALF_HEIGHT),
        255,
    ),
}


def _field(x: NDArray[np.float32], y: NDArray[np.float32]) -> NDArray[np.float32]:
    """A smooth pseudo-terrain in -1..1 on the grid of longitudes ``x`` and latitudes ``y``.

    Three waves, each written as a sum of products of one-dimensional terms so the 2-D
    field costs a few multiply-adds per pixel: generating stays fast for 3.7 Gpx.
    """
    lon, lat = np.radians(x)[np.newaxis], np.radians(y)[:, np.newaxis]
    warp = 3 * np.sin(2 * lat)
    bend = 5 * np.sin(lon)
    field = 0.45 * np.sin(3 * lon + 1.3) * np.cos(2 * lat)
    field = field + 0.3 * (np.sin(7 * lon - 0.4) * np.cos(warp))
    field += 0.3 * (np.cos(7 * lon - 0.4) * np.sin(warp))
    field += 0.25 * (np.cos(17 * lat) * np.cos(bend))
    field -= 0.25 * (np.sin(17 * lat) * np.sin(bend))
    values: NDArray[np.float32] = field.astype(np.float32)
    return values


def _strip(spec: RasterSpec, row: int, height: int) -> NDArray[np.generic]:
    """Pixel values of rows ``row .. row + height``: smooth classes plus noise.

    Integers are twelve classes of the smooth field with about 5 % of pixels replaced by
    noise; floats are a hazard-like depth (zero on most land, a positive continuous value
    in "flooded" classes) with nodata over part of the globe standing for sea.
    """
    t = spec.transform
    x = t.c + (np.arange(spec.width, dtype=np.float32) + 0.5) * t.a
    y = t.f + (np.arange(row, row + height, dtype=np.float32) + 0.5) * t.e
    if spec.crs != "EPSG:4326":
        # Mollweide metres scaled to a stand-in for degrees: the structure is what matters.
        x, y = x / MOLLWEIDE_HALF_WIDTH * 180, y / MOLLWEIDE_HALF_HEIGHT * 90
    field = _field(x, y)
    noise, chance = np.random.default_rng(row).integers(0, 256, (2, *field.shape), np.uint8)
    if np.dtype(spec.dtype).kind == "u":
        classes = ((field + 1) * 6).astype(np.uint8) * np.uint8(20)
        noisy = chance < 13
        classes[noisy] = noise[noisy] % 240
        return classes
    depth = np.where(field > 0.35, (field - 0.35) * 8, 0).astype(np.float32)
    depth += (noise.astype(np.float32) / 2560) * (depth > 0)
    depth = np.round(depth, 3)
    depth[field < -0.55] = spec.nodata
    return depth


def build_raster(spec: RasterSpec) -> Path:
    """Write ``spec`` as a tiled DEFLATE GeoTIFF (predictor for the type), if missing."""

    def build(target: Path) -> None:
        predictor = 3 if np.dtype(spec.dtype).kind == "f" else 2
        profile = {
            "driver": "GTiff",
            "width": spec.width,
            "height": spec.height,
            "count": 1,
            "dtype": spec.dtype,
            "crs": spec.crs,
            "transform": spec.transform,
            "nodata": spec.nodata,
            "tiled": True,
            "blockxsize": TILE,
            "blockysize": TILE,
            "compress": "DEFLATE",
            "predictor": predictor,
            "bigtiff": "YES",
            "num_threads": "ALL_CPUS",
        }
        with rasterio.Env(GDAL_CACHEMAX=256), rasterio.open(target, "w", **profile) as out:
            for row in range(0, spec.height, TILE):
                height = min(TILE, spec.height - row)
                out.write(_strip(spec, row, height), 1, window=Window(0, row, spec.width, height))

    return cached(spec.path, build)


#: Vector inputs: name and number of LineStrings.
VECTORS = {"lines_1m": 1_000_000, "lines_4m": 4_000_000}
_VECTOR_BATCH = 250_000


def vector_path(name: str) -> Path:
    return CACHE / f"{name}.gpkg"


def _lines(rng: np.random.Generator, n: int) -> NDArray[np.object_]:
    """``n`` road-like LineStrings of 2..9 vertices, starting anywhere on land-ish latitudes."""
    vertices = rng.integers(2, 10, n)
    total = int(vertices.sum())
    starts = np.column_stack([rng.uniform(-180, 180, n), rng.uniform(-60, 75, n)])
    steps = rng.normal(0, 0.02, (total, 2))
    first = np.concatenate([[0], np.cumsum(vertices)[:-1]])
    steps[first] = starts
    index = np.repeat(np.arange(n), vertices)
    coords = np.cumsum(steps, axis=0)
    coords -= np.repeat(coords[first] - starts, vertices, axis=0)
    coords[:, 0] = np.clip(coords[:, 0], -180, 180)
    coords[:, 1] = np.clip(coords[:, 1], -89, 89)
    lines: NDArray[np.object_] = shapely.linestrings(coords, indices=index)
    return lines


def build_vector(name: str) -> Path:
    """Write ``name``'s LineStrings with attributes to an indexed GeoPackage, if missing."""
    count = VECTORS[name]

    def build(target: Path) -> None:
        rng = np.random.default_rng(7)
        for start in range(0, count, _VECTOR_BATCH):
            n = min(_VECTOR_BATCH, count - start)
            ids = np.arange(start, start + n, dtype=np.int64)
            pyogrio.raw.write(
                target,
                shapely.to_wkb(_lines(rng, n)),
                [ids, rng.integers(1, 6, n).astype(np.int32), np.round(rng.uniform(0, 120, n), 1)],
                ["id", "class", "speed"],
                layer="roads",
                driver="GPKG",
                geometry_type="LineString",
                crs="EPSG:4326",
                append=start > 0,
                promote_to_multi=False,
            )

    return cached(vector_path(name), build)


def cached(path: Path, build: Callable[[Path], None]) -> Path:
    """Return ``path``, first building it under a temporary name if it does not exist."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".partial-{path.name}")
    partial.unlink(missing_ok=True)
    build(partial)
    os.replace(partial, path)
    return path
