"""Geodesic buffers: a boundary grown by a distance in metres measured on the ellipsoid.

A buffer drawn in degrees would be twice as wide east-west as north-south at 60°N,
and one drawn in a single projection is only true near its centre. Here the boundary
is cut into pieces small enough for a projection centred on each to keep distances
(an azimuthal equidistant projection errs by about r²/6R² at distance r from its
centre: 0.15 % at 600 km), each piece is buffered in its own projection, and the
buffered pieces are joined back in longitude and latitude. The buffer of a union is
the union of the buffers, so the joined result is the buffer of the whole boundary,
holes included: a hole narrower than twice the distance is filled, a wider one shrinks.

Pieces are joined with their longitudes made contiguous across ±180° (Fiji is
177..182 while it is built) and cut back into -180..180 at the end. A piece whose
buffer reaches a pole is split along its central meridian and the polar cap it covers
is added as a box, because a ring around a pole has no polygon in longitude and
latitude.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Geod, Transformer
from shapely import affinity
from shapely.geometry import MultiPolygon, box
from shapely.geometry.base import BaseGeometry

from autopkg.clip.geometry import antimeridian_parts, boundary_in_crs, repair

#: Largest distance, in metres, from a piece's projection centre to its farthest vertex.
#: The projection's scale error there is ~0.1 %, leaving room for the arcs' chords.
MAX_PIECE_RADIUS_M = 600_000
#: Segments per quarter circle of the buffer's round ends: a chord then falls short
#: of its arc by at most 1 - cos(π/64), 0.12 % of the distance.
QUAD_SEGMENTS = 16
#: Longest straight edge, in metres, of a buffered piece before it is taken back to
#: longitude and latitude, where the edge becomes straight in degrees instead.
MAX_EDGE_M = 10_000.0
# Splits of one piece at most: a piece still wide after 24 halvings of its box is a
# sliver along a meridian near a pole, and splitting it again would not narrow it.
_MAX_DEPTH = 24
# Metres per degree of latitude, rounded up (111.69 km at the poles): a polar cap of
# this many degrees per metre lies inside the distance it was measured with.
_METRES_PER_DEGREE = 111_700.0

_GEOD = Geod(ellps="WGS84")
_WGS84 = CRS.from_epsg(4326)


def geodesic_buffer(geometry: MultiPolygon, metres: float) -> MultiPolygon:
    """Return ``geometry`` (WGS84) grown by ``metres`` on the WGS84 ellipsoid.

    Every point of the result's edge lies within 0.5 % of ``metres`` of ``geometry``,
    measured along the ellipsoid, for boundaries of any size (pieces are kept within
    :data:`MAX_PIECE_RADIUS_M`), across ±180° and up to buffers of a few thousand
    kilometres. Edges of ``geometry`` are read as straight lines in degrees, as the
    clip reads them. The result is a valid MultiPolygon in -180..180, its parts on
    either side of the antimeridian kept apart as the stored boundaries keep them.

    Raises:
        ValueError: ``metres`` is not positive.
    """
    if metres <= 0:
        raise ValueError("a buffer needs a positive distance")
    placed = MultiPolygon(
        [affinity.translate(part, xoff=shift) for part, shift in antimeridian_parts(geometry)]
    )
    grown = [_buffer_piece(piece, metres) for piece in _pieces(placed, 0)]
    return _wrap(shapely.union_all([part for part in grown if not part.is_empty]))


def _pieces(geometry: BaseGeometry, depth: int) -> list[BaseGeometry]:
    """``geometry`` cut into quarters of its bounding box until each is small enough."""
    if geometry.is_empty:
        return []
    if depth >= _MAX_DEPTH or _radius(geometry) <= MAX_PIECE_RADIUS_M:
        return [geometry]
    west, south, east, north = geometry.bounds
    middle_x, middle_y = (west + east) / 2, (south + north) / 2
    quarters = (
        (west, south, middle_x, middle_y),
        (middle_x, south, east, middle_y),
        (west, middle_y, middle_x, north),
        (middle_x, middle_y, east, north),
    )
    return [
        piece
        for quarter in quarters
        for piece in _pieces(shapely.intersection(geometry, box(*quarter)), depth + 1)
    ]


def _centre(geometry: BaseGeometry) -> tuple[float, float]:
    west, south, east, north = geometry.bounds
    return (west + east) / 2, (south + north) / 2


def _radius(geometry: BaseGeometry) -> float:
    """The distance in metres from the centre of ``geometry``'s box to its farthest vertex."""
    coords = shapely.get_coordinates(shapely.segmentize(geometry, 1.0))
    longitude, latitude = _centre(geometry)
    count = len(coords)
    _, _, distances = _GEOD.inv(
        np.full(count, longitude), np.full(count, latitude), coords[:, 0], coords[:, 1]
    )
    return float(np.max(distances))


