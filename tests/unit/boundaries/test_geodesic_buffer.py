"""Geodesic buffers: every edge point within 0.5 % of the distance, measured with pyproj.Geod."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon

from autopkg.boundaries.builtin import get_builtin
from autopkg.boundaries.geodesic import geodesic_buffer

GEOD = Geod(ellps="WGS84")
METRES_PER_DEGREE = 111_000


def edge_errors(original: MultiPolygon, buffered: MultiPolygon, metres: float) -> np.ndarray:
    """Relative error of the distance from sampled edge points of ``buffered`` to ``original``.

    Edge points are taken every third of the distance along the edges (straight in
    degrees, as the clip reads them), leaving out the cuts at ±180° and along ±90°
    (an area holding a pole), which are no edges on the globe. Each point's distance
    is the least geodesic distance to the original boundary's edges, densified to a
    twentieth of the distance (the nearest vertex is then within 0.03 % of the nearest
    point); a point inside the original is an error of 1.
    """
    spacing = metres / 20 / METRES_PER_DEGREE
    targets = shapely.get_coordinates(shapely.segmentize(shapely.boundary(original), spacing))
    edge = shapely.boundary(buffered)
    points = shapely.get_coordinates(shapely.segmentize(edge, metres / 3 / METRES_PER_DEGREE))
    points = points[np.abs(np.abs(points[:, 0]) - 180) > 1e-9]
    points = points[np.abs(points[:, 1]) < 90 - 1e-9]
    sample = np.random.default_rng(0).choice(len(points), min(200, len(points)), replace=False)
    errors = []
    for longitude, latitude in points[sample]:
        if original.contains(shapely.Point(longitude, latitude)):
            errors.append(1.0)
            continue
        count = len(targets)
        _, _, distances = GEOD.inv(
            np.full(count, longitude), np.full(count, latitude), targets[:, 0], targets[:, 1]
        )
        errors.append(abs(distances.min() / metres - 1))
    return np.array(errors)


@pytest.mark.parametrize(
    ("name", "metres"),
    [
        ("fji", 5_000),  # across ±180°, 21 parts
        ("fji", 200_000),
        ("zaf", 20_000),  # Lesotho is a hole
        ("gha", 1_000_000),
        ("bhs", 20_000),  # 15 islands, merging
    ],
)
def test_every_edge_point_is_within_half_a_percent(name: str, metres: int) -> None:
    original = get_builtin(name).geometry
    buffered = geodesic_buffer(original, metres)
    assert buffered.is_valid
    assert buffered.covers(original)
    errors = edge_errors(original, buffered, metres)
    assert len(errors) >= 100
    assert errors.max() <= 0.005, f"worst edge point {errors.max():.3%} off"


def test_across_the_antimeridian_parts_stay_on_their_side() -> None:
    buffered = geodesic_buffer(get_builtin("fji").geometry, 50_000)
    widths = [part.bounds[2] - part.bounds[0] for part in buffered.geoms]
    assert max(widths) < 10
    assert buffered.bounds[0] == -180 and buffered.bounds[2] == 180


def test_islands_within_twice_the_distance_merge() -> None:
    original = get_builtin("bhs").geometry
    assert len(geodesic_buffer(original, 100_000).geoms) < len(original.geoms)


def test_a_buffer_over_a_pole_holds_it_whole() -> None:
    near_pole = MultiPolygon([shapely.box(0, 85, 10, 87)])
    buffered = geodesic_buffer(near_pole, 500_000)
    (part,) = buffered.geoms
    assert part.bounds == (-180, pytest.approx(80.52, abs=0.01), 180, 90)
    assert buffered.contains(shapely.Point(-170, 89.5))  # beyond the pole
    assert not buffered.contains(shapely.Point(-170, 86))  # ~780 km away, over the pole
    assert edge_errors(near_pole, buffered, 500_000).max() <= 0.005
    near_south = MultiPolygon([shapely.box(-20, -80, 30, -75)])
    south = geodesic_buffer(near_south, 1_000_000)
    assert south.bounds[1] > -90  # 1,000 km from 80°S does not reach the pole (1,113 km)
    assert edge_errors(near_south, south, 1_000_000).max() <= 0.005


def square_ring(half_degrees: float) -> list[tuple[float, float]]:
    return [
        (-half_degrees, -half_degrees),
        (half_degrees, -half_degrees),
        (half_degrees, half_degrees),
        (-half_degrees, half_degrees),
    ]


def test_a_hole_shrinks_by_the_distance_then_vanishes() -> None:
    # A 4° square with a 1° square hole on the equator: the hole is 111 km wide.
    original = MultiPolygon([Polygon(square_ring(2), [square_ring(0.5)])])
    shrunk = geodesic_buffer(original, 20_000)
    (part,) = shrunk.geoms
    (hole,) = part.interiors
    west, _, east, _ = Polygon(hole).bounds
    _, _, width = GEOD.inv(west, 0, east, 0)
    _, _, hole_width = GEOD.inv(-0.5, 0, 0.5, 0)
    assert width == pytest.approx(hole_width - 2 * 20_000, rel=0.005)
    assert edge_errors(original, shrunk, 20_000).max() <= 0.005
    (filled,) = geodesic_buffer(original, 60_000).geoms
    assert not filled.interiors


def test_a_distance_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        geodesic_buffer(get_builtin("gha").geometry, 0)
