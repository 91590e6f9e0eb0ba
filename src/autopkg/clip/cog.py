"""How clipped rasters are written: the scratch GeoTIFF and the final COG's options."""

from __future__ import annotations

from contextlib import suppress

import numpy as np
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.io import DatasetReader, DatasetWriter

from autopkg.clip.budget import threads_per_clip
from autopkg.clip.grid import OutputGrid

#: Tile edge in pixels, both for processing and for the COG's internal tiling.
TILE = 512

#: Smallest tile edge a COG may use (GDAL requires multiples of 16).
_MIN_TILE = 16

#: Largest window (uncompressed bytes, one level) given an uncompressed scratch GeoTIFF.
#: Below it, skipping a compression pass is fastest and the scratch file stays small;
#: above it, a whole window uncompressed (a 10 m grid of a large country: hundreds of GB)
#: would not fit the scratch disk, so the scratch is compressed with ZSTD at its fastest
#: level and stays near the size of the COG made from it.
SCRATCH_UNCOMPRESSED_LIMIT = 1 << 30

#: Compressions that keep values bit-identical, with whether a predictor applies.
COMPRESSIONS = {"DEFLATE": True, "ZSTD": True, "LZW": True, "NONE": False}


def block_size(width: int, height: int) -> int:
    """Tile edge of a clip's files: :data:`TILE`, or less for a clip smaller than a tile.

    A clip that fits in one tile gets the smallest power of two from 16 that holds it,
    so a small country's clip of a coarse grid is not padded to 512x512: the files stay
    small and writing them is several times faster (datasets of hundreds of files).
    """
    edge = _MIN_TILE
    while edge < TILE and edge < max(width, height):
        edge *= 2
    return edge


def scratch_profile(
    source: DatasetReader,
    grid: OutputGrid,
    crs: CRS,
    fill: float | int,
    limit: int = SCRATCH_UNCOMPRESSED_LIMIT,
) -> dict[str, object]:
    """Creation profile of the tiled, sparse scratch GeoTIFF of a clip.

    Sparse: tiles never written (outside the boundary) cost nothing and read as nodata.
    Uncompressed up to ``limit`` bytes of pixels, else ZSTD at level 1 and BigTIFF (see
    :data:`SCRATCH_UNCOMPRESSED_LIMIT`).
    """
    block = block_size(grid.width, grid.height)
    profile: dict[str, object] = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": source.count,
        "dtype": source.dtypes[0],
        "crs": crs,
        "transform": grid.transform,
        "nodata": fill,
        "tiled": True,
        "blockxsize": block,
        "blockysize": block,
        "sparse_ok": True,
        "bigtiff": "IF_NEEDED",
    }
    size = grid.width * grid.height * source.count * np.dtype(source.dtypes[0]).itemsize
    if size > limit:
        # GDAL cannot tell in advance whether a compressed file passes 4 GB.
        profile.update(compress="ZSTD", zstd_level=1, bigtiff="YES")
    return profile


def copy_descriptions(source: DatasetReader, out: DatasetWriter) -> None:
    """Carry band interpretation, colour table, names, units, scales and tags over."""
    out.colorinterp = source.colorinterp
    out.descriptions = source.descriptions
    out.units = source.units
    out.scales = source.scales
    out.offsets = source.offsets
    out.update_tags(**source.tags())
    # rasterio signals "no colour table" with ValueError.
    with suppress(ValueError):
        out.write_colormap(1, source.colormap(1))


def overview_resampling(dtype: str) -> Resampling:
    """Nearest neighbour for integers (often classes, never averaged), average for floats."""
    return Resampling.average if np.dtype(dtype).kind == "f" else Resampling.nearest


def overview_factors(width: int, height: int) -> list[int]:
    """Decimation factors 2, 4, 8… until the smallest overview fits in one tile.

    The same levels GDAL's COG driver would make: none for a grid that fits in a tile.
    """
    factors: list[int] = []
    while max(width, height) > TILE:
        width, height = width // 2, height // 2
        factors.append(2 ** (len(factors) + 1))
    return factors


def cog_options(dtype: str, compress: str, block: int = TILE) -> dict[str, str | int]:
    """COG creation options: ``block`` tiles (see :func:`block_size`), lossless compression.

    The overviews (see :func:`overview_resampling`) are built into the scratch file
    before the copy, so the COG driver reuses them instead of computing them into a
    temporary ZSTD file and decompressing that again.
    """
    is_float = np.dtype(dtype).kind == "f"
    options: dict[str, str | int] = {
        "BLOCKSIZE": block,
        "COMPRESS": compress,
        "OVERVIEW_RESAMPLING": overview_resampling(dtype).name.upper(),
        "NUM_THREADS": threads_per_clip(),
        "BIGTIFF": "IF_SAFER",
    }
    if COMPRESSIONS[compress]:
        options["PREDICTOR"] = "FLOATING_POINT" if is_float else "STANDARD"
    return options
