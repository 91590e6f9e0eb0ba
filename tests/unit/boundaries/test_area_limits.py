"""Area limits, the repair budget and custom boundaries built from typed GeoJSON."""

from __future__ import annotations

import dataclasses

import pytest
import shapely

from autopkg.boundaries.custom import custom_boundary
from autopkg.boundaries.geojson import parse_area
from autopkg.boundaries.limits import AreaLimits, RepairBudget, check_area, check_counts
from autopkg.errors import LimitExceededError, UnprocessableError
from tests.fixtures.areas import polygon, ring

LIMITS = AreaLimits(
    max_vertices=20, max_rings=3, max_parts=2, max_km2=100_000, max_repair_vertices=10
)
SQUARE = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
BOWTIE = [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]


def test_counts_at_the_limits_pass_and_one_more_fails() -> None:
    check_counts([[ring(10), ring(5)], [ring(5)]], LIMITS)
    with pytest.raises(LimitExceededError, match="21 vertices is over the limit of 20"):
        check_counts([[ring(11), ring(5)], [ring(5)]], LIMITS)
    with pytest.raises(LimitExceededError, match="4 rings is over the limit of 3"):
        check_counts([[ring(4), ring(4)], [ring(4), ring(4)]], LIMITS)
    with pytest.raises(LimitExceededError, match=r"3 parts \(polygons\) is over the limit of 2"):
        check_counts([[ring(4)], [ring(4)], [ring(4)]], LIMITS)


def test_the_geodesic_area_is_limited_with_holes_subtracted() -> None:
    # A 1° square on the equator is about 111.3 km by 110.6 km = 12,309 km².
    one_degree = dataclasses.replace(LIMITS, max_km2=12_350)
    check_area([[SQUARE]], one_degree)
    check_area([[list(reversed(SQUARE))]], one_degree)  # the winding does not matter
    with pytest.raises(LimitExceededError) as refused:
        check_area([[SQUARE]], dataclasses.replace(LIMITS, max_km2=12_250))
    assert refused.value.message.startswith("an area of 12,3")
    assert refused.value.message.endswith(
        " km² is over the limit of 12,250 km² per request (AUTOPKG_MAX_AREA_KM2)"
    )
    # A 2° square holding a 1° hole is three 1° squares, not four.
    shell = [[2 * x, 2 * y] for x, y in SQUARE]
    hole = [[x + 0.5, y + 0.5] for x, y in SQUARE]
    three = dataclasses.replace(LIMITS, max_km2=3 * 12_350)
    check_area([[shell, hole]], three)
    with pytest.raises(LimitExceededError):
        check_area([[shell]], three)
    # Parts add up (four squares), and a hole larger than its shell takes nothing from
    # the other parts (else this would be one square).
    with pytest.raises(LimitExceededError, match="an area of 49,"):
        check_area([[shell, hole], [SQUARE], [SQUARE, shell]], three)


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
    assert bare.name.startswith("custom-") and bare.admin_level == "custom"
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
