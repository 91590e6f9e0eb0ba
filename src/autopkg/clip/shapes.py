"""Vectorised clipping of feature geometries to a boundary polygon (shapely 2)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon

_DIMENSIONS = {
    "Point": 0,
    "MultiPoint": 0,
    "LineString": 1,
    "MultiLineString": 1,
    "Polygon": 2,
    "MultiPolygon": 2,
}
_MULTI_NAMES = {0: "MultiPoint", 1: "MultiLineString", 2: "MultiPolygon"}
_COLLECTORS: dict[int, Callable[..., NDArray[np.object_]]] = {
    0: shapely.multipoints,
    1: shapely.multilinestrings,
    2: shapely.multipolygons,
}


@dataclass(frozen=True)
class GeometryKind:
    """What a layer holds and what its clipped layer declares.

    ``dimension`` is 0, 1 or 2 for point, line and polygon layers and ``None`` for mixed
    or unknown ones. ``multi`` is whether clipped geometries are collected into Multi*
    types: always for lines and polygons (a clip can cut one into several pieces), only
    for points already declared MultiPoint (a clip never splits a point).
    """

    dimension: int | None
    multi: bool
    output_type: str

    @classmethod
    def parse(cls, layer_type: str | None) -> GeometryKind:
        """Read an OGR layer geometry type name such as ``LineString Z``."""
        base, _, suffix = (layer_type or "Unknown").partition(" ")
        dimension = _DIMENSIONS.get(base)
        z = " Z" if "Z" in suffix else ""
        if dimension is None:
            return cls(None, False, "Unknown")
        if dimension == 0 and base == "Point":
            return cls(0, False, "Point" + z)
        return cls(dimension, True, _MULTI_NAMES[dimension] + z)


def clip_shapes(
    geoms: NDArray[np.object_], boundary: MultiPolygon, kind: GeometryKind
) -> NDArray[np.object_]:
    """Clip every geometry of ``geoms`` to ``boundary``; ``None`` where nothing is left.

    Geometries wholly inside the boundary are kept as they are (no overlay); the others
    are intersected with it. Parts of the result of another dimension than the layer's
    (a polygon touching the border along a line) are dropped. Invalid polygons are
    repaired with ``make_valid`` first. ``boundary`` should be prepared
    (``shapely.prepare``) by the caller when it is reused across batches.
    """
    geoms = geoms.copy()
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    if kind.dimension == 2:
        broken = present & ~shapely.is_valid(geoms)
        geoms[broken] = shapely.make_valid(geoms[broken], method="structure", keep_collapsed=False)
    result = np.full(len(geoms), None, dtype=object)
    inside = present & shapely.contains_properly(boundary, geoms)
    crossing = present & ~inside
    result[inside] = geoms[inside]
    result[crossing] = shapely.intersection(geoms[crossing], boundary)
    if kind.dimension is None:
        result[~shapely.is_missing(result) & shapely.is_empty(result)] = None
        return result
    clipped = np.full(len(geoms), None, dtype=object)
    if not kind.multi:
        points = ~shapely.is_empty(result) & (shapely.get_dimensions(result) == 0)
        clipped[points] = result[points]
        return clipped
    parts, index = shapely.get_parts(result, return_index=True)
    keep = (shapely.get_dimensions(parts) == kind.dimension) & ~shapely.is_empty(parts)
    return _COLLECTORS[kind.dimension](parts[keep], indices=index[keep], out=clipped)


#: Why :func:`unwritable` counts a row.
NO_GEOMETRY = "no geometry"
OTHER_TYPE = "another geometry type than the layer's"


def unwritable(
    geoms: NDArray[np.object_], boundary: MultiPolygon, kind: GeometryKind
) -> dict[str, int]:
    """Count the rows a clip to ``boundary`` cannot write, by reason.

    A row without a geometry (or with an empty one) has no place in a clipped layer;
    a row of another dimension than the layer's (a point in a line table) meeting the
    boundary is one :func:`clip_shapes` drops. Rows merely outside are not counted.
    """
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    counts = {NO_GEOMETRY: int(missing.sum()), OTHER_TYPE: 0}
    if kind.dimension is not None:
        other = ~missing & (shapely.get_dimensions(geoms) != kind.dimension)
        if other.any():
            counts[OTHER_TYPE] = int(shapely.intersects(boundary, geoms[other]).sum())
    return counts
