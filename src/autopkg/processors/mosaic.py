"""Tiled sources: which tiles of a publisher's grid a boundary needs, and their mosaic.

Some publishers cut a global grid into square tiles (JRC's GHSL: 1000 km cells in
Mollweide). A processor fetches only the tiles whose area meets the boundary
(:meth:`TileGrid.cells`) and clips the mosaic of those, a GDAL VRT over the whole global
grid (:func:`write_mosaic`): reading it reads only the tiles' blocks a window touches,
so memory stays bounded however many tiles there are, and the clip sees the publisher's
global grid, exactly as if the global file had been fetched.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import rasterio
import rasterio.dtypes
import shapely
from affine import Affine
from rasterio.errors import RasterioError
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from autopkg.clip.geometry import boundary_in_crs, repair
from autopkg.errors import SourceError

#: A tile's place in its grid: (row, column), 0-based from the top-left.
Cell = tuple[int, int]


@dataclass(frozen=True)
class TileGrid:
    """A north-up global grid cut into square tiles of ``tile`` pixels from its top-left.

    The last row and column of tiles are cut short where the grid ends.
    """

    crs: str
    west: float
    north: float
    pixel: float
    width: int
    height: int
    tile: int

    @property
    def transform(self) -> Affine:
        """The affine transform of the whole grid."""
        return Affine(self.pixel, 0.0, self.west, 0.0, -self.pixel, self.north)

    def window(self, cell: Cell) -> tuple[int, int, int, int]:
        """``(col_off, row_off, width, height)`` of a tile in the whole grid, in pixels."""
        row, col = cell
        col_off, row_off = col * self.tile, row * self.tile
        return (
            col_off,
            row_off,
            min(self.tile, self.width - col_off),
            min(self.tile, self.height - row_off),
        )

    def cells(self, geometry: BaseGeometry) -> list[Cell]:
        """The tiles whose area shares more than an edge with ``geometry`` (EPSG:4326).

        The boundary is densified and projected as the clip projects it, so every tile
        holding a pixel centre inside the boundary is listed; a tile the boundary only
        touches along its edge is not. Listed row by row from the top-left.
        """
        local = repair(boundary_in_crs(repair(geometry), self.crs))
        shapely.prepare(local)
        size = self.tile * self.pixel
        rows = math.ceil(self.height / self.tile)
        cols = math.ceil(self.width / self.tile)
        west, south, east, north = local.bounds
        first_row = max(0, math.floor((self.north - north) / size))
        last_row = min(rows - 1, math.floor((self.north - south) / size))
        first_col = max(0, math.floor((west - self.west) / size))
        last_col = min(cols - 1, math.floor((east - self.west) / size))
        found = []
        for row in range(first_row, last_row + 1):
            for col in range(first_col, last_col + 1):
                col_off, row_off, width, height = self.window((row, col))
                left, top = self.transform @ (col_off, row_off)
                right, bottom = self.transform @ (col_off + width, row_off + height)
                # Interiors must meet: a shared edge holds no pixel centre of the tile.
                if shapely.relate_pattern(local, box(left, bottom, right, top), "T********"):
                    found.append((row, col))
        return found


def write_mosaic(grid: TileGrid, tiles: Sequence[tuple[Cell, Path, str]], vrt: Path) -> Path:
    """Write a VRT of the whole ``grid`` made of ``tiles``; return ``vrt``.

    Each tile is ``(cell, path, name)``: where it belongs, the GeoTIFF and the name to
    show in messages. Every tile must lie exactly on its cell (same pixel size and
    origin, the cell's size), and all must share CRS, pixel type, bands and NoData, which
    the VRT takes on. Pixels of cells without a tile read as that NoData (0 when none is
    declared): the caller fetches every tile meeting the boundary, so they are outside.

    Raises:
        SourceError: a tile cannot be read, is not on its cell, or differs from the first.
    """
    if not tiles:
        raise SourceError("no tile to mosaic")
    first: tuple[str, str, int, float | None] | None = None
    sources: list[tuple[tuple[int, int, int, int], Path, tuple[int, int]]] = []
    for cell, path, name in tiles:
        try:
            with rasterio.open(path) as tile:
                wkt = tile.crs.to_wkt() if tile.crs else ""
                kind = (wkt, tile.dtypes[0], tile.count, tile.nodata)
                transform, shape = tile.transform, (tile.width, tile.height)
                blocks = tile.block_shapes[0]
        except RasterioError as exc:
            raise SourceError(f"cannot read the tile {name}: {exc}") from None
        window = grid.window(cell)
        at = ~grid.transform @ (transform.c, transform.f)
        on_cell = (
            transform.a == grid.pixel
            and transform.e == -grid.pixel
            and (transform.b, transform.d) == (0, 0)
            and math.isclose(at[0], window[0], abs_tol=1e-6)
            and math.isclose(at[1], window[1], abs_tol=1e-6)
            and shape == window[2:]
        )
        if not on_cell:
            raise SourceError(
                f"the tile {name} is not on its grid cell: {shape[0]}x{shape[1]} px at "
                f"({transform.c}, {transform.f}), pixel {transform.a}; expected "
                f"{window[2]}x{window[3]} px at {grid.transform @ window[:2]}, pixel {grid.pixel}"
            )
        if first is None:
            first = kind
        # NoData is compared by its repr, so that NaN equals NaN.
        elif (
            kind[1:3] != first[1:3]
            or repr(kind[3]) != repr(first[3])
            or not _same_wkt(kind[0], first[0])
        ):
            raise SourceError(f"the tile {name} differs from the first tile in CRS or pixels")
        sources.append((window, path, (blocks[1], blocks[0])))
    assert first is not None
    vrt.write_bytes(_vrt_document(grid, first, sources))
    return vrt


def _same_wkt(one: str, other: str) -> bool:
    return one == other or rasterio.crs.CRS.from_wkt(one) == rasterio.crs.CRS.from_wkt(other)


def _vrt_document(
    grid: TileGrid,
    kind: tuple[str, str, int, float | None],
    sources: Sequence[tuple[tuple[int, int, int, int], Path, tuple[int, int]]],
) -> bytes:
    """The VRT XML of the grid, one SimpleSource per tile and band (GDAL's VRT format)."""
    wkt, dtype, count, nodata = kind
    gdal_type = rasterio.dtypes.typename_fwd[rasterio.dtypes.dtype_rev[dtype]]
    root = ET.Element("VRTDataset", rasterXSize=str(grid.width), rasterYSize=str(grid.height))
    ET.SubElement(root, "SRS", dataAxisToSRSAxisMapping="1,2").text = wkt
    t = grid.transform
    ET.SubElement(root, "GeoTransform").text = ", ".join(
        repr(float(v)) for v in (t.c, t.a, t.b, t.f, t.d, t.e)
    )
    for band in range(1, count + 1):
        element = ET.SubElement(root, "VRTRasterBand", dataType=gdal_type, band=str(band))
        if nodata is not None:
            ET.SubElement(element, "NoDataValue").text = repr(nodata)
        for (col_off, row_off, width, height), path, (block_x, block_y) in sources:
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
