"""``gri_osm.roads_and_rail_version_1`` over a PostGIS table of a large country's roads.

The processor reads the rows meeting Kenya's bounding box, clips them into an Arrow
file in scratch, types the properties from every value and writes the GeoPackage (see
the processor's module). Measured here, each run in its own process: wall seconds, peak
RSS, the largest the scratch folder grew, for a table as documented and for one as the
GRI loaders write it (``""`` for missing values, prefixed string ids, an extra key).

    python -m benchmarks.osm [--rows N] [--repeat R]      # prints a Markdown table
    python -m benchmarks.osm run URL                      # the measured process

The table is generated in PostgreSQL itself (fixed seed), in a throwaway database on
the machine's server (as the tests make them).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql
from tests.fixtures.postgres import postgis_database

from autopkg.boundaries.builtin import get_builtin
from autopkg.domain.sources import PostgresSource
from autopkg.processors.context import LocalRunContext
from autopkg.processors.datasets.gri_osm.roads_and_rail_version_1 import (
    GriOsmRoadsAndRailProcessor,
)
from benchmarks.measure import PYTHON, repeat

#: Lines in Kenya's bounding box (34 to 42°E, 5°S to 5°N): OSM has about half a million ways
#: of roads there; a tenth of the rows lie outside the box.
DEFAULT_ROWS = 400_000

# Three-vertex lines about 1 km long, placed by PostgreSQL's seeded random().
_LINES = """
INSERT INTO features (geom, properties)
SELECT ST_MakeLine(ARRAY[ST_MakePoint(x, y), ST_MakePoint(x + 0.006, y + 0.004),
                         ST_MakePoint(x + 0.011, y + 0.002)])::geometry(Geometry, 4326),
       {properties}
FROM (SELECT i, 34 + random() * (CASE WHEN mod(i, 10) = 0 THEN 30 ELSE 8 END) AS x,
             -5 + random() * 10 AS y
      FROM generate_series(1, %s) AS i) AS points
"""
_DOCUMENTED = """jsonb_build_object(
    'asset_id', i::float, 'osm_way_id', 'w' || i, 'asset_type', 'road_primary',
    'paved', mod(i, 2) = 0, 'lanes', mod(i, 4), 'rehab_cost_USD_per_km', 1250.5 + mod(i, 7),
    'sector', 'transport', 'subsector', 'road', 'bridge', mod(i, 50) = 0,
    'wkt', 'LINESTRING (' || x || ' ' || y || ', ' || x + 0.011 || ' ' || y + 0.002 || ')')"""
_DRIFTED = """jsonb_build_object(
    'asset_id', 'way_' || i, 'osm_way_id', 'w' || i, 'asset_type', 'road_primary',
    'paved', mod(i, 2) = 0, 'material', '',
    'lanes', CASE WHEN mod(i, 4) = 0 THEN to_jsonb(''::text) ELSE to_jsonb(mod(i, 4)) END,
    '_asset_type', '', 'rehab_cost_USD_per_km', 1250.5 + mod(i, 7),
    'sector', 'transport', 'subsector', 'road', 'tag_bridge', '', 'bridge', mod(i, 50) = 0,
    'highway', 'primary',
    'wkt', 'LINESTRING (' || x || ' ' || y || ', ' || x + 0.011 || ' ' || y + 0.002 || ')')"""
_VARIANTS = {"documented": _DOCUMENTED, "drifted": _DRIFTED}


def fill(url: str, rows: int, properties: str) -> None:
    """Create and fill ``features`` (indexed, analysed) in the database at ``url``."""
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as connection:
        connection.execute(
            "CREATE TABLE features (id serial PRIMARY KEY, "
            "geom geometry(Geometry, 4326), properties jsonb)"
        )
        connection.execute("SELECT setseed(0.14)")
        connection.execute(sql.SQL(_LINES).format(properties=sql.SQL(properties)), [rows])
        connection.execute("CREATE INDEX ON features USING gist (geom)")
        connection.execute("ANALYZE features")


def measured(url: str) -> None:
    """The measured process: one run for Kenya; prints its figures as JSON."""
    parts = urlsplit(url)
    database = PostgresSource(
        host=parts.hostname or "", port=parts.port or 5432,
        dbname=parts.path.lstrip("/"), user=parts.username,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder) / "scratch"
        ctx = LocalRunContext(
            get_builtin("ken"), scratch, Path(folder) / "cache", mirror=None, verify=False,
            on_progress=lambda _percent, _task: None, osm_database=database,
        )  # fmt: skip
        peak = 0
        done = threading.Event()

        def watch() -> None:
            nonlocal peak
            while not done.wait(0.05):
                peak = max(peak, sum(p.stat().st_size for p in scratch.iterdir() if p.is_file()))

        watcher = threading.Thread(target=watch)
        watcher.start()
        start = time.perf_counter()
        outputs = GriOsmRoadsAndRailProcessor().run(ctx)
        seconds = time.perf_counter() - start
        done.set()
        watcher.join()
        print(json.dumps({
            "seconds": [seconds], "bytes": outputs[0].path.stat().st_size, "scratch": peak,
            "coerced": sum(outputs[0].attributes.coerced.values()),
        }))  # fmt: skip


def table(rows: int, times: int) -> list[str]:
    """Measure both variants; return the Markdown table."""
    lines = [
        "| table | rows | run s (median) | peak RSS MB | output MB | scratch peak MB "
        "| values coerced |",
        "|---|---|---|---|---|---|---|",
    ]
    for variant, properties in _VARIANTS.items():
        with postgis_database() as url:
            fill(url, rows, properties)
            series = repeat([PYTHON, "-m", "benchmarks.osm", "run", url], times)
            figures = json.loads(series.samples[-1].stdout.strip().splitlines()[-1])
            lines.append(
                f"| {variant} | {rows:,} | {series.inner_median:.2f} | {series.peak_mb:.0f} | "
                f"{figures['bytes'] / 1e6:.1f} | {figures['scratch'] / 1e6:.1f} | "
                f"{figures['coerced']:,} |"
            )
    return lines


def main(argv: list[str]) -> None:
    """``run URL``: the measured process; otherwise build the tables and print them."""
    if argv[:1] == ["run"]:
        measured(argv[1])
        return
    parser = argparse.ArgumentParser(prog="python -m benchmarks.osm")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print("\n".join(table(args.rows, args.repeat)))


if __name__ == "__main__":
    main(sys.argv[1:])
