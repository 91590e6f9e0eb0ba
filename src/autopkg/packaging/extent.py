"""The package's own boundary as GeoJSON, so the clip extent can be mapped beside the data."""

from __future__ import annotations

from typing import Any

from shapely.geometry import mapping

from autopkg.boundaries.boundary import Boundary


def boundary_feature_collection(boundary: Boundary) -> dict[str, Any]:
    """Return the boundary as an RFC 7946 FeatureCollection of one Feature.

    The geometry is exactly the one the data were clipped to (WGS84 longitude and
    latitude, full precision); properties are ``name``, ``name_long`` and
    ``admin_level``. A boundary across the antimeridian keeps its parts on either
    side of it, as RFC 7946 asks.
    """
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "name": boundary.name,
                    "name_long": boundary.name_long,
                    "admin_level": boundary.admin_level,
                },
                "geometry": mapping(boundary.geometry),
            }
        ],
    }
