"""Boundary geometry preparation: repair, antimeridian split and reprojection.

Boundaries always arrive in EPSG:4326 (longitude, latitude). The functions here turn
them into what the raster and vector clippers need: a valid MultiPolygon, its parts
placed contiguously across the antimeridian, and the same shape in a source's CRS.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from shapely import affinity
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from autopkg.errors import ClipError

#: Longest boundary edge, in degrees, kept straight before reprojecting. Borders drawn
#: along a meridian or a parallel are straight in degrees but curved in many projections
#: (meridians in Mollweide, parallels in conic ones); 0.1° keeps the error of treating
#: them as straight within metres.
DENSIFY_DEGREES = 0.1

#: Degrees by which a part may pass ±180° and still count as ending there: real
#: boundaries (Natural Earth's Russia) carry rounding noise such as 180.00000000000006.
_SLACK = 1e-6

_WGS84 = CRS.from_epsg(4326)


def repair(geom: BaseGeometry) -> MultiPolygon:
    """Return ``geom`` as a valid, two-dimensional MultiPolygon.

    Invalid input is fixed with ``make_valid`` (structure method: overlapping parts are
    merged); points and lines in the input or left by the repair are dropped because
    they enclose no area.

    Raises:
        ClipError: the geometry is empty or has no polygonal part with an area.
    """
    fixed = shapely.force_2d(geom)
    if not fixed.is_valid:
        # "structure" reads rings as shells and holes, so overlapping parts of a
        # hand-made MultiPolygon are unioned rather than cancelled out pairwise.
        fixed = shapely.make_valid(fixed, method="structure", keep_collapsed=False)
    polygons = [p for p in _polygons(fixed) if not p.is_empty and p.area > 0]
    if not polygons:
        raise ClipError("the boundary is empty or encloses no area")
    result = MultiPolygon(polygons)
    if not result.is_valid:
        # Parts that overlap each other (a hand-made GeoJSON) are merged into one shape.
        merged = shapely.union_all(polygons)
        result = MultiPolygon(_polygons(merged))
    return result


def _polygons(geom: BaseGeometry) -> list[Polygon]:
    """Every Polygon inside ``geom``, however deeply collections nest them."""
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, MultiPolygon | shapely.GeometryCollection):
        return [p for part in geom.geoms for p in _polygons(part)]
    return []


def antimeridian_parts(geom: MultiPolygon) -> list[tuple[Polygon, float]]:
    """Pair each part of ``geom`` with the longitude shift that makes the parts contiguous.

    The parts' longitude extents are laid on the circle and the widest gap between them
    is found. When that gap contains the antimeridian (most countries) every shift is 0.
    Otherwise the boundary crosses ±180° and the parts west of the gap get +360, so Fiji
    becomes 177..180.2 instead of -180..180 and Russia 19..190 instead of the whole
    world. The returned polygons are the original, unshifted parts; add the shift to
    their longitudes to place them.

    Coordinates already outside -180..180 mean the caller placed the parts itself: every
    shift is then 0.
    """
    parts = list(geom.geoms)
    extents = [(p.bounds[0], p.bounds[2]) for p in parts]
    if any(west < -180 - _SLACK or east > 180 + _SLACK for west, east in extents):
        return [(p, 0.0) for p in parts]
    merged: list[list[float]] = []
    for west, east in sorted(extents):
        if merged and west <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], east)
        else:
            merged.append([west, east])
    widest = merged[0][0] + 360.0 - merged[-1][1]
    cut: float | None = None
    for (_, left_east), (right_west, _) in pairwise(merged):
        if right_west - left_east > widest:
            widest, cut = right_west - left_east, right_west
    return [
        (p, 360.0 if cut is not None and west < cut else 0.0)
        for p, (west, _) in zip(parts, extents, strict=True)
    ]


def antimeridian_sides(geom: MultiPolygon) -> tuple[tuple[str, MultiPolygon], ...]:
    """Split a boundary crossing the antimeridian into ``("east", …)`` and ``("west", …)``.

    For sources whose grid cannot wrap at ±180° (projected CRSs such as Mollweide) a
    boundary on both sides of the antimeridian is clipped one side at a time, so that
    neither output is as wide as the world. The parts are placed contiguously as
    :func:`antimeridian_parts` does and cut at the antimeridian; each side is named by
    the hemisphere of its longitudes: ``east`` holds the longitudes up to 180°E (the
    east edge of a world map), ``west`` those from 180°W. Both come back in -180..180.

    Returns:
        The two sides, east first; an empty tuple when the boundary does not cross the
        antimeridian (touching it from one side does not count).
    """
    placed = [affinity.translate(p, xoff=shift) for p, shift in antimeridian_parts(geom)]
    west, _, east, _ = MultiPolygon(placed).bounds
    lines = [line for line in (-180.0, 180.0) if west < line < east]
    if not lines:
        return ()
    line = lines[0]
    whole = MultiPolygon(placed)
    sides = (
        ("east", shapely.clip_by_rect(whole, west - 1, -91, line, 91), 180.0 - line),
        ("west", shapely.clip_by_rect(whole, line, -91, east + 1, 91), -180.0 - line),
    )
    kept = []
    for name, side, shift in sides:
        polygons = [p for p in _polygons(side) if p.area > 0]
        if not polygons:
            return ()
        kept.append((name, repair(affinity.translate(MultiPolygon(polygons), xoff=shift))))
    return tuple(kept)


def boundary_in_crs(geom: BaseGeometry, crs: CRS | str) -> BaseGeometry:
    """Return ``geom`` (EPSG:4326) expressed in ``crs``.

    Edges are first densified to :data:`DENSIFY_DEGREES` so that straight edges in
    degrees follow their true curve in the target CRS, then every vertex is transformed
    with pyproj (longitude, latitude order whatever the CRS's axis order). EPSG:4326
    itself returns ``geom`` unchanged. The result is not repaired: pass it to
    :func:`repair` when a valid polygon is needed.

    Raises:
        ClipError: the CRS is unknown or the boundary lies outside its area of use.
    """
    try:
        target = CRS.from_user_input(crs)
    except Exception as exc:
        raise ClipError(f"unknown coordinate reference system: {crs}") from exc
    if target.equals(_WGS84, ignore_axis_order=True):
        return geom
    transformer = Transformer.from_crs(_WGS84, target, always_xy=True)

    def project(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    projected = shapely.transform(shapely.segmentize(geom, DENSIFY_DEGREES), project)
    if not np.isfinite(shapely.get_coordinates(projected)).all():
        raise ClipError(f"the boundary cannot be expressed in {target.name}")
    return projected
