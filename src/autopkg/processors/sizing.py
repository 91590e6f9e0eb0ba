"""Estimating a processor's output from fixed facts, without fetching any source.

Rasters: the publisher's grid (size, transform, CRS, pixel type) is a constant of the
processor module, so the clip's output window is computed exactly as the clip will
compute it (the boundary densified and projected, one window per side of ±180° for
grids that cannot wrap), and only the bytes depend on how well the pixels compress: a
stated ratio of compressed to raw bytes, plus a fixed overhead per file.

Vectors: a stated global feature count times the boundary's share of the world's land
area, and a stated size per feature. Features are not spread evenly over land, so such
an estimate is within a factor of about 10 for most countries (low for dense, built-up
countries, high for deserts); good enough to refuse a job a hundred times too large.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS
from rasterio.errors import RasterioError
from shapely.geometry.base import BaseGeometry

from autopkg.clip.geometry import antimeridian_sides, boundary_in_crs, repair
from autopkg.clip.grid import plan_grid, wraps
from autopkg.errors import SourceError
from autopkg.processors.estimate import Estimate

#: Bytes of a COG beyond its pixels: header, tile index, overview directories.
COG_OVERHEAD_BYTES = 1024
#: Bytes of an empty GeoPackage with one layer and its spatial index (SQLite pages).
GPKG_OVERHEAD_BYTES = 100_000
#: The world's land area in m² (about 149 million km², Antarctica included).
LAND_AREA_M2 = 1.49e14
_EQUAL_AREA_CRS = "ESRI:54009"


@dataclass(frozen=True)
class SourceGrid:
    """What a processor relies on about a publisher's raster grid (see docs/sources.md)."""

    crs: str
    transform: Affine
    width: int
    height: int
    dtype: str
    count: int = 1


def north_up(west: float, north: float, pixel: float) -> Affine:
    """The transform of a grid of square ``pixel`` cells from its top-left corner."""
    return Affine(pixel, 0.0, west, 0.0, -pixel, north)


def window_pixels(grid: SourceGrid, boundary: BaseGeometry, *, split: bool = True) -> list[int]:
    """The pixels of each output raster one source file gives (one per side of ±180°).

    Mirrors :func:`autopkg.processors.rasters.clip_to_cogs` (``split``: a grid that
    cannot wrap gives one file per side) or, without ``split``, ``Processor.clip_to_cog``
    (one file); a boundary covering no pixel still gives a 1x1 file.
    """
    crs = CRS.from_user_input(grid.crs)
    geographic = crs.is_geographic
    whole = repair(boundary)
    periodic = wraps(grid.transform, grid.width, geographic=geographic)
    sides = antimeridian_sides(whole) if split and not periodic else ()
    pixels = []
    for _, side in sides or ((None, whole),):
        local = repair(boundary_in_crs(side, crs.to_wkt()))
        planned = plan_grid(local, grid.transform, grid.width, grid.height, geographic=geographic)
        pixels.append(planned.width * planned.height if planned else 1)
    return pixels


def raster_estimate(
    grid: SourceGrid,
    boundary: BaseGeometry,
    *,
    ratio: float,
    files: int = 1,
    split: bool = True,
) -> Estimate:
    """The estimate of clipping ``files`` source rasters on ``grid`` to ``boundary``.

    ``ratio`` is the compressed size of the output's pixels over their raw size
    (overviews included), stated by each processor for its data; ``split`` is as for
    :func:`window_pixels`.
    """
    per_side = window_pixels(grid, boundary, split=split)
    pixels = sum(per_side)
    raw = pixels * np.dtype(grid.dtype).itemsize * grid.count
    one_file = math.ceil(raw * ratio) + COG_OVERHEAD_BYTES * len(per_side)
    return Estimate(bytes=one_file * files, files=len(per_side) * files, pixels=pixels * files)


def land_share(boundary: BaseGeometry) -> float:
    """The boundary's area as a share of the world's land area (0-1), on an equal-area CRS."""
    area = float(repair(boundary_in_crs(repair(boundary), _EQUAL_AREA_CRS)).area)
    return min(1.0, area / LAND_AREA_M2)


def vector_estimate(
    boundary: BaseGeometry, *, global_features: int, bytes_per_feature: int
) -> Estimate:
    """The estimate of one GeoPackage of a global layer's features inside ``boundary``."""
    features = math.ceil(global_features * land_share(boundary))
    return Estimate(
        bytes=GPKG_OVERHEAD_BYTES + features * bytes_per_feature, files=1, features=features
    )


def check_grid(src: str | Path, grid: SourceGrid, *, name: str) -> None:
    """Refuse a source raster whose grid is not the one the estimates were made from.

    Raises:
        SourceError: naming the file, its grid and the expected one.
    """
    try:
        with rasterio.open(str(src)) as source:
            width, height, transform = source.width, source.height, source.transform
    except RasterioError as exc:
        raise SourceError(f"cannot read the raster {name}: {exc}") from None
    same = (width, height) == (grid.width, grid.height) and all(
        math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        for a, b in zip(transform[:6], grid.transform[:6], strict=True)
    )
    if not same:
        raise SourceError(
            f"{name} is a {width}x{height} grid from ({transform.c}, {transform.f}) with "
            f"{transform.a} x {-transform.e} pixels; expected {grid.width}x{grid.height} from "
            f"({grid.transform.c}, {grid.transform.f}) with {grid.transform.a} x "
            f"{-grid.transform.e} pixels, the published grid this processor's estimates use"
        )
