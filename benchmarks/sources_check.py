"""``autopkg sources check`` for every processor against a local mirror of the stand-ins.

The mirror is the test suite's stand-ins (``build_mirror``, the Aqueduct folder) with
Zenodo records written for them, so every kind of check runs: ``HEAD`` per file,
GeoTIFF headers through ``/vsicurl/`` (STORM's 140, gridfinder's, a sample of
Aqueduct's), the records' sizes and md5s, the Aqueduct listing, a sample of GHSL tiles
(absent from the stand-ins: answered 404) and the OSM table in a throwaway PostGIS
database. Each check is a whole ``autopkg`` process, timed from start to exit; once
through the loopback HTTP server, once with the folder as a plain-path mirror.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import psycopg
from tests.fixtures.mirror import serve_directory
from tests.fixtures.postgres import HOST, PORT, USER, postgis_database
from tests.fixtures.sources import build_mirror
from tests.fixtures.standin_aqueduct import make_aqueduct_folder
from tests.fixtures.zenodo import write_record

from benchmarks.inputs import CACHE
from benchmarks.measure import PYTHON, Series, repeat

AUTOPKG = str(Path(PYTHON).parent / "autopkg")
_RECORDS = ("3628142", "7438145", "7732393")


def _mirror() -> Path:
    root = build_mirror(CACHE / "sources" / "mirror")
    make_aqueduct_folder(root)
    for record in _RECORDS:
        files = root / "zenodo.org" / "records" / record / "files"
        write_record(root, record, {path.name: path.read_bytes() for path in files.iterdir()})
    return root


def sources_check(times: int) -> list[str]:
    """Run the measurement; return report lines."""
    root = _mirror()
    with postgis_database() as url:
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(host=HOST, port=PORT, dbname=name, user=USER) as connection:
            connection.execute(
                "CREATE TABLE features (geom geometry(Geometry, 4326), properties jsonb)"
            )
        env = {
            "AUTOPKG_DATA_DIR": str(CACHE / "sources" / "data"),
            "AUTOPKG_LOG_LEVEL": "ERROR",
            "AUTOPKG_OSM_PGHOST": HOST,
            "AUTOPKG_OSM_PORT": str(PORT),
            "AUTOPKG_OSM_PGDATABASE": name,
            "AUTOPKG_OSM_PGUSER": USER,
        }
        command = [AUTOPKG, "sources", "check", "--json"]
        with serve_directory(root) as mirror:
            http = repeat(command, times, {**env, "AUTOPKG_SOURCE_MIRROR": mirror})
        plain = repeat(command, times, {**env, "AUTOPKG_SOURCE_MIRROR": str(root)})
    lines = [
        "| mirror | sources checked | statuses | median s | peak RSS MB |",
        "|---|---|---|---|---|",
    ]
    for label, series in (("loopback HTTP", http), ("plain path", plain)):
        lines.append(_row(label, series))
    return lines


def _row(label: str, series: Series) -> str:
    reports = json.loads(series.samples[-1].stdout)
    statuses = Counter(report["status"] for report in reports)
    shown = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
    peak = max(sample.peak_mb for sample in series.samples)
    return f"| {label} | {len(reports)} | {shown} | {series.median:.2f} | {peak:.0f} |"
