"""Clip a raster to a boundary into a Cloud Optimized GeoTIFF, tile by tile.

The output grid is a window of the source grid (same CRS, same pixels, no resampling;
see :mod:`autopkg.clip.grid`). Pixels whose centre is inside the boundary keep their
source values bit for bit; every other pixel is nodata. The window is processed in
512x512 tiles, so memory stays bounded whatever the source or window size: tiles
outside the boundary are never read, tiles wholly inside are not masked. The tiles go
to a scratch GeoTIFF beside the output, which gets its overviews; GDAL's COG driver
then compresses both and lays them out as a COG. The scratch file is uncompressed for a
window up to a gigabyte and compressed above (:func:`autopkg.clip.cog.scratch_profile`),
so a window of a huge grid (a large country at 10 m, read through a VRT mosaic) streams
tile by tile into scratch space about the size of the output. GDAL's block cache and
thread count are per process, sized once by :func:`autopkg.clip.budget.configure_gdal`
for the clips the process runs at once; a clip never changes them for other threads.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import rasterio.shutil
import shapely
from affine import Affine
from numpy.typing import NDArray
from rasterio.crs import CRS
from rasterio.errors import RasterioError
from rasterio.features import geometry_mask
from rasterio.io import DatasetReader, DatasetWriter
from rasterio.windows import Window
from shapely.geometry import MultiPolygon, box
from shapely.geometry.base import BaseGeometry

from autopkg.clip.budget import threads_per_clip
from autopkg.clip.cog import (
    COMPRESSIONS,
    SCRATCH_UNCOMPRESSED_LIMIT,
    TILE,
    block_size,
    cog_options,
    copy_descriptions,
    overview_factors,
    overview_resampling,
    scratch_profile,
)
from autopkg.clip.geometry import antimeridian_sides, boundary_in_crs, repair
from autopkg.clip.grid import OutputGrid, plan_grid, wraps
from autopkg.clip.staging import move_into_place, staging_dir
from autopkg.errors import ClipError

#: Share of the progress bar given to masking; the COG copy reports no progress.
_MASK_SHARE = 0.7


@dataclass(frozen=True)
class RasterClip:
    """A written raster clip: its size, type, nodata and whether any pixel was inside."""

    path: Path
    width: int
    height: int
    count: int
    dtype: str
    nodata: float | int
    empty: bool


def clip_raster(
    src: str | Path,
    geometry: BaseGeometry,
    dst: str | Path,
    *,
    progress: Callable[[float], None] | None = None,
    compress: str = "DEFLATE",
    nodata: float | int | None = None,
    scratch_limit: int = SCRATCH_UNCOMPRESSED_LIMIT,
) -> RasterClip:
    """Clip the raster ``src`` to ``geometry`` (EPSG:4326) and write a COG at ``dst``.

    Args:
        src: any GDAL-readable raster path, ``/vsizip/...`` included. A source without a
            CRS is taken to be in EPSG:4326.
        geometry: the boundary, repaired with :func:`~autopkg.clip.geometry.repair`;
            densified and reprojected when the source uses another CRS.
        dst: the output path; its folder is created, an existing file is replaced.
        progress: called with a growing fraction 0..1 as the work advances.
        compress: ``DEFLATE`` (default), ``ZSTD``, ``LZW`` or ``NONE``; the predictor is
            horizontal differencing for integers and floating point for floats.
        nodata: value for pixels outside the boundary when the source has none. Without
            either, the value is 0 for unsigned integers, the type's minimum for signed
            integers and NaN for floats; a source pixel that already holds it then reads
            as nodata too.
        scratch_limit: the largest window, in bytes of pixels, written to an
            uncompressed scratch file; larger ones are compressed on the way (see
            :data:`~autopkg.clip.cog.SCRATCH_UNCOMPRESSED_LIMIT`). The output is the
            same either way.

    Returns:
        The clip's description. The output is cropped to the pixel centres inside the
        boundary; a boundary crossing the antimeridian gives one grid running past 180°
        when the source is geographic and global. ``empty`` is true when no pixel centre
        is inside the boundary: the file is then still a valid COG, all nodata (1x1 when
        the boundary misses the source entirely).

    Raises:
        ClipError: the source cannot be read, the output cannot be written, or the
            arguments do not fit the source (nodata outside the data type).
    """
    if compress.upper() not in COMPRESSIONS:
        raise ClipError(f"unsupported compression {compress!r}; use one of {sorted(COMPRESSIONS)}")
    dst = Path(dst)
    report = progress or _ignore
    boundary = repair(geometry)
    try:
        # Thread-local: other clips running in this process keep their own setting.
        env = rasterio.Env(GDAL_NUM_THREADS=str(threads_per_clip()))
        with env, _open(src) as source:
            clip = _clip_open(
                source, boundary, dst, compress.upper(), nodata, report, scratch_limit
            )
    except RasterioError as exc:
        raise ClipError(f"cannot clip raster {src}: {exc}") from exc
    report(1.0)
    return clip


def _clip_open(
    source: DatasetReader,
    boundary: BaseGeometry,
    dst: Path,
    compress: str,
    nodata: float | int | None,
    report: Callable[[float], None],
    scratch_limit: int,
) -> RasterClip:
    """Clip an open source: plan the grid, mask tile by tile, convert to a COG."""
    fill = _nodata(source, nodata)
    crs = source.crs or CRS.from_epsg(4326)
    local = repair(boundary_in_crs(boundary, crs.to_wkt()))
    grid = plan_grid(
        local, source.transform, source.width, source.height, geographic=crs.is_geographic
    )
    target = grid or _placeholder(source, local)
    with staging_dir(dst) as scratch:
        masked = scratch / "masked.tif"
        with rasterio.open(
            masked, "w", **scratch_profile(source, target, crs, fill, scratch_limit)
        ) as out:
            copy_descriptions(source, out)
            inside = grid is not None and _write_tiles(source, grid, out, fill, report)
            factors = overview_factors(target.width, target.height)
            if factors:
                out.build_overviews(factors, overview_resampling(source.dtypes[0]))
        cog = scratch / "clip.tif"
        options = cog_options(source.dtypes[0], compress, block_size(target.width, target.height))
        rasterio.shutil.copy(masked, cog, driver="COG", **options)
        move_into_place(cog, dst)
    return RasterClip(
        path=dst,
        width=target.width,
        height=target.height,
        count=source.count,
        dtype=source.dtypes[0],
        nodata=fill,
        empty=not inside,
    )


def _ignore(_fraction: float) -> None:
    """Progress sink used when the caller passes none."""


def _open(src: str | Path) -> DatasetReader:
    """Open a raster source, turning GDAL's refusal into a ClipError naming the file."""
    try:
        return rasterio.open(str(src))
    except RasterioError as exc:
        raise ClipError(f"cannot read raster {src}: {exc}") from exc


