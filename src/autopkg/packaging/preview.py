"""Quicklook PNGs of published files, drawn with the clip engine's libraries.

A raster preview reads the first band (or bands 1-3 of an 8-bit RGB image) decimated
to at most :data:`PREVIEW_SIZE` pixels a side through ``out_shape``, so GDAL serves it
from the COG's overviews: time and memory depend on the preview's size, not the
file's. One band is coloured on a linear ramp between the 2nd and 98th percentile of
its valid cells (values beyond are clamped); NoData is transparent. A raster smaller
than the preview is enlarged by a whole factor with nearest neighbour, so its cells
stay sharp.

A vector preview draws the features (streamed in Arrow batches, geometry only) over
the boundary, in the layer's coordinates, framed on the boundary; points are drawn as
dots a few pixels wide. PNGs are written by GDAL's PNG driver into memory.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import rasterio
import shapely
from numpy.typing import NDArray
from pyogrio.errors import DataLayerError, DataSourceError
from pyogrio.raw import open_arrow
from rasterio.enums import ColorInterp, Resampling
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.features import rasterize
from rasterio.io import MemoryFile
from rasterio.transform import from_bounds
from shapely import affinity
from shapely.errors import ShapelyError
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from autopkg.clip.geometry import antimeridian_parts, boundary_in_crs
from autopkg.domain.outputs import GPKG_MEDIATYPE
from autopkg.errors import ClipError

logger = logging.getLogger(__name__)

#: Longest side of a preview, in pixels.
PREVIEW_SIZE = 512
#: Colours of the one-band ramp, low to high (the anchors of matplotlib's viridis).
RAMP = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")
#: Percentiles of the valid cells mapped to the ends of the ramp.
STRETCH = (2.0, 98.0)
BOUNDARY_COLOUR = "#d9d9d9"
OUTLINE_COLOUR = "#737373"
FEATURE_COLOUR = "#d62728"
#: Most source cells a raster preview may decode (an 8192 x 8192 grid): without
#: overviews GDAL decodes every cell, and a 24000 x 12000 float grid then took minutes.
MAX_DECODED_CELLS = 1 << 26
#: Features per Arrow batch read for a vector preview.
BATCH_FEATURES = 16_384
_EAST = np.array([360.0, 0.0])
_RGB = (ColorInterp.red, ColorInterp.green, ColorInterp.blue)


class PreviewTooCostlyError(Exception):
    """A raster too large to preview within bounded time (it has no overviews)."""


@dataclass(frozen=True)
class Preview:
    """A rendered preview: PNG bytes, their size and how colours map to values.

    ``legend`` is what the dataset page states: ``{"type": "linear", "band": 1, "min",
    "max", "colours", "stretch"}`` for one band (``min``/``max`` ``None`` when no cell
    is valid), ``{"type": "rgb", "bands": [1, 2, 3]}`` for a colour image, or
    ``{"type": "features", "features", "boundary"}`` for a vector layer.
    """

    png: bytes
    width: int
    height: int
    legend: dict[str, Any]


def render_raster(path: Path) -> Preview:
    """Render a raster's preview (see the module docstring for the colour rules).

    Raises:
        rasterio.errors.RasterioError: the file is not a raster GDAL can read.
        PreviewTooCostlyError: reading it would decode more than
            :data:`MAX_DECODED_CELLS` cells (a large grid without overviews).
    """
    with rasterio.open(path) as src:
        height, width = _preview_shape(src.width, src.height)
        decoded = _cells_decoded(src.width, src.height, src.overviews(1), width)
        if decoded > MAX_DECODED_CELLS:
            raise PreviewTooCostlyError(
                f"{src.width}x{src.height} cells without a suitable overview "
                f"({decoded} cells to decode, more than {MAX_DECODED_CELLS})"
            )
        rgb = src.count >= 3 and src.dtypes[0] == "uint8" and tuple(src.colorinterp[:3]) == _RGB
        bands = [1, 2, 3] if rgb else [1]
        data = src.read(bands, out_shape=(len(bands), height, width), resampling=Resampling.nearest)
        if src.nodata is None:
            invalid = src.dataset_mask(out_shape=(height, width)) == 0
        else:
            # Compared here rather than by GDAL's mask, which would decode every cell again.
            invalid = (data == np.asarray(src.nodata, dtype=data.dtype)).any(axis=0)
    alpha = np.where(invalid, 0, 255).astype(np.uint8)
    if rgb:
        colours = data.astype(np.uint8)
        legend: dict[str, Any] = {"type": "rgb", "bands": bands}
    else:
        values = data[0].astype(np.float64)
        invalid |= ~np.isfinite(values)
        alpha[invalid] = 0
        colours, low, high = _colour_ramp(values, invalid)
        legend = {
            "type": "linear",
            "band": 1,
            "min": low,
            "max": high,
            "colours": list(RAMP),
            "stretch": list(STRETCH),
        }
    # Clear pixels are all zero, so they compress to nothing and show no stray colour.
    colours = np.where(invalid, 0, colours).astype(np.uint8)
    return Preview(png_bytes(np.concatenate([colours, alpha[None]])), width, height, legend)


def render_vector(path: Path, boundary: MultiPolygon) -> Preview:
    """Render a vector layer's features over ``boundary`` (WGS84), framed on the boundary.

    A layer in another CRS gets the boundary projected into it; in WGS84 a boundary
    across the antimeridian is framed as its contiguous parts, and each feature is
    drawn both where it is and 360° east, so the copy inside the frame shows.

    Raises:
        pyogrio.errors.DataSourceError: the file is not a vector layer OGR can read.
        ClipError: the layer's CRS is unknown or does not cover the boundary.
    """
    crs = pyogrio.read_info(path).get("crs")
    frame, (west, south, east, north), wraps = vector_frame(boundary, crs)
    height, width = _frame_shape(east - west, north - south)
    transform = from_bounds(west, south, east, north, width, height)
    canvas = np.zeros((height, width), dtype=np.uint8)
    rasterize([(frame, 1)], out=canvas, transform=transform)
    rasterize([(frame.boundary, 2)], out=canvas, transform=transform, all_touched=True)
    dot = 1.5 * abs(transform.a)
    for geometries in _geometry_batches(path):
        drawn = _dots(geometries, dot)
        if wraps:
            drawn = np.concatenate([drawn, shapely.transform(drawn, lambda c: c + _EAST)])
        rasterize(((g, 3) for g in drawn), out=canvas, transform=transform, all_touched=True)
    palette = np.array(
        [[0, 0, 0, 0], _rgba(BOUNDARY_COLOUR), _rgba(OUTLINE_COLOUR), _rgba(FEATURE_COLOUR)],
        dtype=np.uint8,
    )
    legend = {"type": "features", "features": FEATURE_COLOUR, "boundary": BOUNDARY_COLOUR}
    return Preview(png_bytes(np.moveaxis(palette[canvas], -1, 0)), width, height, legend)


def vector_frame(
    boundary: MultiPolygon, crs: str | None
) -> tuple[BaseGeometry, tuple[float, float, float, float], bool]:
    """Return the boundary as a vector preview draws it, the picture's extent, and whether
    it wraps (features are then drawn 360° east too).

    The extent is the boundary's in ``crs`` (``None``: WGS84) with a 2 % margin; in
    WGS84 a boundary across the antimeridian is placed as its contiguous parts.

    Raises:
        ClipError: ``crs`` is unknown or does not cover the boundary.
    """
    shifted = [affinity.translate(p, xoff=s) for p, s in antimeridian_parts(boundary)]
    wraps = crs in (None, "EPSG:4326") and any(s for _, s in antimeridian_parts(boundary))
    frame: BaseGeometry = (
        MultiPolygon(shifted) if wraps else boundary_in_crs(boundary, crs or "EPSG:4326")
    )
    west, south, east, north = frame.bounds
    margin = max(east - west, north - south) * 0.02 or 0.01
    return frame, (west - margin, south - margin, east + margin, north + margin), wraps


def _cells_decoded(width: int, height: int, factors: list[int], out_width: int) -> int:
    """Return how many cells GDAL decodes to read a ``out_width`` wide preview.

    GDAL reads from the most decimated overview that is still at least as wide as the
    preview, or from the full grid when there is none.
    """
    usable = [f for f in factors if width // f >= out_width]
    factor = max(usable, default=1)
    return (width // factor) * (height // factor)


def _preview_shape(width: int, height: int) -> tuple[int, int]:
    """Return ``(rows, columns)``: decimated to fit, or enlarged by a whole factor."""
    longest = max(width, height)
    if longest > PREVIEW_SIZE:
        scale = PREVIEW_SIZE / longest
        return max(1, round(height * scale)), max(1, round(width * scale))
    factor = PREVIEW_SIZE // longest
    return height * factor, width * factor


def _frame_shape(width: float, height: float) -> tuple[int, int]:
    """Return ``(rows, columns)`` of a frame ``width`` x ``height`` with a 512 long side."""
    if width >= height:
        return max(1, round(PREVIEW_SIZE * height / width)), PREVIEW_SIZE
    return PREVIEW_SIZE, max(1, round(PREVIEW_SIZE * width / height))


def _colour_ramp(
    values: NDArray[np.float64], invalid: NDArray[np.bool_]
) -> tuple[NDArray[np.uint8], float | None, float | None]:
    """Colour ``values`` on :data:`RAMP` between the :data:`STRETCH` percentiles.

    Returns:
        The ``(3, rows, columns)`` colours and the values at the ends of the ramp
        (``None`` when no cell is valid). A constant band gets the ramp's first colour.
    """
    valid = values[~invalid]
    if valid.size == 0:
        return np.zeros((3, *values.shape), dtype=np.uint8), None, None
    low, high = (float(v) for v in np.percentile(valid, STRETCH))
    span = high - low
    scaled = np.zeros(values.shape) if span <= 0 else (values - low) / span
    index = np.rint(np.clip(np.where(invalid, 0.0, scaled), 0.0, 1.0) * 255).astype(np.intp)
    anchors = np.array([_rgba(c)[:3] for c in RAMP], dtype=np.float64)
    positions = np.linspace(0.0, 1.0, len(RAMP))
    levels = np.linspace(0.0, 1.0, 256)
    table = np.stack([np.interp(levels, positions, anchors[:, i]) for i in range(3)])
    return np.rint(table).astype(np.uint8)[:, index], low, high


def _geometry_batches(path: Path) -> Iterator[NDArray[np.object_]]:
    """Yield the layer's geometries, one Arrow batch at a time (no attributes read)."""
    with open_arrow(path, columns=[], batch_size=BATCH_FEATURES, use_pyarrow=True) as (
        meta,
        reader,
    ):
        column = str(meta.get("geometry_name") or "wkb_geometry")
        for batch in reader:
            wkb = batch.column(column).to_numpy(zero_copy_only=False)
            geometries = shapely.from_wkb(wkb)
            yield geometries[~shapely.is_missing(geometries) & ~shapely.is_empty(geometries)]


