"""Area limits, the repair budget and custom boundaries built from typed GeoJSON."""

from __future__ import annotations

import dataclasses
import math

import pytest
import shapely
from pyproj import Geod

from autopkg.boundaries.builtin import get_builtin
from autopkg.boundaries.custom import custom_boundary
from autopkg.boundaries.geojson import UploadFeatureCollection, parse_area, polygons_of
from autopkg.boundaries.limits import (
    AreaLimits,
    RepairBudget,
    area_km2,
    check_area,
    check_counts,
)
from autopkg.errors import LimitExceededError, UnprocessableError
from tests.fixtures.areas import polygon, ring

LIMITS = AreaLimits(
    max_vertices=20, max_rings=3, max_parts=2, max_km2=100_000, max_repair_vertices=10
)
SQUARE: list[list[float]] = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
BOWTIE: list[list[float]] = [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]


def test_counts_at_the_limits_pass_and_one_more_fails() -> None:
    check_counts([[ring(10), ring(5)], [ring(5)]], LIMITS)
    with pytest.raises(LimitExceededError, match="21 vertices is over the limit of 20"):
        check_counts([[ring(11), ring(5)], [ring(5)]], LIMITS)
    with pytest.raises(LimitExceededError, match="4 rings is over the limit of 3"):
        check_counts([[ring(4), ring(4)], [ring(4), ring(4)]], LIMITS)
    with pytest.raises(LimitExceededError, match=r"3 parts \(polygons\) is over the limit of 2"):
        check_counts([[ring(4)], [ring(4)], [ring(4)]], LIMITS)


def geodesic_km2(geometry: shapely.Geometry) -> float:
    """The area by pyproj's geodesic polygons over edges cut to 0.01°: such short
    geodesics follow the straight lines in degrees the clip reads, to a hair.

    pyproj reports at most half the Earth for one polygon (it cannot tell a region from
    its complement), so the geometry is measured in its western and eastern halves.
    """
    geod = Geod(ellps="WGS84")
    total = 0.0
    for half in (shapely.box(-180, -90, 0, 90), shapely.box(0, -90, 180, 90)):
        piece = shapely.segmentize(shapely.intersection(geometry, half), 0.01)
        total += abs(float(geod.geometry_area_perimeter(piece)[0]))
    return total / 1_000_000


@pytest.mark.parametrize(
    "geometry",
    [
        shapely.box(0, 0, 1, 1),
        shapely.box(30, 60, 40, 70),
        # The band 0-60°N: geodesics between its corners are not the parallel, and its
        # geodesic area was 0 km².
        shapely.box(-180, 0, 180, 60),
        shapely.box(-179, -85, 179, 85),
        shapely.Polygon([(0, 0), (10, 50), (20, 10), (0, 0)]),
        shapely.box(0, 0, 10, 10).difference(shapely.box(2, 2, 4, 4)),
    ],
)
def test_the_area_is_measured_with_edges_straight_in_degrees(geometry: shapely.Geometry) -> None:
    assert area_km2(geometry) == pytest.approx(geodesic_km2(geometry), rel=1e-3)


def test_the_world_box_is_the_area_of_the_earth() -> None:
    # WGS 84's surface: 4 pi times its authalic radius (6,371,007.2 m) squared.
    earth = 4 * math.pi * 6371.0072**2
    assert area_km2(shapely.box(-180, -90, 180, 90)) == pytest.approx(earth, rel=1e-6)


def test_the_area_is_limited_with_holes_subtracted_and_parts_added() -> None:
    # A 1° square on the equator is about 111.3 km by 110.6 km = 12,308 km².
    square = shapely.box(0, 0, 1, 1)
    check_area([square], dataclasses.replace(LIMITS, max_km2=12_350))
    with pytest.raises(LimitExceededError) as refused:
        check_area([square], dataclasses.replace(LIMITS, max_km2=12_250))
    assert refused.value.message == (
        "an area of 12,308 km² is over the limit of 12,250 km² per request (AUTOPKG_MAX_AREA_KM2)"
    )
    # A 2° square holding a 1° hole is three 1° squares, not four.
    holed = shapely.box(0, 0, 2, 2).difference(shapely.box(0.5, 0.5, 1.5, 1.5))
    three = dataclasses.replace(LIMITS, max_km2=3 * 12_350)
    check_area([holed], three)
    # Parts add up: 3 + 1 + 4 squares.
    with pytest.raises(LimitExceededError, match="an area of 98,"):
        check_area([holed, square, shapely.box(0, 0, 2, 2)], three)