def _nodata(source: DatasetReader, requested: float | int | None) -> float | int:
    """Pick the output nodata: the source's, else the requested one, else a default."""
    kind = np.dtype(source.dtypes[0]).kind
    value = source.nodata if source.nodata is not None else requested
    if kind == "f":
        return float("nan") if value is None else float(value)
    if kind not in "iu":
        raise ClipError(f"cannot clip the {source.dtypes[0]} pixels of {source.name}")
    info = np.iinfo(source.dtypes[0])
    if value is None:
        return 0 if kind == "u" else int(info.min)
    if math.isnan(value) or not float(value).is_integer() or not info.min <= value <= info.max:
        raise ClipError(
            f"nodata {value} does not fit the {source.dtypes[0]} pixels of {source.name}"
        )
    return int(value)


def _placeholder(source: DatasetReader, boundary: BaseGeometry) -> OutputGrid:
    """A 1x1 grid at the boundary's location, for a boundary that covers no pixel."""
    point = boundary.representative_point()
    col, row = ~source.transform @ (point.x, point.y)
    transform = source.transform @ Affine.translation(math.floor(col), math.floor(row))
    return OutputGrid(0, 0, 1, 1, transform, None, shapely.MultiPolygon())


def _write_tiles(
    source: DatasetReader,
    grid: OutputGrid,
    out: DatasetWriter,
    fill: float | int,
    report: Callable[[float], None],
) -> bool:
    """Mask and write every tile of ``grid`` touching the boundary; True if any pixel is in.

    The boundary is cut to each row of tiles, then to each tile (with a pixel of margin),
    so rasterising a tile costs the boundary edges near it, not the whole border.
    """
    shapely.prepare(grid.boundary)
    step_x, step_y = grid.transform.a, grid.transform.e
    rows = range(0, grid.height, TILE)
    inside = False
    for done, row in enumerate(rows, start=1):
        height = min(TILE, grid.height - row)
        top = grid.transform.f + row * step_y
        band = shapely.clip_by_rect(
            grid.boundary,
            grid.transform.c - step_x,
            top + (height + 1) * step_y,
            grid.transform.c + (grid.width + 1) * step_x,
            top - step_y,
        )
        if band.is_empty:
            report(_MASK_SHARE * done / len(rows))
            continue
        for col in range(0, grid.width, TILE):
            width = min(TILE, grid.width - col)
            tile = grid.transform @ Affine.translation(col, row)
            outside = _tile_outside(grid, band, tile, height, width)
            if outside is None or not outside.all():
                data = _read_tile(source, grid, row, col, height, width, fill)
                if outside is not None:
                    np.copyto(data, np.asarray(fill, dtype=data.dtype), where=outside)
                out.write(data, window=Window(col, row, width, height))
                inside = True
        report(_MASK_SHARE * done / len(rows))
    return inside


