"""Estimating a processor's output from the facts known, without fetching any source.

Rasters: the publisher's grid (size, transform, CRS, pixel type) is the one last read
from the source (see :mod:`autopkg.processors.sourcefacts`), or before any run the
processor module's prior, so the clip's output window is computed exactly as the clip
will compute it (the boundary densified and projected, one window per side of ±180° for
grids that cannot wrap), and only the bytes depend on how well the pixels compress: a
stated ratio of compressed to raw bytes, plus a fixed overhead per file.

Vectors: a stated global feature count times the boundary's share of the world's land
area, and a stated size per feature. Features are not spread evenly over land, so such
an estimate is within a factor of about 10 for most countries (low for dense, built-up
countries, high for deserts); good enough to refuse a job a hundred times too large.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from autopkg.clip.geometry import antimeridian_sides, boundary_in_crs, repair
from autopkg.clip.grid import plan_grid, wraps
from autopkg.domain.estimate import Estimate
from autopkg.domain.facts import SourceFacts
from autopkg.domain.sources import Source
from autopkg.processors.base import EstimateContext

#: Bytes of a COG beyond its pixels: header, tile index, overview directories.
COG_OVERHEAD_BYTES = 1024
#: Bytes of an empty GeoPackage with one layer and its spatial index (SQLite pages).
GPKG_OVERHEAD_BYTES = 100_000
#: The world's land area in m² (about 149 million km², Antarctica included).
LAND_AREA_M2 = 1.49e14
_EQUAL_AREA_CRS = "ESRI:54009"


def window_pixels(grid: SourceFacts, boundary: BaseGeometry, *, split: bool = True) -> list[int]:
    """The pixels of each output raster one source file gives (one per side of ±180°).

    Mirrors ``Processor.clip_to_cogs`` (with ``split``, a grid that cannot wrap gives
    one file per side; without, one file); a boundary covering no pixel still gives a
    1x1 file.
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
    grid: SourceFacts,
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


def known_facts(
    ctx: EstimateContext, source: Source, prior: SourceFacts, member: str = ""
) -> SourceFacts:
    """The facts a run last read from ``source`` (its ``member``), else the ``prior``."""
    return ctx.last_seen(source, member) or prior


def rasters_estimate(
    grids: Sequence[SourceFacts], boundary: BaseGeometry, *, ratio: float
) -> Estimate:
    """The estimate of clipping one source raster on each of ``grids`` to ``boundary``.

    Files on the same grid are sized once: a dataset of hundreds of files has a few
    grids at most.
    """
    counts = Counter(
        (grid.crs, grid.transform, grid.width, grid.height, grid.dtype, grid.count)
        for grid in grids
    )
    total = Estimate(bytes=0, files=0, pixels=0)
    for (crs, transform, width, height, dtype, count), files in counts.items():
        grid = SourceFacts(crs, transform, width, height, dtype, count)
        total += raster_estimate(grid, boundary, ratio=ratio, files=files)
    return total


def files_estimate(
    ctx: EstimateContext, files: Iterable[tuple[Source, str]], prior: SourceFacts, *, ratio: float
) -> Estimate:
    """The estimate of a dataset of many rasters believed to share the grid ``prior``.

    ``files`` are each raster's source and member (``""``: the source itself); each is
    sized on the grid a run last read from it, else on ``prior`` (see
    :func:`rasters_estimate`).
    """
    grids = [known_facts(ctx, source, prior, member) for source, member in files]
    return rasters_estimate(grids, ctx.boundary.geometry, ratio=ratio)