def _dots(geometries: NDArray[np.object_], radius: float) -> NDArray[np.object_]:
    """Return ``geometries`` with points widened to discs of ``radius`` (else one pixel)."""
    points = np.isin(shapely.get_type_id(geometries), (0, 4))
    if not points.any():
        return geometries
    drawn = geometries.copy()
    drawn[points] = shapely.buffer(geometries[points], radius, quad_segs=2)
    return drawn


def _rgba(colour: str) -> tuple[int, int, int, int]:
    """Return ``#rrggbb`` as an opaque RGBA tuple."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16), 255


def png_bytes(bands: NDArray[np.uint8]) -> bytes:
    """Encode ``(4, rows, columns)`` RGBA bands as PNG bytes with GDAL's PNG driver."""
    count, height, width = bands.shape
    # No sidecar .aux.xml in /vsimem; a preview carries no georeferencing on purpose.
    with (
        rasterio.Env(GDAL_PAM_ENABLED="NO"),
        warnings.catch_warnings(),
        MemoryFile() as memory,
    ):
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with memory.open(
            driver="PNG", width=width, height=height, count=count, dtype="uint8"
        ) as out:
            out.write(bands)
        return bytes(memory.read())


def render_preview(path: Path, mediatype: str, boundary: MultiPolygon) -> Preview | None:
    """Render the preview of a published file, or return ``None`` if there is none.

    GeoTIFFs (``image/tiff…``) and GeoPackages get one; other formats do not. A file
    the renderer cannot read is logged and gets none: a preview illustrates the data,
    so it never stops the data from being published.
    """
    try:
        if mediatype.startswith("image/tiff"):
            return render_raster(path)
        if mediatype == GPKG_MEDIATYPE:
            return render_vector(path, boundary)
    except (
        RasterioError,
        DataSourceError,
        DataLayerError,
        ClipError,
        ShapelyError,
        PreviewTooCostlyError,
    ) as exc:
        logger.warning("no preview of %s: %s", path.name, exc)
    return None
