"""Size limits on areas from requests, checked before any costly geometry work.

Repairing a self-intersecting polygon costs time and memory that grow with the number
of crossings, which can grow with the square of the vertex count: a ring of 1,000
random vertices takes 3.5 s of CPU, one of 2,000 took 35 s and 2.6 GB. So parts,
rings and vertices are counted on the parsed GeoJSON first (collections flattened), only
a little invalid geometry (:attr:`AreaLimits.max_repair_vertices` per request, about
0.4 s of CPU at worst) is repaired, valid geometry never, and then the area of what
will be clipped is measured (linear in the vertices).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
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
_E = math.sqrt(_WGS84.es)


def _q(sin_lat: NDArray[np.float64] | float) -> NDArray[np.float64]:
    """Snyder's q (Map Projections, eq. 3-12): sin(authalic latitude) = q / q(90°)."""
    e_sin = _E * np.asarray(sin_lat)
    return np.asarray(
        (1 - _E**2) * (sin_lat / (1 - e_sin**2) - np.log((1 - e_sin) / (1 + e_sin)) / (2 * _E))
    )


_Q_POLE = float(_q(1.0))
# The radius of the sphere with the ellipsoid's area (6,371.007 km).
_AUTHALIC_RADIUS_KM = _WGS84.a * math.sqrt(_Q_POLE / 2) / 1000


def area_km2(geometry: BaseGeometry) -> float:
    """The area of a valid (Multi)Polygon in WGS84, in km², as the clip reads it.

    The clip engine reads an edge as a straight line in degrees (a raster mask in
    EPSG:4326, a densified edge in other CRSs), not as the shortest path on the globe:
    a geodesic area would take the edges of a box 358° wide, or along a parallel, as
    the short way round and call the box a thin strip. So each edge is integrated as a
    straight line in longitude and latitude (Green's theorem: the integral of
    -sin(latitude) over longitude, on the authalic sphere), in time linear in the
    vertices.
    """
    oriented = shapely.orient_polygons(geometry, exterior_cw=False)
    rings = shapely.get_rings(shapely.get_parts(oriented))
    coords, index = shapely.get_coordinates(rings, return_index=True)
    longitude = np.radians(coords[:, 0])
    # On authalic latitudes the ellipsoid's areas are a sphere's: exact for edges along
    # parallels and meridians, within a hair of the clip's straight edge otherwise.
    sin_lat = np.sin(np.radians(np.clip(coords[:, 1], -90, 90)))
    latitude = np.arcsin(np.clip(_q(sin_lat) / _Q_POLE, -1, 1))
    same_ring = index[1:] == index[:-1]
    d_lon = np.diff(longitude)[same_ring]
    d_lat = np.diff(latitude)[same_ring]
    mid_lat = ((latitude[1:] + latitude[:-1]) / 2)[same_ring]
    # The integral of sin(lat) along a straight edge is d_lon * sin(mid) * sinc(d_lat / 2);
    # numpy's sinc takes its argument in units of pi.
    steradians = -np.sum(d_lon * np.sin(mid_lat) * np.sinc(d_lat / (2 * np.pi)))
    return float(abs(steradians)) * _AUTHALIC_RADIUS_KM**2


def check_area(geometries: Sequence[BaseGeometry], limits: AreaLimits) -> None:
    """Refuse repaired areas whose total area (:func:`area_km2`) is over ``limits.max_km2``.

    Call it on the geometry that will be clipped, after any repair: a self-intersecting
    ring is only an area once repaired (a bow tie's two halves cancel out as sent).
    Measuring costs time linear in the vertices, which :func:`check_counts` bounds
    (a repair adds at most the vertices its budget allows, squared).

    Raises:
        LimitExceededError: naming the limit, its setting and the area found.
    """
    km2 = sum(area_km2(geometry) for geometry in geometries)
    if km2 > limits.max_km2:
        raise LimitExceededError(
            f"an area of {km2:,.0f} km² is over the limit of {limits.max_km2:,} km² per "
            "request (AUTOPKG_MAX_AREA_KM2)"
        )


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
