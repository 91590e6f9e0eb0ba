"""How clipped rasters are written: the scratch GeoTIFF and the final COG's options."""

from __future__ import annotations

from contextlib import suppress

import numpy as np
from rasterio.crs import CRS
from rasterio.io import DatasetReader, DatasetWriter

from autopkg.clip.grid import OutputGrid

#: Tile edge in pixels, both for processing and for the COG's internal tiling.
TILE = 512

#: Compressions that keep values bit-identical, with whether a predictor applies.
COMPRESSIONS = {"DEFLATE": True, "ZSTD": True, "LZW": True, "NONE": False}


def scratch_profile(
    source: DatasetReader, grid: OutputGrid, crs: CRS, fill: float | int
) -> dict[str, object]:
    """Creation profile of the uncompressed, tiled, sparse scratch GeoTIFF.

    Sparse: tiles never written (outside the boundary) cost nothing and read as nodata.
    """
    return {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": source.count,
        "dtype": source.dtypes[0],
        "crs": crs,
        "transform": grid.transform,
        "nodata": fill,
        "tiled": True,
        "blockxsize": TILE,
        "blockysize": TILE,
        "sparse_ok": True,
        "bigtiff": "IF_NEEDED",
    }


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


def cog_options(dtype: str, compress: str) -> dict[str, str | int]:
    """COG creation options: 512 tiles, overviews, lossless compression, threads.

    Overviews use nearest neighbour for integers (often classes, never averaged) and
    average for floats (continuous quantities).
    """
    is_float = np.dtype(dtype).kind == "f"
    options: dict[str, str | int] = {
        "BLOCKSIZE": TILE,
        "COMPRESS": compress,
        "OVERVIEW_RESAMPLING": "AVERAGE" if is_float else "NEAREST",
        "NUM_THREADS": "ALL_CPUS",
        "BIGTIFF": "IF_SAFER",
    }
    if COMPRESSIONS[compress]:
        options["PREDICTOR"] = "FLOATING_POINT" if is_float else "STANDARD"
    return options
