"""Points and lines of a published GeoPackage, inside an area, measured on the ellipsoid.

Lines are cut into pieces wherever they cross a column or row of a hazard grid, so
each piece lies in one hazard cell and its length can be counted where that cell's
value is above a threshold. Lengths are geodesic (pyproj ``Geod`` on WGS 84).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Geod, Transformer
from shapely.geometry import MultiPolygon

from autopkg.summary.sampling import Grid

_GEOD = Geod(ellps="WGS84")
_WGS84 = CRS.from_epsg(4326)


@dataclass(frozen=True)
class PointSet:
    """Points (longitude, latitude) inside an area, with a category and a number each."""

    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    category: NDArray[np.str_]
    amount: NDArray[np.float64]


@dataclass(frozen=True)
class Pieces:
    """Straight pieces of line (longitude, latitude ends), each with its category."""

    lon0: NDArray[np.float64]
    lat0: NDArray[np.float64]
    lon1: NDArray[np.float64]
    lat1: NDArray[np.float64]
    category: NDArray[np.str_]

    @property
    def length_km(self) -> NDArray[np.float64]:
        """Each piece's geodesic length in km."""
        _, _, metres = _GEOD.inv(self.lon0, self.lat0, self.lon1, self.lat1)
        return np.asarray(metres, dtype=np.float64) / 1000.0

    def midpoints(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Each piece's middle (in longitude and latitude: pieces are short)."""
        return (self.lon0 + self.lon1) / 2, (self.lat0 + self.lat1) / 2


def read_layer(path: Path, columns: list[str]) -> tuple[NDArray[Any], dict[str, NDArray[Any]]]:
    """Geometries (WGS 84) and the named columns of a GeoPackage's first layer.

    A column the file does not have comes back as empty strings.
    """
    info = pyogrio.read_info(path)
    present = [c for c in columns if c in list(info["fields"])]
    meta, _, wkb, values = pyogrio.raw.read(path, columns=present)
    geometries = shapely.from_wkb(wkb)
    crs = meta.get("crs")
    if crs and not CRS.from_user_input(crs).equals(_WGS84, ignore_axis_order=True):
        move = Transformer.from_crs(crs, _WGS84, always_xy=True)
        geometries = shapely.transform(
            geometries, lambda xy: np.column_stack(move.transform(*xy.T))
        )
    table = {name: np.asarray(column) for name, column in zip(present, values, strict=True)}
    count = len(geometries)
    for name in columns:
        table.setdefault(name, np.full(count, "", dtype=object))
    return geometries, table


def points_inside(
    path: Path, area: MultiPolygon, category: str, amount: str, clipped: bool
) -> PointSet:
    """The points of a layer inside ``area`` (all of them when the file was clipped to it)."""
    geometries, table = read_layer(path, [category, amount])
    points = shapely.get_parts(geometries)
    keep = ~shapely.is_empty(points)
    index = shapely.get_parts(geometries, return_index=True)[1]
    xy = shapely.get_coordinates(points[keep])
    owner = index[keep]
    inside = (
        np.ones(len(xy), dtype=bool) if clipped else shapely.contains_xy(area, xy[:, 0], xy[:, 1])
    )
    amounts = np.array([_number(v) for v in table[amount]], dtype=np.float64)
    return PointSet(
        lon=xy[inside, 0],
        lat=xy[inside, 1],
        category=np.array([_text(v) for v in table[category][owner[inside]]], dtype=str),
        amount=amounts[owner[inside]],
    )


def line_pieces(
    path: Path, area: MultiPolygon, category: str | None, clipped: bool, grid: Grid | None = None
) -> Pieces:
    """The lines of a layer inside ``area`` as straight pieces.

    With ``grid`` (a geographic hazard grid) every segment is also cut where it
    crosses a column or row edge of the grid, so each piece lies in one cell.
    """
    geometries, table = read_layer(path, [category] if category else [])
    if not clipped:
        geometries = shapely.intersection(geometries, area)
    lines, owner = shapely.get_parts(geometries, return_index=True)
    coords, vertex_of = shapely.get_coordinates(lines, return_index=True)
    # A segment joins two consecutive vertices of one part.
    start = np.nonzero(vertex_of[:-1] == vertex_of[1:])[0]
    labels = (
        np.array([_text(v) for v in table[category]], dtype=str)
        if category
        else np.full(len(geometries), "", dtype=str)
    )
    pieces = Pieces(
        lon0=coords[start, 0],
        lat0=coords[start, 1],
        lon1=coords[start + 1, 0],
        lat1=coords[start + 1, 1],
        category=labels[owner[vertex_of[start]]],
    )
    return pieces if grid is None else cut_at_cells(pieces, grid)


def cut_at_cells(pieces: Pieces, grid: Grid) -> Pieces:
    """Cut each piece where it crosses a cell edge of a geographic ``grid``."""
    a, _, c, _, e, f = grid.transform
    starts = [(pieces.lon0 - c) / a, (pieces.lat0 - f) / e]
    ends = [(pieces.lon1 - c) / a, (pieces.lat1 - f) / e]
    cuts: list[NDArray[np.float64]] = [np.zeros(len(pieces.lon0)), np.ones(len(pieces.lon0))]
    owners: list[NDArray[np.int64]] = [np.arange(len(pieces.lon0))] * 2
    for p0, p1 in zip(starts, ends, strict=True):
        low, high = np.minimum(p0, p1), np.maximum(p0, p1)
        first = np.floor(low) + 1
        count = np.maximum(np.ceil(high) - first, 0).astype(np.int64)
        owner = np.repeat(np.arange(len(p0)), count)
        step = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        edge = first[owner] + step
        span = (p1 - p0)[owner]
        cuts.append((edge - p0[owner]) / span)
        owners.append(owner)
    t = np.concatenate(cuts)
    who = np.concatenate(owners)
    order = np.lexsort((t, who))
    t, who = t[order], who[order]
    same = who[:-1] == who[1:]
    t0, t1, owner = t[:-1][same], t[1:][same], who[:-1][same]
    keep = t1 > t0
    t0, t1, owner = t0[keep], t1[keep], owner[keep]
    dlon = pieces.lon1 - pieces.lon0
    dlat = pieces.lat1 - pieces.lat0
    return Pieces(
        lon0=pieces.lon0[owner] + dlon[owner] * t0,
        lat0=pieces.lat0[owner] + dlat[owner] * t0,
        lon1=pieces.lon0[owner] + dlon[owner] * t1,
        lat1=pieces.lat0[owner] + dlat[owner] * t1,
        category=pieces.category[owner],
    )


def _text(value: object) -> str:
    """A category cell as text ('' for a missing one)."""
    return "" if value is None else str(value)


def _number(value: object) -> float:
    """A number cell as a float (0 for a missing or unreadable one)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return number if np.isfinite(number) else 0.0
