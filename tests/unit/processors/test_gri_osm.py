"""gri_osm.roads_and_rail_version_1: a real PostGIS table clipped into a GeoPackage."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pyogrio
import pyogrio.raw
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString, Point, box

from autopkg.domain.boundary import Boundary
from autopkg.domain.sources import PostgresSource
from autopkg.errors import SourceError
from autopkg.processors.context import LocalEstimateContext
from autopkg.processors.datasets.gri_osm import roads_and_rail_version_1 as gri_osm
from autopkg.processors.datasets.gri_osm.roads_and_rail_version_1 import (
    PROPERTIES,
    GriOsmRoadsAndRailProcessor,
)
from tests.fixtures.gdal_cli import ogrinfo_messages
from tests.fixtures.postgres import HOST, PORT, USER, postgis_database
from tests.unit.processors.conftest import load_country
from tests.unit.processors.published import published_provenance
from tests.unit.processors.test_datasets import Run

#: Clipped lines may stray from the boundary by this much (degrees): overlay rounding.
TOLERANCE = 1e-9


class OsmRun(Run):
    """A run whose context knows the OSM database (what the engine would provide)."""

    def __init__(self, tmp_path: Path, boundary: Boundary, database: PostgresSource | None) -> None:
        super().__init__(tmp_path, boundary, None, osm_database=database)


def _features() -> list[tuple[Any, dict[str, Any]]]:
    """Lines in and across Ghana, on both sides of ±180° in Fiji, far away, and a point and
    a polygon to skip."""
    rows: list[tuple[Any, dict[str, Any]]] = []
    for number in range(2500):  # more than two batches, inside Ghana
        x, y = -2.5 + (number % 50) * 0.06, 6.0 + (number // 50) * 0.08
        rows.append(
            (
                LineString([(x, y), (x + 0.05, y + 0.03)]),
                {"asset_id": float(number), "osm_way_id": f"w{number}", "lanes": number % 4,
                 "paved": number % 2 == 0, "asset_type": "road_primary"},
            )
        )  # fmt: skip
    rows += [
        (LineString([(-1.0, 8.0), (-4.5, 8.0)]), {"asset_id": 9001.0, "asset_type": "rail"}),
        (MultiLineString([[(0.0, 7.0), (0.1, 7.1)], [(5, 5), (6, 6)]]), {"asset_id": 9002.0}),
        (LineString([(20, 20), (21, 21)]), {"asset_id": 9003.0}),
        (Point(-1.0, 7.0), {"asset_id": 9004.0}),
        (box(-1.5, 7.5, -1.4, 7.6), {"asset_id": 9005.0}),
        (LineString([(178.0, -17.8), (178.3, -17.9)]), {"asset_id": 9006.0}),
        (LineString([(-179.95, -16.2), (-179.9, -16.3)]), {"asset_id": 9007.0}),
        # At Fiji's latitudes but far from it: read only if Fiji were one world-wide box.
        (LineString([(0.0, -17.0), (0.1, -17.1)]), {"asset_id": 9008.0}),
    ]
    return rows


def _source_of(url: str) -> PostgresSource:
    parts = urlsplit(url)
    return PostgresSource(
        host=parts.hostname or "", port=parts.port or 5432,
        dbname=parts.path.lstrip("/"), user=parts.username,
    )  # fmt: skip


def _connect(database: PostgresSource) -> psycopg.Connection[tuple[Any, ...]]:
    return psycopg.connect(
        host=database.host, port=database.port, dbname=database.dbname, user=database.user
    )


@pytest.fixture(scope="module")
def osm_database() -> Iterator[PostgresSource]:
    """A throwaway PostGIS database holding a filled ``features`` table."""
    with postgis_database() as url:
        database = _source_of(url)
        with _connect(database) as connection:
            connection.execute(
                "CREATE TABLE features (id serial PRIMARY KEY, "
                "geom geometry(Geometry, 4326), properties jsonb)"
            )
            connection.execute("CREATE INDEX ON features USING gist (geom)")
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO features (geom, properties) "
                    "VALUES (ST_GeomFromWKB(%s, 4326), %s::jsonb)",
                    [(shapely.to_wkb(g), json.dumps(p)) for g, p in _features()],
                )
        yield database


def _read(path: Path) -> tuple[list[Any], dict[str, Any]]:
    _, _, geometries, fields = pyogrio.raw.read(path)
    info = pyogrio.read_info(path)
    columns = dict(zip(info["fields"], fields, strict=True))
    return [shapely.from_wkb(g) for g in geometries], columns


@pytest.mark.parametrize("iso3", ["gha", "fji"])
def test_lines_are_read_clipped_and_written_with_their_properties(
    tmp_path: Path, osm_database: PostgresSource, iso3: str
) -> None:
    boundary = load_country(iso3)
    run = OsmRun(tmp_path, boundary, osm_database)

    outputs = GriOsmRoadsAndRailProcessor().run(run.ctx)

    assert [o.path.name for o in outputs] == [f"gri_osm-roads_and_rail_version_1-{iso3}.gpkg"]
    assert not outputs[0].empty
    info = pyogrio.read_info(outputs[0].path)
    assert (info["crs"], info["geometry_type"]) == ("EPSG:4326", "MultiLineString")
    assert ogrinfo_messages(outputs[0].path) == ""  # a GeoPackage 1.2 (see autopkg.clip.gpkg)
    assert list(info["fields"]) == list(PROPERTIES)
    geometries, columns = _read(outputs[0].path)
    expected = {
        p["asset_id"]: shapely.intersection(g, boundary.geometry)
        for g, p in _features()
        if g.geom_type != "Point" and g.geom_type != "Polygon"
        and not shapely.intersection(g, boundary.geometry).is_empty
    }  # fmt: skip
    assert sorted(columns["asset_id"]) == sorted(expected)
    grown = boundary.geometry.buffer(TOLERANCE)
    for geometry, asset in zip(geometries, columns["asset_id"], strict=True):
        assert grown.contains(geometry)
        assert geometry.equals_exact(shapely.multilinestrings([expected[asset]]) if
                                     expected[asset].geom_type == "LineString"
                                     else expected[asset], 1e-9)  # fmt: skip
    if iso3 == "gha":
        assert len(geometries) > 2400 and {9001.0, 9002.0} <= set(columns["asset_id"])
        row = list(columns["asset_id"]).index(7.0)
        assert (columns["osm_way_id"][row], columns["lanes"][row], columns["paved"][row]) == (
            "w7", 3, False,
        )  # fmt: skip
        assert columns["material"][row] is None
        rail = list(columns["asset_id"]).index(9001.0)
        assert columns["asset_type"][rail] == "rail"
        percents = run.percents()
        assert percents == sorted(percents) and percents[-1] == 100
        batches = [task for _, task in run.reports if task.startswith("clipped ")]
        assert len(batches) == 3 and batches[-1] == "clipped 2504 of 2504 rows"
    else:
        assert sorted(columns["asset_id"]) == [9006.0, 9007.0]
        assert [t for _, t in run.reports if t.startswith("clipped ")] == ["clipped 2 of 2 rows"]


def _drifted_features() -> list[tuple[Any, dict[str, Any] | list[str]]]:
    """Rows as the GRI loaders write them: every key present, ``""`` for a missing
    value, ids as prefixed strings, one lane count that is not a number, and two keys
    outside the documented 13 (one differing from ``sector`` only in case)."""
    rows: list[tuple[Any, dict[str, Any] | list[str]]] = []
    for number, (geometry, documented) in enumerate(_features()):
        properties: dict[str, Any] = {key: documented.get(key, "") for key in PROPERTIES}
        if number % 3 == 0:
            properties["asset_id"] = f"way_{number}"
        if number == 7:
            properties["lanes"] = "2;3"
        if number % 50 == 0:
            properties["surface_note"] = f"note {number}"
            properties["SECTOR"] = "transport"
        rows.append((geometry, properties))
    rows.append((LineString([(-1.2, 7.2), (-1.3, 7.3)]), ["not", "an", "object"]))
    return rows


def _fill(database: PostgresSource, rows: list[tuple[Any, Any]]) -> None:
    """Create ``features`` in ``database`` holding ``rows`` of (geometry, properties)."""
    with _connect(database) as connection:
        connection.execute(
            "CREATE TABLE features (id serial PRIMARY KEY, "
            "geom geometry(Geometry, 4326), properties jsonb)"
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO features (geom, properties) "
                "VALUES (ST_GeomFromWKB(%s, 4326), %s::jsonb)",
                [(shapely.to_wkb(g), json.dumps(p)) for g, p in rows],
            )


def _as_text(value: Any) -> Any:
    """A value of a column written as text: strings as they are, others as JSON."""
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value)


def test_drifted_rows_are_all_written_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    boundary = load_country("gha")
    rows = _drifted_features()
    with postgis_database() as url:
        database = _source_of(url)
        _fill(database, rows)
        run = OsmRun(tmp_path, boundary, database)
        with caplog.at_level(logging.WARNING):
            outputs = GriOsmRoadsAndRailProcessor().run(run.ctx)

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        "gri_osm.roads_and_rail_version_1: the attributes of the features table differ "
        "from the expected: column asset_id is string, expected real;"
    )
    assert "; 2 row(s) not written: another geometry type than the layer's;" in warnings[0]

    # Reference: each row cut with shapely, its properties by the rules of the issue.
    inside = [
        (shapely.intersection(g, boundary.geometry), p)
        for g, p in rows
        if g is not None and g.geom_type not in ("Point", "Polygon")
        and isinstance(p, dict) and not shapely.intersection(g, boundary.geometry).is_empty
    ]  # fmt: skip
    assert len(inside) > 2400
    texts = {"asset_id", "lanes", "surface_note", "SECTOR"}
    info = pyogrio.read_info(outputs[0].path)
    assert list(info["fields"]) == [*PROPERTIES, "SECTOR_2", "surface_note"]
    kinds = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert {k for k, dtype in kinds.items() if dtype == "object"} == {
        k for k, kind in PROPERTIES.items() if kind == "string"
    } | {"asset_id", "lanes", "SECTOR_2", "surface_note"}
    assert (kinds["rehab_cost_USD_per_km"], kinds["paved"]) == ("float64", "bool")
    _, table = pyogrio.raw.read_arrow(outputs[0].path)
    columns = table.to_pydict()
    geometries = shapely.from_wkb(columns.pop("geom"))
    by_id = {_as_text(p["asset_id"]): (g, p) for g, p in inside}
    assert sorted(columns["asset_id"]) == sorted(by_id)
    for index, asset in enumerate(columns["asset_id"]):
        expected, properties = by_id[asset]
        assert shapely.hausdorff_distance(geometries[index], expected) < 1e-9, asset
        for key in [*PROPERTIES, "SECTOR", "surface_note"]:
            value = properties.get(key)
            column = "SECTOR_2" if key == "SECTOR" else key
            want = _as_text(value) if key in texts else (None if value == "" else value)
            assert columns[column][index] == want, (asset, key)

    empty = {k: sum(p.get(k) == "" for _, p in inside) for k in PROPERTIES}
    record = published_provenance(tmp_path / "packages", boundary, GriOsmRoadsAndRailProcessor(),
                                  outputs)["attributes"][outputs[0].path.name]  # fmt: skip
    assert record["coerced"] == {
        "asset_id": sum(isinstance(p["asset_id"], str) for _, p in inside),
        "lanes": 1,
    }
    assert record["empty_as_null"] == {k: n for k, n in empty.items() if n}
    assert record["not_written"] == {
        "another geometry type than the layer's": 2,
        "properties are not a JSON object": 1,
    }
    assert record["renamed"] == {"SECTOR": "SECTOR_2"}
    assert record["differences"] == [
        "column asset_id is string, expected real",
        "column lanes is string, expected integer",
        "extra column SECTOR (string)",
        "extra column surface_note (string)",
    ]


def test_without_a_configured_database_the_run_fails_readably(tmp_path: Path) -> None:
    run = OsmRun(tmp_path, load_country("gha"), None)
    with pytest.raises(SourceError, match=r"^the OSM database is not configured: set AUTOPKG_OSM"):
        GriOsmRoadsAndRailProcessor().run(run.ctx)


def test_a_database_that_cannot_be_read_fails_the_run_naming_it(tmp_path: Path) -> None:
    missing = PostgresSource(host=HOST, port=PORT, dbname="autopkg_no_such_osm", user=USER)
    run = OsmRun(tmp_path, load_country("gha"), missing)
    with pytest.raises(
        SourceError,
        match=rf"^cannot read the OSM features from {HOST}:{PORT}/autopkg_no_such_osm: "
        r"OperationalError: .*does not exist",
    ):
        GriOsmRoadsAndRailProcessor().run(run.ctx)


def _estimate_context(boundary: Boundary, database: PostgresSource | None) -> LocalEstimateContext:
    return LocalEstimateContext(
        boundary, {}, Path("unused-cache"), mirror=None, verify=False, osm_database=database
    )


@pytest.mark.parametrize("iso3", ["gha", "fji"])
def test_the_estimate_counts_the_rows_a_run_reads(
    tmp_path: Path, osm_database: PostgresSource, iso3: str
) -> None:
    boundary = load_country(iso3)
    processor = GriOsmRoadsAndRailProcessor()
    estimate = processor.estimate(_estimate_context(boundary, osm_database))
    outputs = processor.run(OsmRun(tmp_path, boundary, osm_database).ctx)
    written = int(pyogrio.read_info(outputs[0].path)["features"])
    size = outputs[0].path.stat().st_size
    # Rows whose box meets the boundary's: at least every line written, at most the
    # table less the line far from Fiji that one world-wide box would have read.
    assert estimate.features is not None
    assert written <= estimate.features < len(_features())
    assert (estimate.files, estimate.pixels) == (1, None)
    assert size / 10 <= estimate.bytes <= size * 10


def test_without_a_configured_database_there_is_no_estimate() -> None:
    context = _estimate_context(load_country("gha"), None)
    with pytest.raises(SourceError, match=r"^the OSM database is not configured"):
        GriOsmRoadsAndRailProcessor().estimate(context)


@pytest.fixture()
def slow_osm_database() -> Iterator[PostgresSource]:
    """A database whose ``features`` is a view sleeping 10 ms per row: counting is slow,
    planning is not (the planner never runs the sleep)."""
    with postgis_database() as url:
        database = _source_of(url)
        with _connect(database) as connection:
            connection.execute(
                "CREATE TABLE lines (geom geometry(Geometry, 4326), properties jsonb)"
            )
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO lines (geom, properties) VALUES (ST_GeomFromWKB(%s, 4326), '{}')",
                    [(shapely.to_wkb(g),) for g, _ in _features()[:300]],
                )
            connection.execute("ANALYZE lines")
            connection.execute(
                "CREATE VIEW features AS SELECT geom, properties FROM lines "
                "WHERE pg_sleep(0.01) IS NOT NULL"
            )
        yield database


def test_a_count_over_its_time_takes_the_planners_rows(
    slow_osm_database: PostgresSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 300 rows at 10 ms each cannot be counted in 300 ms: the planner's figure answers.
    monkeypatch.setattr(gri_osm, "_COUNT_TIMEOUT", "300ms")
    estimate = GriOsmRoadsAndRailProcessor().estimate(
        _estimate_context(load_country("gha"), slow_osm_database)
    )
    with _connect(slow_osm_database) as connection:
        planned = connection.execute("EXPLAIN (FORMAT JSON) SELECT * FROM lines").fetchone()
    assert planned is not None
    # Every row lies in Ghana's box, and the planner knows the table's 300 rows.
    assert estimate.features is not None
    assert 0 < estimate.features <= planned[0][0]["Plan"]["Plan Rows"] == 300


def test_a_locked_table_gives_no_estimate_instead_of_waiting(
    osm_database: PostgresSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Counting and planning both wait for the lock; each is cut off by the timeout.
    monkeypatch.setattr(gri_osm, "_COUNT_TIMEOUT", "300ms")
    with _connect(osm_database) as holder:
        holder.execute("LOCK TABLE features IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(SourceError, match=r"cannot read the OSM features .*QueryCanceled"):
            GriOsmRoadsAndRailProcessor().estimate(
                _estimate_context(load_country("gha"), osm_database)
            )
        holder.rollback()
