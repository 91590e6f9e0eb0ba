"""A mosaic of tiles, each placed by its own geotransform, as one GDAL VRT.

Some publishers cut a global grid into tiles (JRC's GHSL: 1000 km cells in Mollweide).
A processor fetches the tiles meeting the boundary and clips their mosaic, a VRT
(:func:`write_mosaic`): reading it reads only the tiles' blocks a window touches, so
memory stays bounded however many tiles there are. The tiles are the truth: each is
placed where its own transform says, whatever its width and height, as long as all
share one pixel lattice; the pixel type, NoData and CRS are theirs. The VRT covers the
whole grid given, so the clip's window does not depend on which tiles exist; where no
tile is, pixels read as NoData.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import rasterio
import rasterio.dtypes
from pyproj import CRS
from pyproj.exceptions import CRSError
from rasterio.errors import RasterioError

from autopkg.errors import SourceError
from autopkg.processors.sourcefacts import same_crs, same_nodata

#: Tolerance, in pixels, for a tile's corner to count as on the lattice.
_ON_LATTICE = 1e-6


@dataclass(frozen=True)
class Pixels:
    """What a mosaic's tiles hold: CRS, pixel type, bands, NoData and lattice.

    ``size`` is the pixel's width and height (both positive); ``origin`` is one corner
    of the lattice (any tile's top-left).
    """

    crs: str
    dtype: str
    count: int
    nodata: float | None
    size: tuple[float, float]
    origin: tuple[float, float]

    def differences(self, prior: Pixels) -> list[str]:
        """What differs from ``prior``, in words (empty when nothing does)."""
        found = []
        if not same_crs(self.crs, prior.crs):
            found.append(f"CRS {_crs_name(self.crs)} (prior {_crs_name(prior.crs)})")
        if self.size != prior.size:
            found.append(
                f"{self.size[0]:g} x {self.size[1]:g} m pixels "
                f"(prior {prior.size[0]:g} x {prior.size[1]:g})"
            )
        else:
            offsets = [
                (mine - theirs) / step % 1
                for mine, theirs, step in zip(self.origin, prior.origin, self.size, strict=True)
            ]
            if any(_ON_LATTICE < offset < 1 - _ON_LATTICE for offset in offsets):
                found.append(f"lattice through {self.origin} (prior {prior.origin})")
        if (self.dtype, self.count) != (prior.dtype, prior.count):
            found.append(
                f"{self.count} band(s) of {self.dtype} (prior {prior.count} of {prior.dtype})"
            )
        if not same_nodata(self.nodata, prior.nodata):
            found.append(f"NoData {self.nodata} (prior {prior.nodata})")
        return found


def write_mosaic(
    tiles: Sequence[tuple[Path, str]],
    extent: tuple[float, float, float, float],
    vrt: Path,
    *,
    empty: Pixels,
) -> Pixels:
    """Write a VRT of ``tiles`` covering at least ``extent``; return what its pixels are.

    Each tile is ``(path, name)``: the GeoTIFF and the name to show in messages. The
    VRT's lattice, CRS, pixel type and NoData are the tiles' (``empty``'s when there is
    no tile); ``extent`` (west, south, east, north, in that CRS) is widened to whole
    pixels and to every tile.

    Raises:
        SourceError: a tile cannot be read, has no CRS or a rotated grid, or is not on
            the first tile's lattice, CRS, pixel type, bands and NoData.
    """
    first: Pixels | None = None
    placed: list[tuple[Path, tuple[int, int], tuple[int, int], tuple[float, float]]] = []
    for path, name in tiles:
        pixels, shape, blocks, corner = _read_tile(path, name)
        if first is None:
            first = pixels
        elif problem := _mismatch(pixels, first):
            raise SourceError(f"the tile {name} cannot join the mosaic: {problem}")
        placed.append((path, shape, blocks, corner))
    kind = first or empty
    (step_x, step_y), (origin_x, origin_y) = kind.size, kind.origin
    west, south, east, north = extent
    for _, (width, height), _, (left, top) in placed:
        west, north = min(west, left), max(north, top)
        east, south = max(east, left + width * step_x), min(south, top - height * step_y)
    # Outwards to whole pixels of the lattice.
    col0 = math.floor((west - origin_x) / step_x + _ON_LATTICE)
    row0 = math.floor((origin_y - north) / step_y + _ON_LATTICE)
    col1 = math.ceil((east - origin_x) / step_x - _ON_LATTICE)
    row1 = math.ceil((origin_y - south) / step_y - _ON_LATTICE)
    corner = (origin_x + col0 * step_x, origin_y - row0 * step_y)
    sources = [
        (
            path,
            shape,
            blocks,
            (round((left - corner[0]) / step_x), round((corner[1] - top) / step_y)),
        )
        for path, shape, blocks, (left, top) in placed
    ]
    vrt.write_bytes(_vrt_document(kind, corner, (col1 - col0, row1 - row0), sources))
    return kind


def _read_tile(
    path: Path, name: str
) -> tuple[Pixels, tuple[int, int], tuple[int, int], tuple[float, float]]:
    """A tile's pixels, ``(width, height)``, block ``(x, y)`` size and top-left corner."""
    try:
        with rasterio.open(path) as tile:
            crs, t = tile.crs, tile.transform
            pixels = Pixels(
                crs=crs.to_wkt() if crs else "",
                dtype=tile.dtypes[0],
                count=tile.count,
                nodata=tile.nodata,
                size=(t.a, -t.e),
                origin=(t.c, t.f),
            )
            shape = (tile.width, tile.height)
            block_y, block_x = tile.block_shapes[0]
    except RasterioError as exc:
        raise SourceError(f"cannot read the tile {name}: {exc}") from None
    if not pixels.crs:
        raise SourceError(f"the tile {name} has no coordinate reference system")
    if (t.b, t.d) != (0, 0) or t.a <= 0 or t.e >= 0:
        raise SourceError(f"the tile {name} is not a north-up grid (transform {tuple(t)[:6]})")
    return pixels, shape, (block_x, block_y), (t.c, t.f)


def _mismatch(tile: Pixels, first: Pixels) -> str | None:
    """Why ``tile`` cannot share a VRT with the ``first`` tile, or None."""
    if not all(
        math.isclose(mine, theirs, rel_tol=1e-9)
        for mine, theirs in zip(tile.size, first.size, strict=True)
    ):
        return f"pixels of {tile.size[0]:g} x {tile.size[1]:g}, the first tile's {first.size[0]:g}"
    for mine, theirs, step in zip(tile.origin, first.origin, first.size, strict=True):
        offset = (mine - theirs) / step
        if abs(offset - round(offset)) > _ON_LATTICE:
            return f"its corner {tile.origin} is not on the first tile's pixel lattice"
    if (tile.dtype, tile.count) != (first.dtype, first.count) or not same_nodata(
        tile.nodata, first.nodata
    ):
        return (
            f"{tile.count} band(s) of {tile.dtype}, NoData {tile.nodata}; the first tile has "
            f"{first.count} of {first.dtype}, NoData {first.nodata}"
        )
    if not same_crs(tile.crs, first.crs):
        return f"CRS {_crs_name(tile.crs)}, the first tile's {_crs_name(first.crs)}"
    return None


def _crs_name(crs: str) -> str:
    try:
        parsed = CRS.from_user_input(crs)
    except CRSError:
        return crs
    code = parsed.to_authority(min_confidence=90)
    return ":".join(code) if code else parsed.name


def _vrt_document(
    kind: Pixels,
    corner: tuple[float, float],
    size: tuple[int, int],
    sources: Sequence[tuple[Path, tuple[int, int], tuple[int, int], tuple[int, int]]],
) -> bytes:
    """The VRT XML: one SimpleSource per tile and band (GDAL's VRT format)."""
    gdal_type = rasterio.dtypes.typename_fwd[rasterio.dtypes.dtype_rev[kind.dtype]]
    root = ET.Element("VRTDataset", rasterXSize=str(size[0]), rasterYSize=str(size[1]))
    ET.SubElement(root, "SRS", dataAxisToSRSAxisMapping="1,2").text = kind.crs
    ET.SubElement(root, "GeoTransform").text = ", ".join(
        repr(float(v)) for v in (corner[0], kind.size[0], 0, corner[1], 0, -kind.size[1])
    )
    for band in range(1, kind.count + 1):
        element = ET.SubElement(root, "VRTRasterBand", dataType=gdal_type, band=str(band))
        if kind.nodata is not None:
            ET.SubElement(element, "NoDataValue").text = repr(kind.nodata)
        for path, (width, height), (block_x, block_y), (col_off, row_off) in sources:
            source = ET.SubElement(element, "SimpleSource")
            ET.SubElement(source, "SourceFilename", relativeToVRT="0").text = str(path)
            ET.SubElement(source, "SourceBand").text = str(band)
            ET.SubElement(
                source,
                "SourceProperties",
                RasterXSize=str(width),
                RasterYSize=str(height),
                DataType=gdal_type,
                BlockXSize=str(block_x),
                BlockYSize=str(block_y),
            )
            for rect, x, y in (("SrcRect", 0, 0), ("DstRect", col_off, row_off)):
                ET.SubElement(
                    source, rect, xOff=str(x), yOff=str(y), xSize=str(width), ySize=str(height)
                )
    return ET.tostring(root)
