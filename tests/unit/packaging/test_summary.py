"""The summary in a published package: recomputed at every publication, never stale.

Real clipped files (:mod:`tests.fixtures.standin_summary`) are published with
``publish_processor`` to a folder and to an S3 server on loopback; what is stored is
compared with the rows computed from the same files directly (whose values the
summary's own tests check independently).
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import zipfile
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import rasterio

from autopkg.boundaries.builtin import get_builtin
from autopkg.domain.metadata import Metadata
from autopkg.domain.outputs import OutputFile
from autopkg.packaging.archive import package_archive
from autopkg.packaging.manifest import SUMMARY_KEY
from autopkg.packaging.pages import number
from autopkg.packaging.publish import publish_processor, rebuild_manifest
from autopkg.packaging.validation import validate_package
from autopkg.summary.compute import summarise
from autopkg.summary.files import Area, DataFile
from autopkg.summary.table import COLUMNS, Row, from_csv, sort_rows, to_csv
from tests.fixtures.manifests import stored_data, stored_manifest
from tests.fixtures.stac import validate_stac
from tests.fixtures.standin_summary import (
    FLOODS,
    PLANTS,
    POPULATION,
    Sources,
    make_sources,
    package_files,
)
from tests.unit.packaging.conftest import Hosted
from tests.unit.packaging.factories import GPKG, TIFF, make_metadata

BOUNDARY = get_builtin("fji")


@pytest.fixture(scope="module")
def sources(pytestconfig: pytest.Config) -> Sources:
    return make_sources(Path(pytestconfig.cache.mkdir("summary-standins")))


@pytest.fixture(scope="module")
def files(sources: Sources, tmp_path_factory: pytest.TempPathFactory) -> list[DataFile]:
    return package_files(sources, BOUNDARY, tmp_path_factory.mktemp("fji"))


def metadata(processor: str) -> Metadata:
    name, _, version = processor.partition(".")
    return make_metadata(name, version)


def publish(
    hosted: Hosted, files: list[DataFile], processor: str, **options: object
) -> list[DataFile]:
    chosen = [f for f in files if f.processor == processor]
    outputs = [
        OutputFile(
            path=f.local,
            format="GeoTIFF" if f.is_raster else "GeoPackage",
            mediatype=TIFF if f.is_raster else GPKG,
        )
        for f in chosen
    ]
    publish_processor(
        hosted.storage,
        BOUNDARY,
        metadata(processor),
        outputs,
        lock=threading.Lock(),
        **options,  # type: ignore[arg-type]
    )
    return chosen


def stored_rows(hosted: Hosted) -> list[Row]:
    return from_csv(hosted.storage.get_bytes("fji/summary/summary.csv") or b"")


def expected(files: list[DataFile], thresholds: dict[str, list[float]] | None = None) -> list[Row]:
    area = Area("fji", BOUNDARY.name_long, 0, BOUNDARY.geometry, clipped=True)
    return summarise(files, [area], thresholds or {})


def test_every_publication_recomputes_the_summary(hosted: Hosted, files: list[DataFile]) -> None:
    population = publish(hosted, files, POPULATION)
    assert stored_rows(hosted) == expected(population)
    floods = publish(hosted, files, FLOODS)
    plants = publish(hosted, files, PLANTS)
    rows = stored_rows(hosted)
    assert rows == expected(population + floods + plants)
    statistics = {r.statistic for r in rows}
    assert {"population_exposed", "plants_exposed", "expected_annual_population_exposed"} <= (
        statistics
    )
    stored = hosted.storage.get_bytes("fji/summary/summary.parquet") or b""
    parquet = pq.read_table(io.BytesIO(stored))
    assert tuple(parquet.column_names) == COLUMNS
    assert sort_rows(Row(**record) for record in parquet.to_pylist()) == rows
    manifest = stored_manifest(hosted.storage, "fji")
    (table, parquet_resource) = [r for r in manifest["resources"] if SUMMARY_KEY in r]
    assert [f["name"] for f in table["schema"]["fields"]] == list(COLUMNS)
    assert (table["path"], table["type"]) == ("summary/summary.csv", "table")
    assert parquet_resource["path"] == "summary/summary.parquet"
    assert table[SUMMARY_KEY]["thresholds"] == {FLOODS: [0.0, 0.5, 1.5]}
    assert validate_package(hosted.storage, "fji") == []
    collection = json.loads(hosted.storage.get_bytes("fji/stac/collection.json") or b"")
    assert {k: (a["href"], a["type"]) for k, a in collection["assets"].items()} == {
        "summary": ("../summary/summary.csv", "text/csv"),
        "summary-parquet": ("../summary/summary.parquet", "application/vnd.apache.parquet"),
    }
    # Raises if the Collection is not valid STAC; it cites no extension.
    assert validate_stac(collection) == [
        "https://schemas.stacspec.org/v1.1.0/collection-spec/json-schema/collection.json"
    ]


def test_a_republication_leaves_no_stale_row(hosted: Hosted, files: list[DataFile]) -> None:
    publish(hosted, files, POPULATION)
    floods = publish(hosted, files, FLOODS)
    kept = [f for f in floods if f.sub.endswith("rp00010")]
    publish(hosted, kept, FLOODS)
    rows = stored_rows(hosted)
    named = {r.source_file for r in rows if r.processor == FLOODS}
    assert named == {kept[0].path}
    # One return period left: no expected annual value can be integrated.
    assert "expected_annual_population_exposed" not in {r.statistic for r in rows}
    assert rows == expected([f for f in files if f.processor == POPULATION] + kept)


def test_thresholds_are_recorded_and_kept_by_later_publications(
    hosted: Hosted, files: list[DataFile]
) -> None:
    publish(hosted, files, POPULATION)
    publish(hosted, files, FLOODS, summary={FLOODS: [0.25, 1.0]})
    publish(hosted, files, PLANTS)
    rows = stored_rows(hosted)
    assert {r.threshold for r in rows if r.processor == FLOODS} == {0.25, 1.0}
    manifest = stored_manifest(hosted.storage, "fji")
    recorded = [r[SUMMARY_KEY]["thresholds"] for r in manifest["resources"] if SUMMARY_KEY in r]
    assert recorded == [{FLOODS: [0.25, 1.0]}] * 2
    chosen = [f for f in files if f.processor in (POPULATION, FLOODS, PLANTS)]
    assert rows == expected(chosen, {FLOODS: [0.25, 1.0]})


def test_summary_false_removes_it(hosted: Hosted, files: list[DataFile]) -> None:
    publish(hosted, files, POPULATION)
    assert hosted.storage.size("fji/summary/summary.csv")
    publish(hosted, files, FLOODS, summary=False)
    manifest = stored_manifest(hosted.storage, "fji")
    assert manifest["resources"] == stored_data(manifest)
    assert hosted.storage.size("fji/summary/summary.csv") is None
    assert hosted.storage.size("fji/summary/summary.parquet") is None
    assert validate_package(hosted.storage, "fji") == []


def test_the_zip_holds_the_summary(hosted: Hosted, files: list[DataFile]) -> None:
    publish(hosted, files, POPULATION)
    archive = package_archive(hosted.storage, "fji")
    with zipfile.ZipFile(io.BytesIO(b"".join(archive.chunks))) as opened:
        data = opened.read("fji/summary/summary.csv")
        assert "fji/summary/summary.parquet" in opened.namelist()
    assert from_csv(data) == expected([f for f in files if f.processor == POPULATION])


def test_rebuild_regenerates_it_and_validate_sees_a_changed_one(
    hosted: Hosted, files: list[DataFile]
) -> None:
    publish(hosted, files, POPULATION)
    publish(hosted, files, FLOODS, summary={FLOODS: [1.0]})
    before = hosted.storage.get_bytes("fji/summary/summary.csv")
    hosted.storage.put_bytes(b"area\n", "fji/summary/summary.csv", "text/csv")
    assert [p for p in validate_package(hosted.storage, "fji") if "summary.csv" in p]
    lookup = {m.id: m for m in (metadata(POPULATION), metadata(FLOODS))}.get
    rebuild_manifest(hosted.storage, BOUNDARY, lookup, lock=threading.Lock())
    assert hosted.storage.get_bytes("fji/summary/summary.csv") == before
    assert validate_package(hosted.storage, "fji") == []


def test_validate_recomputes_the_summary(hosted: Hosted, files: list[DataFile]) -> None:
    publish(hosted, files, POPULATION)
    rows = stored_rows(hosted)
    edited = [replace(r, value=r.value + 1) if r.statistic == "population" else r for r in rows]
    body = to_csv(edited)
    hosted.storage.put_bytes(body, "fji/summary/summary.csv", "text/csv")
    manifest = stored_manifest(hosted.storage, "fji")
    for resource in manifest["resources"]:
        if resource["path"] == "summary/summary.csv":
            resource.update(bytes=len(body), hash="sha256:" + hashlib.sha256(body).hexdigest())
    hosted.storage.put_bytes(json.dumps(manifest).encode(), "fji/datapackage.json", "x")
    (problem,) = validate_package(hosted.storage, "fji")
    assert problem.startswith("summary/summary.csv: 2 value(s) differ from the package's files")
    assert "population of datasets/jrc_ghsl_population" in problem


def test_the_pages_show_the_rows_that_concern_them(hosted: Hosted, files: list[DataFile]) -> None:
    publish(hosted, files, POPULATION)
    publish(hosted, files, FLOODS)
    rows = stored_rows(hosted)
    index = (hosted.storage.get_bytes("fji/index.html") or b"").decode()
    people = [r for r in rows if r.statistic == "population"]
    exposed = [r for r in rows if r.statistic == "population_exposed"]
    assert people and exposed
    for row in people + exposed:
        assert f"{number(row.value)} {row.unit}" in index
    assert index.count("<td>population_exposed</td>") == len(exposed)
    assert 'href="summary/summary.csv"' in index
    page = hosted.storage.get_bytes(
        "fji/datasets/jrc_ghsl_population/r2022_epoch2020_1km/index.html"
    )
    text = (page or b"").decode()
    assert all(f"{number(r.value)} {r.unit}" in text for r in people)
    assert "population_exposed" not in text
    flood_page = hosted.storage.get_bytes("fji/datasets/wri_aqueduct/version_2/index.html") or b""
    assert flood_page.decode().count("<td>hazard_area_km2</td>") == len(
        [r for r in rows if r.statistic == "hazard_area_km2"]
    )


def test_charts_of_population_exposed_by_return_period(
    hosted: Hosted, files: list[DataFile]
) -> None:
    publish(hosted, files, POPULATION)
    floods = publish(hosted, files, FLOODS)
    rows = stored_rows(hosted)
    manifest = stored_manifest(hosted.storage, "fji")
    (table,) = [r for r in manifest["resources"] if r["path"] == "summary/summary.csv"]
    charts = table[SUMMARY_KEY]["charts"]
    assert [c["threshold"] for c in charts] == [0.0, 0.5, 1.5]
    index = (hosted.storage.get_bytes("fji/index.html") or b"").decode()
    for chart in charts:
        (line,) = chart["lines"]
        assert line["series"] == "inunriver_rcp4p5_miroc-esm-chem_2030_rp*"
        expected = sorted(
            [r.return_period, r.value]
            for r in rows
            if r.statistic == "population_exposed" and r.threshold == chart["threshold"]
        )
        assert line["points"] == expected
        png = hosted.storage.get_bytes(f"fji/{chart['path']}") or b""
        assert chart["hash"] == "sha256:" + hashlib.sha256(png).hexdigest()
        with rasterio.open(io.BytesIO(png)) as picture:
            bands = picture.read()
        assert bands.shape == (4, 280, 480)
        # The line is drawn in its colour (blue), the axes in black, the rest white.
        blue = (bands[0] == 31) & (bands[1] == 119) & (bands[2] == 180)
        assert 200 < blue.sum() < 480 * 280 // 10
        assert f'<img src="{chart["path"]}"' in index
        assert all(value is not None and f"{number(value)}</td>" in index for _, value in expected)
    with zipfile.ZipFile(io.BytesIO(b"".join(package_archive(hosted.storage, "fji").chunks))) as z:
        assert {f"fji/{c['path']}" for c in charts} <= set(z.namelist())
    assert validate_package(hosted.storage, "fji") == []
    # One return period left: no line, no chart, nothing stale on storage.
    publish(hosted, [f for f in floods if f.sub.endswith("rp00010")], FLOODS)
    assert hosted.storage.list_keys("fji/summary/charts/") == []
    assert validate_package(hosted.storage, "fji") == []
