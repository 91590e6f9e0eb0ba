"""clip_vector: same features as a brute-force shapely clip, attributes kept, GPKG output."""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pytest
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon

from autopkg.clip import VectorClip, clip_vector
from autopkg.errors import ClipError

CSV_OPTIONS = {"X_POSSIBLE_NAMES": "longitude", "Y_POSSIBLE_NAMES": "latitude"}


def read_layer(
    path: Path | str, **options: str
) -> tuple[dict[str, Any], NDArray[np.object_], dict[str, NDArray[Any]]]:
    """Metadata, geometries and columns of a layer."""
    meta, _, wkb, values = pyogrio.raw.read(path, **options)
    return meta, shapely.from_wkb(wkb), dict(zip(meta["fields"], values, strict=True))


def brute_force(
    path: Path | str, boundary: MultiPolygon, dimension: int, **options: str
) -> dict[Any, shapely.Geometry]:
    """Clip every feature of the layer with shapely alone: key column value -> geometry."""
    _, geoms, columns = read_layer(path, **options)
    keys = columns["id"] if "id" in columns else columns["gppd_idnr"]
    clipped = shapely.intersection(geoms, boundary)
    result = {}
    for key, geom in zip(keys, clipped, strict=True):
        parts = [
            p
            for p in shapely.get_parts(geom)
            if shapely.get_dimensions(p) == dimension and not p.is_empty
        ]
        if parts:
            result[key] = shapely.union_all(parts)
    return result


def check_against_brute_force(
    clip: VectorClip, src: Path | str, boundary: MultiPolygon, dimension: int, **options: str
) -> dict[str, NDArray[Any]]:
    """Same features, same clipped shapes, within the boundary; return output columns."""
    expected = brute_force(src, boundary, dimension, **options)
    _, geoms, columns = read_layer(clip.path)
    keys = columns["id"] if "id" in columns else columns["gppd_idnr"]
    assert clip.features == len(geoms) == len(expected)
    assert sorted(keys.tolist()) == sorted(expected)  # no duplicates, none missing
    assert shapely.within(geoms, boundary.buffer(1e-9)).all()
    for key, geom in zip(keys, geoms, strict=True):
        assert shapely.equals_exact(
            shapely.normalize(geom), shapely.normalize(expected[key]), 1e-9
        ) or (
            shapely.symmetric_difference(geom, expected[key]).length < 1e-9
            if dimension == 1
            else shapely.symmetric_difference(geom, expected[key]).area < 1e-12
        )
    return columns


