"""The package's own boundary as GeoJSON, so the clip extent can be mapped beside the data."""

from __future__ import annotations

from typing import Any

from shapely.errors import ShapelyError
from shapely.geometry import MultiPolygon, mapping, shape

from autopkg.boundaries.buffered import buffer_of
from autopkg.domain.boundary import Boundary, admin_level_of


def boundary_feature_collection(boundary: Boundary) -> dict[str, Any]:
    """Return the boundary as an RFC 7946 FeatureCollection of one Feature.

    The geometry is exactly the one the data were clipped to (WGS84 longitude and
    latitude, full precision); properties are ``name``, ``name_long``,
    ``admin_level``, ``parent``, ``codes`` and ``edition`` (where the geometry came
    from: the publisher's release, licence and file digest) and, for a buffered area,
    ``buffer_m``. A boundary across the
    antimeridian keeps its parts on either side of it, as RFC 7946 asks.
    """
    properties: dict[str, Any] = {
        "name": boundary.name,
        "name_long": boundary.name_long,
        "admin_level": boundary.admin_level,
        "parent": boundary.parent,
        "codes": boundary.codes,
        "edition": boundary.edition,
    }
    buffer_m = buffer_of(boundary.name)
    if buffer_m is not None:
        properties["buffer_m"] = buffer_m
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": properties,
                "geometry": mapping(boundary.geometry),
            }
        ],
    }


def boundary_from_feature_collection(document: dict[str, Any]) -> Boundary:
    """Return the boundary a :func:`boundary_feature_collection` document describes.

    Raises:
        ValueError: if the document is not one Feature with a (Multi)Polygon and the
            boundary's properties.
    """
    try:
        (feature,) = document["features"]
        properties = feature["properties"]
        geometry = shape(feature["geometry"])
        parts = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
        return Boundary(
            name=str(properties["name"]),
            name_long=str(properties["name_long"]),
            admin_level=admin_level_of(properties["admin_level"]),
            geometry=MultiPolygon(list(parts)),
            # Packages published before boundaries had these hold none of them.
            parent=properties.get("parent"),
            codes=dict(properties.get("codes") or {}),
            edition=dict(properties.get("edition") or {}),
        )
    except (KeyError, TypeError, AttributeError, ShapelyError) as exc:
        raise ValueError(f"not a boundary feature collection ({exc})") from exc
