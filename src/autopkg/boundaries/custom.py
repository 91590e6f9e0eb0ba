"""Custom areas: a GeoJSON geometry from a request turned into a named boundary."""

from __future__ import annotations

import hashlib
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon

from autopkg.boundaries.geojson import Rings, polygons_of
from autopkg.boundaries.limits import AreaLimits, RepairBudget, check_area, check_counts
from autopkg.domain.boundary import Boundary
from autopkg.errors import ClipError, UnprocessableError

#: Names the service gives to the areas it makes: custom areas (``custom-<hash>``) and
#: buffered areas (``<name>-buffer-<metres>m``). Nobody else may take them, or they
#: could replace the area someone else's jobs are clipped to.
CUSTOM_PREFIX = "custom-"
BUFFER_MARK = "-buffer-"


def is_reserved(name: str) -> bool:
    """Whether ``name`` is one only the service may give (see :data:`CUSTOM_PREFIX`)."""
    return name.startswith(CUSTOM_PREFIX) or BUFFER_MARK in name


def custom_boundary(area: Any, limits: AreaLimits, *, name_long: str | None = None) -> Boundary:
    """Return a boundary for a typed GeoJSON area (:data:`autopkg.boundaries.geojson.Area`).

    Every polygon of the area (of every feature) becomes a part of one MultiPolygon.
    Its parts, rings and vertices are checked against ``limits`` before any geometry
    is built; it is repaired only if invalid (self-intersecting, or parts that
    overlap) and then only within ``limits.max_repair_vertices``; the area of the
    result, as the clip will read it, is checked last. The name is
    derived from the result (``custom-<12 hex>``), so the same area submitted twice is
    the same boundary and its work is shared. ``name_long`` is the name people see (validated by the
    caller); without one it is ``Custom area <12 hex>``.

    Raises:
        LimitExceededError: too many parts, rings or vertices, too large an area, or
            too much invalid geometry to repair.
        UnprocessableError: no area is left after the repair.
    """
    polygons = polygons_of(area)
    check_counts(polygons, limits)
    try:
        repaired = RepairBudget(limits.max_repair_vertices).repair(polygons_geometry(polygons))
    except ClipError:
        raise UnprocessableError("boundary: the area is empty or encloses no area") from None
    check_area([repaired], limits)
    normalised = shapely.normalize(repaired)
    digest = hashlib.sha256(shapely.to_wkb(normalised, output_dimension=2)).hexdigest()[:12]
    return Boundary(
        name=f"{CUSTOM_PREFIX}{digest}",
        name_long=name_long or f"Custom area {digest}",
        admin_level=None,
        geometry=normalised,
    )


def area_geometry(area: Any) -> MultiPolygon:
    """Every polygon of a typed GeoJSON area as one MultiPolygon, not yet repaired."""
    return polygons_geometry(polygons_of(area))


def polygons_geometry(polygons: list[Rings]) -> MultiPolygon:
    """Validated GeoJSON polygons (rings each) as one MultiPolygon, not yet repaired."""
    return MultiPolygon([_polygon(rings) for rings in polygons])


def _polygon(rings: Rings) -> Polygon:
    """Build a 2D polygon from validated GeoJSON rings (any altitude is dropped)."""
    shell, *holes = ([(position[0], position[1]) for position in ring] for ring in rings)
    return Polygon(shell, holes)