@pytest.mark.parametrize(
    ("coordinates", "km2"),
    [
        # The world box (pyproj cannot measure it: its halves are each half the Earth),
        # and a box just inside it that the clip reads as nearly the world.
        ([[-180, -90], [180, -90], [180, 90], [-180, 90], [-180, -90]], 510_065_622),
        ([[-179, -85], [179, -85], [179, 85], [-179, 85], [-179, -85]], 0),
        # A bow tie across the world: its halves cancel out as sent, not once repaired.
        ([[-180, -80], [180, 80], [180, -80], [-180, 80], [-180, -80]], 0),
    ],
)
def test_areas_wider_than_half_the_world_are_refused(
    coordinates: list[list[float]], km2: int
) -> None:
    limits = dataclasses.replace(LIMITS, max_km2=20_000_000)
    with pytest.raises(LimitExceededError, match="AUTOPKG_MAX_AREA_KM2") as refused:
        custom_boundary(parse_area(polygon(coordinates)), limits)
    found = int(refused.value.message.split()[3].replace(",", ""))
    repaired = shapely.make_valid(shapely.Polygon(coordinates), method="structure")
    # Long diagonal edges are measured on authalic rather than geodetic latitudes: a
    # little apart from the reference.
    assert found == pytest.approx(km2 or geodesic_km2(repaired), rel=5e-3)
    assert found > 300_000_000


def test_polygons_inside_geometry_collections_count_against_every_limit() -> None:
    square = polygon(SQUARE)
    nested = {
        "type": "GeometryCollection",
        "geometries": [square, {"type": "GeometryCollection", "geometries": [square, square]}],
    }
    feature = {"type": "Feature", "properties": {}, "geometry": nested}
    upload = UploadFeatureCollection.model_validate(
        {"type": "FeatureCollection", "features": [feature]}
    )
    assert len(polygons_of(upload)) == 3
    with pytest.raises(LimitExceededError, match=r"3 parts \(polygons\) is over the limit of 2"):
        check_counts(polygons_of(upload), LIMITS)


def test_the_repair_budget_is_spent_only_on_invalid_geometry() -> None:
    budget = RepairBudget(10)
    valid = budget.repair(shapely.Polygon(ring(50)))
    assert valid.is_valid and budget.remaining == 10
    fixed = budget.repair(shapely.Polygon(BOWTIE))
    assert fixed.is_valid and len(fixed.geoms) == 2 and budget.remaining == 5
    with pytest.raises(LimitExceededError, match="has 6 vertices; at most 10"):
        budget.repair(shapely.Polygon([*BOWTIE[:-1], [0, 0.5], [0, 0]]))
    assert budget.remaining == 5


def test_the_same_area_gets_the_same_name_however_it_is_written() -> None:
    bare = custom_boundary(parse_area(polygon(SQUARE)), LIMITS)
    turned = custom_boundary(parse_area(polygon([*SQUARE[2:], *SQUARE[1:3]])), LIMITS)
    with_altitude = [[*position, 100.0] for position in SQUARE]
    feature = {"type": "Feature", "properties": {}, "geometry": polygon(with_altitude)}
    as_feature = custom_boundary(parse_area(feature), LIMITS)
    assert bare.name == turned.name == as_feature.name
    assert bare.name.startswith("custom-") and bare.admin_level is None
    assert not as_feature.geometry.has_z


def test_overlapping_features_are_merged_within_the_repair_budget() -> None:
    shifted = [[x + 0.5, y] for x, y in SQUARE]
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": polygon(SQUARE)},
            {"type": "Feature", "properties": {}, "geometry": polygon(shifted)},
        ],
    }
    merged = custom_boundary(parse_area(collection), LIMITS)
    assert merged.geometry.area == pytest.approx(1.5)
    tight = dataclasses.replace(LIMITS, max_repair_vertices=9)
    with pytest.raises(LimitExceededError, match="has 10 vertices; at most 9"):
        custom_boundary(parse_area(collection), tight)


def test_an_area_without_surface_is_refused() -> None:
    with pytest.raises(UnprocessableError, match="no area"):
        custom_boundary(parse_area(polygon([[0, 0], [1, 1], [0, 0], [0, 0]])), LIMITS)


@pytest.mark.parametrize("name", ["rus", "ata", "fji", "can"])
def test_real_boundaries_measure_as_pyproj_measures_them(name: str) -> None:
    # Across the antimeridian (Russia, Fiji) and around a pole (Antarctica).
    geometry = get_builtin(name).geometry
    assert area_km2(geometry) == pytest.approx(geodesic_km2(geometry), rel=2e-3)
    assert area_km2(geometry) < 20_000_000  # every built-in fits the default limit