def test_ghana_lines(lines_gpkg: Path, countries: dict[str, MultiPolygon], tmp_path: Path) -> None:
    ghana = countries["GHA"]
    fractions: list[float] = []
    clip = clip_vector(lines_gpkg, ghana, tmp_path / "gha.gpkg", progress=fractions.append)
    assert clip == VectorClip(tmp_path / "gha.gpkg", clip.features, "roads", False)
    assert clip.features > 1500
    columns = check_against_brute_force(clip, lines_gpkg, ghana, 1)
    # Attributes travel with their feature.
    assert [f"road {i}" for i in columns["id"]] == columns["name"].tolist()
    assert np.array_equal(columns["value"], columns["id"] * 0.5)
    info = pyogrio.read_info(clip.path)
    assert info["geometry_type"] == "MultiLineString"
    assert info["crs"] == "EPSG:4326"
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_output_has_spatial_index(
    lines_gpkg: Path, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    clip = clip_vector(lines_gpkg, countries["GHA"], tmp_path / "gha.gpkg")
    with sqlite3.connect(clip.path) as db:
        extensions = db.execute("SELECT table_name, extension_name FROM gpkg_extensions").fetchall()
        indexed = db.execute("SELECT count(*) FROM rtree_roads_geom").fetchone()[0]
    assert ("roads", "gpkg_rtree_index") in extensions
    assert indexed == clip.features


def test_fiji_parts_read_separately_without_duplicates(
    lines_gpkg: Path, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    fiji = countries["FJI"]
    _, geoms, _ = read_layer(lines_gpkg)
    # The data must hold lines that touch two of Fiji's parts for this test to mean much.
    touching = sum(shapely.intersects(geoms, part) for part in fiji.geoms)
    assert (touching >= 2).sum() > 0
    fractions: list[float] = []
    clip = clip_vector(lines_gpkg, fiji, tmp_path / "fji.gpkg", progress=fractions.append)
    check_against_brute_force(clip, lines_gpkg, fiji, 1)
    assert len(fractions) >= 3 and fractions == sorted(fractions)
    _, out, _ = read_layer(clip.path)
    west = shapely.bounds(out)[:, 0]
    assert (west < -179).any() and (west > 177).any()  # both sides of the antimeridian


def test_russia_lines(lines_gpkg: Path, countries: dict[str, MultiPolygon], tmp_path: Path) -> None:
    russia = countries["RUS"]
    clip = clip_vector(lines_gpkg, russia, tmp_path / "rus.gpkg")
    assert clip.features > 500
    check_against_brute_force(clip, lines_gpkg, russia, 1)


def test_polygons_repaired_clipped_and_touching_ones_dropped(
    squares_gpkg: Path, tmp_path: Path
) -> None:
    # Covers cells x=2..4 fully, cuts cells at x=1 and x=5 in half; y from 0 to 3 exactly,
    # so cells of row y=3 touch the boundary along a line only and must not appear.
    area = MultiPolygon([shapely.box(1.5, 0, 5.5, 3)])
    clip = clip_vector(squares_gpkg, area, tmp_path / "cells.gpkg")
    _, geoms, columns = read_layer(clip.path)
    assert pyogrio.read_info(clip.path)["geometry_type"] == "MultiPolygon"
    areas = dict(zip(columns["id"].tolist(), shapely.area(geoms).round(9).tolist(), strict=True))
    cells = {x * 10 + y: (0.5 if x in (1, 5) else 1.0) for x in range(1, 6) for y in range(3)}
    assert areas == {**cells, 1000: 0.18}  # the bow-tie, repaired into two triangles
    assert all(isinstance(g, MultiPolygon) for g in geoms)


def test_power_plants_csv_in_zip(
    power_plants_zip: str, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    ghana = countries["GHA"]
    clip = clip_vector(power_plants_zip, ghana, tmp_path / "plants.gpkg", open_options=CSV_OPTIONS)
    assert clip.layer == "global_power_plant_database"
    columns = check_against_brute_force(clip, power_plants_zip, ghana, 0, **CSV_OPTIONS)
    assert clip.features == 6
    # One Spanish-owned plant's coordinates fall inside Ghana in the source data.
    assert sorted(columns["country"].tolist()) == ["ESP"] + ["GHA"] * 5
    info = pyogrio.read_info(clip.path)
    assert info["geometry_type"] == "Point"
    assert info["crs"] == "EPSG:4326"


def test_scanned_source_reports_progress_by_rows_read(
    power_plants_zip: str, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    # 29,910 rows in batches of 16,384: the scan reports once per batch, then 1.0.
    reports: list[float] = []
    clip_vector(
        power_plants_zip,
        countries["GHA"],
        tmp_path / "plants.gpkg",
        open_options=CSV_OPTIONS,
        progress=reports.append,
    )
    assert reports == sorted(reports)
    assert reports[-1] == 1.0
    assert reports[0] == pytest.approx(16_384 / 29_910)
    assert 0 < reports[0] < reports[1] < 1.0


def test_power_plants_across_antimeridian(
    power_plants_zip: str, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    fiji = countries["FJI"]
    clip = clip_vector(power_plants_zip, fiji, tmp_path / "fji.gpkg", open_options=CSV_OPTIONS)
    check_against_brute_force(clip, power_plants_zip, fiji, 0, **CSV_OPTIONS)
    assert clip.features == 10


def test_projected_source_gets_reprojected_boundary(
    lines_gpkg: Path, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    _, geoms, columns = read_layer(lines_gpkg)
    mercator = tmp_path / "lines_3857.gpkg"
    from pyproj import Transformer

    forward = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    projected = shapely.transform(
        geoms, lambda xy: np.column_stack(forward.transform(xy[:, 0], xy[:, 1]))
    )
    pyogrio.raw.write(
        mercator,
        shapely.to_wkb(projected),
        [columns["id"]],
        ["id"],
        layer="roads",
        driver="GPKG",
        geometry_type="LineString",
        crs="EPSG:3857",
    )
    clip = clip_vector(mercator, countries["GHA"], tmp_path / "gha.gpkg")
    assert pyogrio.read_info(clip.path)["crs"] == "EPSG:3857"
    direct = clip_vector(lines_gpkg, countries["GHA"], tmp_path / "gha_4326.gpkg")
    # Ghana's edges are densified before projection, so a few lines right at the border
    # may differ; the bulk is the same set.
    _, _, out = read_layer(clip.path)
    _, _, ref = read_layer(direct.path)
    assert len(set(out["id"].tolist()) ^ set(ref["id"].tolist())) <= 3
    assert abs(clip.features - direct.features) <= 3


def test_empty_result_is_a_valid_empty_layer(lines_gpkg: Path, tmp_path: Path) -> None:
    nowhere = MultiPolygon([shapely.box(10, 89.5, 11, 90)])
    clip = clip_vector(lines_gpkg, nowhere, tmp_path / "empty.gpkg")
    assert clip.empty and clip.features == 0
    info = pyogrio.read_info(clip.path)
    assert info["features"] == 0
    assert info["geometry_type"] == "MultiLineString"
    assert info["fields"].tolist() == ["id", "name", "value"]


def test_layer_selection_and_missing_layer(
    lines_gpkg: Path, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    clip = clip_vector(lines_gpkg, countries["GHA"], tmp_path / "a.gpkg", layer="roads")
    assert clip.layer == "roads" and clip.features > 0
    with pytest.raises(ClipError, match=r"lines\.gpkg"):
        clip_vector(lines_gpkg, countries["GHA"], tmp_path / "b.gpkg", layer="rails")


def test_unreadable_sources_name_the_file(
    tmp_path: Path, countries: dict[str, MultiPolygon], power_plants_zip: str
) -> None:
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(ClipError, match=r"junk\.gpkg"):
        clip_vector(junk, countries["GHA"], tmp_path / "out.gpkg")
    with pytest.raises(ClipError, match=r"missing\.shp"):
        clip_vector(tmp_path / "missing.shp", countries["GHA"], tmp_path / "out.gpkg")
    # A CSV read without its coordinate columns has no geometry to clip.
    with pytest.raises(ClipError, match="no geometry"):
        clip_vector(power_plants_zip, countries["GHA"], tmp_path / "out.gpkg")
    assert not (tmp_path / "out.gpkg").exists()


def test_curved_geometries_are_refused_by_name(tmp_path: Path) -> None:
    # ISO WKB CircularString (type 8): GEOS cannot clip curves.
    arc = struct.pack("<BII6d", 1, 8, 3, 0, 0, 1, 1, 2, 0)
    src = tmp_path / "arcs.gpkg"
    pyogrio.raw.write(
        src,
        np.array([arc], dtype=object),
        [np.array([1])],
        ["id"],
        layer="arcs",
        driver="GPKG",
        geometry_type="Unknown",
        crs="EPSG:4326",
    )
    with pytest.raises(ClipError, match=r"arcs\.gpkg: Nonlinear geometry"):
        clip_vector(src, MultiPolygon([shapely.box(0.5, -1, 3, 3)]), tmp_path / "out.gpkg")
    assert not (tmp_path / "out.gpkg").exists()


def test_field_names_differing_only_in_case_are_all_kept(tmp_path: Path) -> None:
    # A GeoPackage's column names are case-insensitive: the later ones are renamed.
    source = tmp_path / "cased.csv"
    source.write_text(
        "id,name,NAME,Name,GEOM,longitude,latitude\n"
        "1,a,b,c,g,-1.0,7.0\n"
        "2,d,e,f,h,-1.5,7.5\n"
        "3,i,j,k,l,40.0,7.0\n"
    )
    clip = clip_vector(
        source, MultiPolygon([shapely.box(-3, 5, 1, 9)]), tmp_path / "out.gpkg",
        open_options=CSV_OPTIONS,
    )  # fmt: skip

    assert clip.attributes.renamed == {"NAME": "NAME_2", "Name": "Name_3"}
    meta, geoms, columns = read_layer(clip.path)
    assert list(meta["fields"]) == [
        "id", "name", "NAME_2", "Name_3", "GEOM", "longitude", "latitude",
    ]  # fmt: skip
    assert pyogrio.read_info(clip.path)["geometry_name"] == "wkb_geometry"
    assert [columns[k].tolist() for k in ("name", "NAME_2", "Name_3", "GEOM")] == [
        ["a", "d"], ["b", "e"], ["c", "f"], ["g", "h"],
    ]  # fmt: skip
    assert [(g.x, g.y) for g in geoms] == [(-1.0, 7.0), (-1.5, 7.5)]


def test_rows_without_a_place_and_unfit_values_are_counted(tmp_path: Path) -> None:
    source = tmp_path / "places.csv"
    source.write_text(
        "id,capacity,longitude,latitude\n"
        '1,"1,200",-1,7\n'
        "2,15.5,-2,8\n"
        "3,7,,\n"
        "4,unknown,-1.5,7.5\n"
        "5,3,40,7\n"
    )
    clip = clip_vector(
        source, MultiPolygon([shapely.box(-3, 5, 1, 9)]), tmp_path / "out.gpkg",
        open_options={**CSV_OPTIONS, "AUTODETECT_TYPE": "YES"},
        expected={"id": "integer", "capacity": "real", "owner": "string"},
    )  # fmt: skip

    _, _, columns = read_layer(clip.path)
    assert columns["id"].tolist() == [1, 2, 4]
    assert columns["capacity"].tolist() == ["1,200", "15.5", "unknown"]
    assert clip.attributes.coerced == {"capacity": 2}
    assert clip.attributes.not_written == {"no geometry": 1}
    assert clip.attributes.differences == (
        "column owner is missing",
        "column capacity is string, expected real",
        "extra column longitude (real)",
        "extra column latitude (real)",
    )
