"""Reading boundary files: formats, reprojection, repair and per-row rejection reasons."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from autopkg.boundaries.loader import read_boundaries, to_multipolygon
from autopkg.errors import InvalidInputError

FIXTURE_110M = Path(__file__).parents[2] / "fixtures" / "ne_110m_admin_0_countries.zip"
SQUARE = [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]
BOWTIE = [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]


def feature(
    name: object, long_name: object, geometry: dict[str, Any] | None, level: object = None
) -> dict[str, Any]:
    properties = {"code": name, "label": long_name, "level": level}
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def polygon(coordinates: list[Any]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": coordinates}


ROWS = [
    feature("ABC", "Alpha", polygon(SQUARE), 1),
    feature("bad name", "Bad", polygon(SQUARE)),
    feature("nolong", "", polygon(SQUARE)),
    feature("nul", "Null geometry", None),
    feature("pt", "Point", {"type": "Point", "coordinates": [0.5, 0.5]}),
    feature("abc", "Alpha again", polygon(SQUARE)),
    feature("bow", "Bowtie", polygon(BOWTIE)),
    feature(None, "No name", polygon(SQUARE)),
    feature("far", "Far away", polygon([[[500, 500], [501, 500], [501, 501], [500, 500]]])),
    feature(
        "multi",
        "Overlapping parts",
        {
            "type": "MultiPolygon",
            "coordinates": [SQUARE, [[[0.5, 0], [1.5, 0], [1.5, 1], [0.5, 1], [0.5, 0]]]],
        },
    ),
    feature("  Spaced ", "Spaced", polygon(SQUARE), 2),
    feature(
        "mixed",
        "Polygon and line",
        {
            "type": "GeometryCollection",
            "geometries": [
                polygon(SQUARE),
                {"type": "LineString", "coordinates": [[5, 5], [6, 6]]},
            ],
        },
    ),
]


@pytest.fixture(scope="module")
def geojson(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("geojson") / "areas.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": ROWS}))
    return path


def write_layer(
    path: Path, layer: str, geometries: list[Any], names: list[str], crs: str, **kw: object
) -> None:
    pyogrio.raw.write(
        path,
        np.array(shapely.to_wkb(geometries), dtype=object),
        [np.array(names, dtype=object), np.array([n.upper() for n in names], dtype=object)],
        ["code", "label"],
        layer=layer,
        geometry_type="Polygon",
        crs=crs,
        **kw,
    )


def test_geojson_rows_are_accepted_or_rejected_with_reasons(geojson: Path) -> None:
    report = read_boundaries(
        geojson, name_column="code", long_name_column="label", admin_level_column="level"
    )
    assert [(b.name, b.name_long, b.admin_level) for b in report.boundaries] == [
        ("abc", "Alpha", 1),
        ("bow", "Bowtie", None),
        ("multi", "Overlapping parts", None),
        ("spaced", "Spaced", 2),
        ("mixed", "Polygon and line", None),
    ]
    assert [row for row, _ in report.rejected] == [2, 3, 4, 5, 6, 8, 9]
    reasons = dict(report.rejected)
    assert reasons[2].startswith("invalid name 'bad name': must match")
    assert reasons[3] == "missing long name"
    assert reasons[4] == "the feature has no geometry"
    assert reasons[5] == "a Point encloses no area: a boundary is a Polygon or a MultiPolygon"
    assert reasons[6] == "duplicate name 'abc' (first used at row 1)"
    assert reasons[8] == "missing name"
    assert reasons[9].startswith("coordinates outside longitude/latitude range")


def test_geometries_are_repaired_multipolygons(geojson: Path) -> None:
    report = read_boundaries(geojson, name_column="code", long_name_column="label")
    by_name = {b.name: b.geometry for b in report.boundaries}
    assert all(isinstance(g, MultiPolygon) and g.is_valid for g in by_name.values())
    assert by_name["abc"].equals(MultiPolygon([box(0, 0, 1, 1)]))
    assert (len(by_name["bow"].geoms), by_name["bow"].area) == (2, 0.5)
    assert by_name["multi"].area == pytest.approx(1.5)
    assert by_name["mixed"].equals(MultiPolygon([box(0, 0, 1, 1)]))
    # Without an admin-level column a boundary has none (it is not a country).
    assert {b.admin_level for b in report.boundaries} == {None}


def test_names_the_service_gives_are_reserved_and_long_names_bounded(tmp_path: Path) -> None:
    rows = [
        feature("custom-0123456789ab", "Squatter", polygon(SQUARE)),
        feature("gha-buffer-1000m", "Squatter", polygon(SQUARE)),
        feature("long", "x" * 201, polygon(SQUARE)),
        feature("longest", "x" * 200, polygon(SQUARE)),
    ]
    path = tmp_path / "reserved.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": rows}))
    report = read_boundaries(path, name_column="code", long_name_column="label")
    assert [b.name for b in report.boundaries] == ["longest"]
    reserved = (
        "is reserved: names starting with 'custom-' or holding '-buffer-' are given by "
        "the service to the areas it makes"
    )
    assert report.rejected == [
        (1, f"the name 'custom-0123456789ab' {reserved}"),
        (2, f"the name 'gha-buffer-1000m' {reserved}"),
        (3, "a long name of 201 characters is over the limit of 200 characters"),
    ]


def test_projected_geopackage_is_reprojected(tmp_path: Path) -> None:
    path = tmp_path / "mercator.gpkg"
    metres = shapely.transform(box(0, 0, 1, 1), lambda xy: xy * [111319.490793, 111325.142866])
    write_layer(path, "areas", [metres], ["sq"], "EPSG:3857")
    report = read_boundaries(path, name_column="code", long_name_column="label")
    assert report.rejected == []
    (boundary,) = report.boundaries
    assert boundary.name_long == "SQ"
    assert boundary.geometry.bounds == pytest.approx((0, 0, 1, 1), abs=1e-6)


def test_zipped_shapefile_in_a_folder(tmp_path: Path) -> None:
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    write_layer(
        shp_dir / "areas.shp",
        "areas",
        [box(10, 10, 11, 11), box(12, 10, 13, 11)],
        ["aa", "bb"],
        "EPSG:4326",
    )
    archive = tmp_path / "areas.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp_dir.iterdir():
            zf.write(part, f"nested/{part.name}")
    report = read_boundaries(archive, name_column="code", long_name_column="label")
    assert [(b.name, b.geometry.bounds) for b in report.boundaries] == [
        ("aa", (10.0, 10.0, 11.0, 11.0)),
        ("bb", (12.0, 10.0, 13.0, 11.0)),
    ]
    with zipfile.ZipFile(archive, "a") as zf:
        zf.write(shp_dir / "areas.shp", "other/copy.shp")
    with pytest.raises(InvalidInputError, match=re.escape("nested/areas.shp, other/copy.shp")):
        read_boundaries(archive, name_column="code", long_name_column="label")


def test_natural_earth_fixture_rejects_missing_iso_codes() -> None:
    report = read_boundaries(FIXTURE_110M, name_column="ISO_A3", long_name_column="NAME_LONG")
    assert len(report.boundaries) == 172
    assert [row for row, _ in report.rejected] == [22, 44, 161, 168, 175]
    assert all(reason.startswith("invalid name '-99'") for _, reason in report.rejected)
    assert {b.name: b.name_long for b in report.boundaries}["gha"] == "Ghana"


def test_missing_column_lists_the_available_ones(geojson: Path) -> None:
    with pytest.raises(InvalidInputError) as caught:
        read_boundaries(geojson, name_column="iso", long_name_column="label")
    assert caught.value.message == (
        "column 'iso' not found in areas.geojson; available columns: code, label, level"
    )
    with pytest.raises(InvalidInputError, match="column 'lvl' not found"):
        read_boundaries(
            geojson, name_column="code", long_name_column="label", admin_level_column="lvl"
        )


def test_several_layers_need_a_choice(tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    write_layer(path, "first", [box(0, 0, 1, 1)], ["one"], "EPSG:4326")
    write_layer(path, "second", [box(2, 2, 3, 3)], ["two"], "EPSG:4326", append=True)
    with pytest.raises(InvalidInputError, match="2 layers; choose one of: first, second"):
        read_boundaries(path, name_column="code", long_name_column="label")
    report = read_boundaries(path, name_column="code", long_name_column="label", layer="second")
    assert [b.name for b in report.boundaries] == ["two"]


def test_unreadable_inputs(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="boundary file not found"):
        read_boundaries(tmp_path / "none.geojson", name_column="a", long_name_column="b")
    garbage = tmp_path / "garbage.geojson"
    garbage.write_text("this is not geojson")
    with pytest.raises(
        InvalidInputError, match=re.escape("cannot read boundaries from garbage.geojson")
    ):
        read_boundaries(garbage, name_column="a", long_name_column="b")
    bad_zip = tmp_path / "bad.zip"
    bad_zip.write_bytes(b"PK nope")
    with pytest.raises(InvalidInputError, match="not a valid zip"):
        read_boundaries(bad_zip, name_column="a", long_name_column="b")


def test_to_multipolygon_edge_cases() -> None:
    assert to_multipolygon(None) is None
    assert to_multipolygon(shapely.Point(0, 0)) is None
    assert to_multipolygon(shapely.Polygon()) is None
    spike = shapely.Polygon([(0, 0), (2, 0), (2, 2), (0, 2), (0, 0), (-1, -1), (0, 0)])
    repaired = to_multipolygon(spike)
    assert repaired is not None and repaired.is_valid and repaired.area == 4