def _tile_outside(
    grid: OutputGrid, band: BaseGeometry, tile: Affine, height: int, width: int
) -> NDArray[np.bool_] | None:
    """Pixels of a tile whose centre is outside the boundary; ``None`` means none is."""
    west, north = tile.c, tile.f
    centres = box(
        west + tile.a / 2,
        north + (height - 0.5) * tile.e,
        west + (width - 0.5) * tile.a,
        north + tile.e / 2,
    )
    if grid.boundary.contains_properly(centres):
        return None
    near = shapely.clip_by_rect(
        band,
        west - tile.a,
        north + (height + 1) * tile.e,
        west + (width + 1) * tile.a,
        north - tile.e,
    )
    if near.is_empty:
        return np.ones((height, width), dtype=bool)
    outside: NDArray[np.bool_] = geometry_mask([near], out_shape=(height, width), transform=tile)
    return outside


def _read_tile(
    source: DatasetReader,
    grid: OutputGrid,
    row: int,
    col: int,
    height: int,
    width: int,
    fill: float | int,
) -> NDArray[np.generic]:
    """Read the source pixels of one output tile, wrapping in longitude if needed.

    Columns the source does not cover hold ``fill``.
    """
    runs = list(grid.source_runs(col, col + width, source.width))
    if len(runs) == 1 and runs[0][0] == col and runs[0][2] == width:
        data: NDArray[np.generic] = source.read(
            window=Window(runs[0][1], grid.row_off + row, width, height)
        )
        return data
    data = np.full((source.count, height, width), fill, dtype=source.dtypes[0])
    for out_col, src_col, count in runs:
        offset = out_col - col
        data[:, :, offset : offset + count] = source.read(
            window=Window(src_col, grid.row_off + row, count, height)
        )
    return data


def raster_sides(
    src: str | Path, geometry: BaseGeometry
) -> tuple[tuple[str | None, MultiPolygon], ...]:
    """Say how to clip ``src`` to ``geometry``: whole, or one side of ±180° at a time.

    A source whose columns go round the globe (geographic and global) gets one clip
    even for a boundary crossing the antimeridian (see :mod:`autopkg.clip.grid`). Any
    other grid, Mollweide for one, cannot wrap, so such a boundary is clipped as its
    ``east`` and ``west`` sides (:func:`~autopkg.clip.geometry.antimeridian_sides`),
    each into its own tight raster, rather than into one raster as wide as the world.

    Returns:
        ``((None, boundary),)`` for one clip, else ``(("east", …), ("west", …))``: the
        name of each side and the (repaired, EPSG:4326) geometry to pass to
        :func:`clip_raster`.

    Raises:
        ClipError: the source cannot be read or the geometry encloses no area.
    """
    boundary = repair(geometry)
    try:
        with _open(src) as source:
            crs = source.crs or CRS.from_epsg(4326)
            periodic = wraps(source.transform, source.width, geographic=crs.is_geographic)
    except RasterioError as exc:
        raise ClipError(f"cannot read raster {src}: {exc}") from exc
    sides = () if periodic else antimeridian_sides(boundary)
    return sides or ((None, boundary),)
