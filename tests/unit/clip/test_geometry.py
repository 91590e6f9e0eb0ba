"""repair, antimeridian_parts and boundary_in_crs."""

from __future__ import annotations

import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon, box

from autopkg.clip.geometry import (
    DENSIFY_DEGREES,
    antimeridian_parts,
    antimeridian_sides,
    boundary_in_crs,
    repair,
)
from autopkg.errors import ClipError

BOWTIE = Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])


def test_repair_splits_a_bowtie() -> None:
    fixed = repair(BOWTIE)
    assert isinstance(fixed, MultiPolygon) and fixed.is_valid
    assert len(fixed.geoms) == 2
    assert fixed.area == pytest.approx(2.0)


def test_repair_keeps_only_polygons_and_drops_z() -> None:
    mixed = GeometryCollection(
        [Polygon([(0, 0, 5), (1, 0, 5), (1, 1, 5)]), LineString([(5, 5), (6, 6)]), Point(9, 9)]
    )
    fixed = repair(mixed)
    assert isinstance(fixed, MultiPolygon)
    assert len(fixed.geoms) == 1 and fixed.area == pytest.approx(0.5)
    assert not fixed.has_z


def test_repair_merges_overlapping_parts() -> None:
    overlapping = MultiPolygon([box(0, 0, 2, 2), box(1, 1, 3, 3)])
    assert not overlapping.is_valid
    fixed = repair(overlapping)
    assert fixed.is_valid
    assert fixed.area == pytest.approx(7.0)
    assert fixed.equals(box(0, 0, 2, 2).union(box(1, 1, 3, 3)))


def test_repair_wraps_a_valid_polygon() -> None:
    fixed = repair(box(0, 0, 1, 1))
    assert isinstance(fixed, MultiPolygon)
    assert fixed.equals(MultiPolygon([box(0, 0, 1, 1)]))


@pytest.mark.parametrize(
    "geom",
    [Polygon(), LineString([(0, 0), (1, 1)]), Point(0, 0), Polygon([(0, 0), (1, 1), (2, 2)])],
)
def test_repair_refuses_what_has_no_area(geom: shapely.Geometry) -> None:
    with pytest.raises(ClipError, match="no area"):
        repair(geom)


def _shifts(geom: MultiPolygon) -> list[tuple[float, float]]:
    """(west edge, shift) of each part, sorted by west edge."""
    return sorted((round(p.bounds[0], 1), shift) for p, shift in antimeridian_parts(geom))


def test_fiji_east_part_shifted(countries: dict[str, MultiPolygon]) -> None:
    assert _shifts(repair(countries["FJI"])) == [(-180.0, 360.0), (177.3, 0.0), (178.6, 0.0)]


def test_russia_chukotka_shifted(countries: dict[str, MultiPolygon]) -> None:
    shifts = _shifts(repair(countries["RUS"]))
    assert [s for w, s in shifts if w < 0] == [360.0, 360.0]
    assert {s for w, s in shifts if w > 0} == {0.0}
    placed = [
        shapely.affinity.translate(p, xoff=s) for p, s in antimeridian_parts(countries["RUS"])
    ]
    west, _, east, _ = MultiPolygon(placed).bounds
    assert (round(west, 1), round(east, 1)) == (19.7, 190.1)


@pytest.mark.parametrize("code", ["GHA", "USA", "ATA", "NZL", "IDN"])
def test_ordinary_countries_unshifted(countries: dict[str, MultiPolygon], code: str) -> None:
    assert {s for _, s in antimeridian_parts(repair(countries[code]))} == {0.0}


def test_widest_gap_decides() -> None:
    # Gaps: -170..-10 (160°) and 0..170 (170°): cutting at the wider one leaves 190°.
    parts = MultiPolygon([box(170, 0, 180, 1), box(-180, 0, -170, 1), box(-10, 0, 0, 1)])
    assert _shifts(parts) == [(-180.0, 360.0), (-10.0, 360.0), (170.0, 0.0)]


def test_already_shifted_coordinates_left_alone() -> None:
    parts = MultiPolygon([box(177, 0, 180, 1), box(180, 0, 182, 1)])
    assert _shifts(parts) == [(177.0, 0.0), (180.0, 0.0)]


def test_fiji_sides_are_named_by_hemisphere(countries: dict[str, MultiPolygon]) -> None:
    fiji = repair(countries["FJI"])
    sides = dict(antimeridian_sides(fiji))
    assert list(sides) == ["east", "west"]
    assert [round(b, 2) for b in sides["east"].bounds] == [177.29, -18.29, 180.0, -16.07]
    assert [round(b, 2) for b in sides["west"].bounds] == [-180.0, -16.56, -179.79, -16.02]
    assert shapely.union(sides["east"], sides["west"]).equals(fiji)


def test_sides_of_a_shape_placed_past_180() -> None:
    # A custom area drawn across the antimeridian as one polygon, 178..183.
    sides = dict(antimeridian_sides(MultiPolygon([box(178, 0, 183, 1)])))
    assert sides["east"].equals(MultiPolygon([box(178, 0, 180, 1)]))
    assert sides["west"].equals(MultiPolygon([box(-180, 0, -177, 1)]))


@pytest.mark.parametrize(
    "geom",
    [
        MultiPolygon([box(-3, 4, 1, 11)]),
        MultiPolygon([box(170, 0, 180, 1)]),  # touches 180° from the east side only
        MultiPolygon([box(-180, 0, -170, 1), box(-10, 0, 0, 1)]),
    ],
)
def test_no_sides_unless_the_antimeridian_is_crossed(geom: MultiPolygon) -> None:
    assert antimeridian_sides(geom) == ()


def test_boundary_in_wgs84_is_identity() -> None:
    geom = box(1, 2, 3, 4)
    assert boundary_in_crs(geom, "EPSG:4326") is geom
    assert boundary_in_crs(geom, "OGC:CRS84") is geom


def test_boundary_in_mollweide_is_densified() -> None:
    # Meridians are curves in Mollweide: a 60° straight edge along 170°W must bend.
    area = box(-170, 0, -160, 60)
    projected = boundary_in_crs(area, "ESRI:54009")
    to_moll = Transformer.from_crs("EPSG:4326", "ESRI:54009", always_xy=True)
    assert len(shapely.get_coordinates(projected)) >= 2 * (10 + 60) / DENSIFY_DEGREES
    middle = Point(to_moll.transform(-170, 30))
    assert projected.exterior.distance(middle) < 1.0
    assert projected.exterior.distance(Point(to_moll.transform(-160, 60))) < 1e-6
    # The undensified chord between the edge's ends passes far from the true curve.
    chord = LineString([to_moll.transform(-170, 0), to_moll.transform(-170, 60)])
    assert chord.distance(middle) > 100_000


def test_boundary_in_crs_errors() -> None:
    with pytest.raises(ClipError, match="unknown coordinate reference system"):
        boundary_in_crs(box(0, 0, 1, 1), "EPSG:999999")
    with pytest.raises(ClipError, match="cannot be expressed"):
        boundary_in_crs(box(10, -50, 20, -40), "+proj=ortho +lat_0=90 +lon_0=0 +type=crs")
