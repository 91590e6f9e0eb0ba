"""Custom areas: a GeoJSON geometry from a request turned into a named boundary."""

from __future__ import annotations

import hashlib
from typing import Any

import shapely
from shapely.errors import GeometryTypeError, ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from autopkg.boundaries.boundary import Boundary
from autopkg.boundaries.loader import to_multipolygon
from autopkg.errors import UnprocessableError

MAX_VERTICES = 250_000
_GEOMETRY_TYPES = {"Polygon", "MultiPolygon"}


def custom_boundary(geojson: dict[str, Any]) -> Boundary:
    """Return a boundary for a GeoJSON Polygon, MultiPolygon, Feature or FeatureCollection.

    The name is derived from the geometry (``custom-<12 hex>``), so the same area
    submitted twice is the same boundary and its work is shared.

    Raises:
        UnprocessableError: not polygonal GeoJSON, coordinates outside WGS84 ranges,
            too many vertices, or no area left after repair.
    """
    geometry = to_multipolygon(shapely.union_all(_geometries(geojson)))
    if geometry is None:
        raise UnprocessableError("boundary: the area is empty or encloses no area")
    min_x, min_y, max_x, max_y = geometry.bounds
    if min_x < -180 or max_x > 180 or min_y < -90 or max_y > 90:
        raise UnprocessableError(
            "boundary: coordinates must be WGS84 longitude/latitude within ±180/±90"
        )
    if shapely.get_num_coordinates(geometry) > MAX_VERTICES:
        raise UnprocessableError(f"boundary: more than {MAX_VERTICES} vertices")
    geometry = shapely.normalize(geometry)
    digest = hashlib.sha256(shapely.to_wkb(geometry, output_dimension=2)).hexdigest()[:12]
    return Boundary(
        name=f"custom-{digest}",
        name_long=f"Custom area {digest}",
        admin_level="custom",
        geometry=geometry,
    )


def _geometries(geojson: dict[str, Any]) -> list[BaseGeometry]:
    kind = geojson.get("type")
    if kind == "FeatureCollection":
        features = geojson.get("features")
        if not isinstance(features, list) or not features:
            raise UnprocessableError("boundary: a FeatureCollection needs features")
        return [g for feature in features for g in _geometries(_as_dict(feature))]
    if kind == "Feature":
        return _geometries(_as_dict(geojson.get("geometry")))
    if kind not in _GEOMETRY_TYPES:
        raise UnprocessableError(
            f"boundary: GeoJSON type must be Polygon, MultiPolygon, Feature or "
            f"FeatureCollection, not {str(kind)[:40]!r}"
        )
    try:
        return [shape(geojson)]
    except (
        GeometryTypeError,
        ShapelyError,
        ValueError,
        TypeError,
        IndexError,
        AttributeError,
    ) as exc:
        raise UnprocessableError(f"boundary: invalid {kind} coordinates ({exc})") from None


def _as_dict(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UnprocessableError("boundary: every feature needs a GeoJSON geometry object")
    return value