def _buffer_piece(piece: BaseGeometry, metres: float) -> BaseGeometry:
    """Buffer one piece in an azimuthal equidistant projection centred on it."""
    longitude, latitude = _centre(piece)
    crs = CRS.from_dict(
        {"proj": "aeqd", "lat_0": latitude, "lon_0": longitude, "ellps": "WGS84", "units": "m"}
    )
    projected = boundary_in_crs(piece, crs)
    if not projected.is_valid:
        projected = shapely.make_valid(projected)
    grown = shapely.buffer(projected, metres, quad_segs=QUAD_SEGMENTS)
    back = Transformer.from_crs(crs, _WGS84, always_xy=True)
    parts: list[BaseGeometry] = []
    caps: list[BaseGeometry] = []
    for pole in (90.0, -90.0):
        x, y = Transformer.from_crs(_WGS84, crs, always_xy=True).transform(longitude, pole)
        point = shapely.Point(x, y)
        if grown.contains(point):
            # Each half of the circle round the pole is a polygon in degrees; the cap
            # between the pole and the buffer's edge is added whole.
            reach = shapely.distance(shapely.boundary(grown), point)
            edge = pole - np.sign(pole) * reach / _METRES_PER_DEGREE
            caps.append(box(longitude - 180, min(edge, pole), longitude + 180, max(edge, pole)))
            span = 4 * (metres + MAX_PIECE_RADIUS_M)
            halves = ((-span, -span, 0.0, span, -180.0), (0.0, -span, span, span, 0.0))
            for west, south, east, north, start in halves:
                half = shapely.intersection(grown, box(west, south, east, north))
                parts.append(_to_degrees(half, back, longitude + start, longitude + start + 180))
            break
    else:
        parts.append(_to_degrees(grown, back, longitude - 180, longitude + 180))
    return shapely.union_all([*parts, *caps])


def _to_degrees(
    geometry: BaseGeometry, back: Transformer, west: float, east: float
) -> BaseGeometry:
    """Take a projected geometry back to degrees, longitudes placed within west..east.

    Edges are first cut to :data:`MAX_EDGE_M`, the cut along a pole's meridian too, so
    that none crosses the map when its ends come back on either side of the pole.
    """

    def inverse(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        longitude, latitude = back.transform(coords[:, 0], coords[:, 1])
        placed = west + np.mod(np.asarray(longitude) - west, 360.0)
        # A vertex on the half's far edge (the meridian opposite) may come back 360° off.
        placed = np.where(placed > east + 1e-9, placed - 360.0, placed)
        return np.column_stack([placed, latitude])

    degrees = shapely.transform(shapely.segmentize(geometry, MAX_EDGE_M), inverse)
    return degrees if degrees.is_valid else shapely.make_valid(degrees)


def _wrap(geometry: BaseGeometry) -> MultiPolygon:
    """Cut contiguous longitudes back into -180..180 and merge what overlaps there."""
    west, _, east, _ = geometry.bounds
    first, last = int(np.floor((west + 180) / 360)), int(np.floor((east + 180) / 360))
    sides = [
        affinity.translate(
            shapely.clip_by_rect(geometry, -180 + 360 * turn, -90, 180 + 360 * turn, 90),
            xoff=-360 * turn,
        )
        for turn in range(first, last + 1)
    ]
    return repair(shapely.union_all(sides))
