"""Size limits on areas from requests, checked before any costly geometry work.

Repairing a self-intersecting polygon costs time and memory that grow with the number
of crossings, which can grow with the square of the vertex count: a ring of 1,000
random vertices takes 3.5 s of CPU, one of 2,000 took 35 s and 2.6 GB. So parts,
rings and vertices are counted on the parsed GeoJSON first, then the geodesic area is
measured from the same coordinates (linear in the vertices), and only a little invalid
geometry (:attr:`AreaLimits.max_repair_vertices` per request, about 0.4 s of CPU at
worst) is repaired; valid geometry is never repaired.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from autopkg.clip.geometry import repair
from autopkg.errors import LimitExceededError


@dataclass(frozen=True)
class AreaLimits:
    """The most one request may ask of the geometry code (settings ``AUTOPKG_MAX_*``)."""

    max_vertices: int
    max_rings: int
    max_parts: int
    max_km2: int
    max_repair_vertices: int


def check_counts(polygons: Sequence[Sequence[Sequence[object]]], limits: AreaLimits) -> None:
    """Refuse polygons (each a list of rings, each a list of positions) over the limits.

    Counting touches each ring once, not each vertex, so it is cheap at any size.

    Raises:
        LimitExceededError: naming the limit, its setting and the value found.
    """
    _check("parts (polygons)", len(polygons), limits.max_parts, "AUTOPKG_MAX_AREA_PARTS")
    rings = sum(len(polygon) for polygon in polygons)
    _check("rings", rings, limits.max_rings, "AUTOPKG_MAX_AREA_RINGS")
    vertices = sum(len(ring) for polygon in polygons for ring in polygon)
    _check("vertices", vertices, limits.max_vertices, "AUTOPKG_MAX_AREA_VERTICES")


def _check(what: str, found: int, limit: int, setting: str) -> None:
    if found > limit:
        raise LimitExceededError(
            f"{found} {what} is over the limit of {limit} per request ({setting})"
        )


_WGS84 = Geod(ellps="WGS84")
_M2_PER_KM2 = 1_000_000


def check_area(polygons: Sequence[Sequence[Sequence[Sequence[float]]]], limits: AreaLimits) -> None:
    """Refuse polygons whose total geodesic area on WGS 84 is over ``limits.max_km2``.

    Call it after :func:`check_counts`, which bounds the work here. The area is
    measured before any repair, so an invalid ring counts as its signed pieces add up.

    Raises:
        LimitExceededError: naming the limit, its setting and the area found.
    """
    km2 = sum(_polygon_m2(rings) for rings in polygons) / _M2_PER_KM2
    if km2 > limits.max_km2:
        raise LimitExceededError(
            f"an area of {km2:,.0f} km² is over the limit of {limits.max_km2:,} km² per "
            "request (AUTOPKG_MAX_AREA_KM2)"
        )


def _polygon_m2(rings: Sequence[Sequence[Sequence[float]]]) -> float:
    shell, *holes = (_ring_m2(ring) for ring in rings)
    # Holes outside their shell would otherwise cancel the area of other parts.
    return max(0.0, shell - sum(holes))


def _ring_m2(ring: Sequence[Sequence[float]]) -> float:
    area, _ = _WGS84.polygon_area_perimeter(
        [position[0] for position in ring], [position[1] for position in ring]
    )
    # The sign only says which way the ring winds.
    return abs(float(area))


class RepairBudget:
    """How many vertices of invalid geometry one request may still have repaired."""

    def __init__(self, max_vertices: int) -> None:
        self.limit = max_vertices
        self.remaining = max_vertices

    def repair(self, geometry: BaseGeometry) -> MultiPolygon:
        """Return ``geometry`` repaired, spending its vertices if it needs a repair.

        Valid geometry costs nothing (the validity check is near-linear).

        Raises:
            LimitExceededError: it is invalid (self-intersecting, or parts that overlap)
                and has more vertices than the budget has left.
            ClipError: nothing with an area is left after the repair.
        """
        if not geometry.is_valid:
            vertices = int(shapely.get_num_coordinates(geometry))
            if vertices > self.remaining:
                raise LimitExceededError(
                    f"the geometry is invalid (self-intersecting or overlapping "
                    f"parts) and has {vertices} vertices; at most {self.limit} vertices of "
                    "invalid geometry are repaired per request "
                    "(AUTOPKG_MAX_REPAIR_VERTICES): repair it before sending it"
                )
            self.remaining -= vertices
        return repair(geometry)
