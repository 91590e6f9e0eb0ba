"""A publisher's tile schema: which tiles of a tiled global grid exist, and where.

JRC publishes its GHSL grids as 1000 km tiles in World Mollweide, and the list of the
tiles that exist as a shapefile (one row per tile: ``tile_id`` such as ``R8_C17`` and
its ``left``, ``top``, ``right``, ``bottom`` in metres). Only tiles with land are
published, and the last column is wider than the others, so the schema, not a
computed grid, says which tiles to fetch; :func:`regular_schema` builds the computed
grid used when the schema cannot be had.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyogrio.raw
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from shapely.geometry.base import BaseGeometry

from autopkg.clip.geometry import boundary_in_crs, repair
from autopkg.errors import SourceError

_TILE_ID = re.compile(r"R([1-9][0-9]{0,2})_C([1-9][0-9]{0,2})")
_COLUMNS = ("tile_id", "left", "top", "right", "bottom")


@dataclass(frozen=True)
class Tile:
    """One tile: its id (``R<row>_C<column>``, 1-based from the top-left) and bounds."""

    id: str
    left: float
    top: float
    right: float
    bottom: float

    @property
    def place(self) -> tuple[int, int]:
        """``(row, column)`` as numbered in the id, for ordering."""
        match = _TILE_ID.fullmatch(self.id)
        assert match is not None, "ids are checked when a schema is made"
        return int(match[1]), int(match[2])


@dataclass(frozen=True)
class TileSchema:
    """The tiles of a grid in ``crs`` (any form PROJ reads), and where the schema came from."""

    crs: str
    tiles: tuple[Tile, ...]
    origin: str

    def __post_init__(self) -> None:
        for tile in self.tiles:
            if not _TILE_ID.fullmatch(tile.id) or not (
                tile.left < tile.right and tile.bottom < tile.top
            ):
                raise SourceError(f"the tile schema's row {tile.id!r} is not a tile id with bounds")

    def bounds(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` of every tile together."""
        return (
            min(t.left for t in self.tiles),
            min(t.bottom for t in self.tiles),
            max(t.right for t in self.tiles),
            max(t.top for t in self.tiles),
        )

    def meeting(self, geometry: BaseGeometry) -> list[Tile]:
        """The tiles whose area shares more than an edge with ``geometry`` (EPSG:4326).

        The boundary is densified and projected as the clip projects it, so every tile
        holding a pixel centre inside the boundary is listed; a tile the boundary only
        touches along its edge holds none and is not. Listed by row, then column.
        """
        local = repair(boundary_in_crs(repair(geometry), self.crs))
        boxes = shapely.box(
            [t.left for t in self.tiles],
            [t.bottom for t in self.tiles],
            [t.right for t in self.tiles],
            [t.top for t in self.tiles],
        )
        # Interiors must meet: a shared edge holds no pixel centre of the tile.
        met = shapely.relate_pattern(local, boxes, "T********")
        return sorted(
            (tile for tile, hit in zip(self.tiles, np.atleast_1d(met), strict=True) if hit),
            key=lambda tile: tile.place,
        )


def regular_schema(
    crs: str, *, west: float, north: float, size: float, rows: int, columns: int, east: float
) -> TileSchema:
    """Every cell of ``rows`` x ``columns`` square tiles of ``size`` from ``(west, north)``.

    The last column runs to ``east``, wider than the others when the grid's width is not
    a whole number of tiles (JRC's: 36 columns, the last 1,082 km wide).
    """
    tiles = tuple(
        Tile(
            id=f"R{row + 1}_C{col + 1}",
            left=west + col * size,
            top=north - row * size,
            right=east if col == columns - 1 else west + (col + 1) * size,
            bottom=north - (row + 1) * size,
        )
        for row in range(rows)
        for col in range(columns)
    )
    return TileSchema(crs=crs, tiles=tiles, origin="computed")


def read_schema(archive: Path, layer: str) -> TileSchema:
    """Read the tile schema shapefile ``<layer>.shp`` inside the zip ``archive``.

    Only the attributes are read (``tile_id``, ``left``, ``top``, ``right``,
    ``bottom``); the CRS is the shapefile's (``.prj``).

    Raises:
        SourceError: the zip holds no such shapefile, or it cannot be read, lacks an
            attribute, has no CRS or a row that is not a tile.
    """
    shown = archive.name
    with zipfile.ZipFile(archive) as zipped:
        members = [n for n in zipped.namelist() if n.rsplit("/", 1)[-1] == f"{layer}.shp"]
    if not members:
        raise SourceError(f"{shown} holds no {layer}.shp")
    try:
        # Every attribute, so that names are matched whatever their case (dBASE
        # tools often write them in capitals).
        meta, _, _, fields = pyogrio.raw.read(
            f"/vsizip/{archive}/{members[0]}", read_geometry=False
        )
    except (DataSourceError, DataLayerError, ValueError) as exc:
        raise SourceError(f"cannot read the tile schema {shown}: {exc}") from None
    found = {str(name).lower(): values for name, values in zip(meta["fields"], fields, strict=True)}
    missing = [column for column in _COLUMNS if column not in found]
    if missing:
        raise SourceError(f"the tile schema {shown} has no attribute {', '.join(missing)}")
    if not meta.get("crs"):
        raise SourceError(f"the tile schema {shown} has no coordinate reference system")
    try:
        tiles = tuple(
            Tile(str(tile_id), float(left), float(top), float(right), float(bottom))
            for tile_id, left, top, right, bottom in zip(
                *(found[column] for column in _COLUMNS), strict=True
            )
        )
    except (TypeError, ValueError) as exc:
        raise SourceError(
            f"the tile schema {shown} has a bound that is not a number: {exc}"
        ) from None
    if not tiles:
        raise SourceError(f"the tile schema {shown} lists no tile")
    return TileSchema(crs=str(meta["crs"]), tiles=tiles, origin=shown)
