"""Light geometries for drawing boundaries on a map, never for clipping.

A world map needs about 2 km of detail: simplifying the built-in 1:50m countries by
0.05° and snapping to a 0.01° grid takes them from 100 000 vertices (several MB of
GeoJSON) to under 0.5 MB (~160 KB gzipped) while every country keeps its shape.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from autopkg.domain.boundary import Boundary

#: Simplification tolerance, degrees.
MAP_TOLERANCE = 0.05
#: Coordinates are snapped to this grid, degrees.
MAP_GRID = 0.01
#: Parts drawn per boundary, the largest first: Canada, the built-in boundary of most
#: parts, has 141. Snapping many parts to the grid costs more than linear time (30,000
#: scattered squares took 9 s of CPU), and parts that small vanish from a world map.
MAP_MAX_PARTS = 500
#: Vertices simplified per boundary (Canada has 11,573). Simplifying costs time that
#: grows with the square of the vertices on shapes such as a comb (60,000 vertices took
#: 5 s of CPU, 240,000 did not end in two minutes), so a boundary with more is drawn as
#: its convex hull, which is enough to see and pick it.
MAP_MAX_VERTICES = 15_000


def simplified(geometry: BaseGeometry) -> BaseGeometry:
    """Return ``geometry`` simplified for a map, at a cost bounded per boundary.

    Only the :data:`MAP_MAX_PARTS` largest parts are drawn, and beyond
    :data:`MAP_MAX_VERTICES` vertices the convex hull of those. An area smaller than
    the grid (a city state at this scale) would vanish; its bounding box is drawn
    instead so that it can still be seen and clicked.
    """
    parts = shapely.get_parts(geometry)
    if len(parts) > MAP_MAX_PARTS:
        parts = parts[np.argsort(-shapely.area(parts), kind="stable")[:MAP_MAX_PARTS]]
    drawn: BaseGeometry = shapely.MultiPolygon(list(parts))
    if shapely.get_num_coordinates(drawn) > MAP_MAX_VERTICES:
        drawn = shapely.convex_hull(drawn)
    light = shapely.set_precision(
        shapely.simplify(drawn, MAP_TOLERANCE, preserve_topology=True), MAP_GRID
    )
    return geometry.envelope if light.is_empty else light


def feature(boundary: Boundary) -> dict[str, Any]:
    """A GeoJSON Feature of the simplified boundary with its ``name``, ``name_long``,
    ``admin_level`` and ``parent`` (a map walks from a unit up to its country by them)."""
    return {
        "type": "Feature",
        "id": boundary.name,
        "properties": {
            "name": boundary.name,
            "name_long": boundary.name_long,
            "admin_level": boundary.admin_level,
            "parent": boundary.parent,
        },
        "geometry": json.loads(shapely.to_geojson(simplified(boundary.geometry))),
    }


def feature_collection(boundaries: Iterable[Boundary]) -> bytes:
    """The simplified boundaries as a compact GeoJSON FeatureCollection (UTF-8 bytes)."""
    collection = {"type": "FeatureCollection", "features": [feature(b) for b in boundaries]}
    return json.dumps(collection, separators=(",", ":"), ensure_ascii=False).encode()


def gzipped(body: bytes) -> bytes:
    """``body`` gzip-compressed once, to be served to every client that accepts gzip."""
    return gzip.compress(body, compresslevel=6, mtime=0)
