"""A job's ``summary``: thresholds per hazard, recomputed without clipping again, or none.

Real processors (GHS-POP and STORM stand-ins served by the suite's mirror) run in the
API's embedded workers for Togo, in a runtime of this module's own. The summary's
numbers are checked against an independent computation on the published files:
whole-array reads, rasterio's ``rowcol``, cell areas as geodesic polygons.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from fastapi.testclient import TestClient
from pyproj import Geod, Transformer
from rasterio.transform import rowcol, xy

from autopkg.api.app import create_app
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.packaging.manifest import SUMMARY_KEY
from autopkg.runtime import Runtime, open_runtime
from tests.conftest import make_settings, wait_until_complete

POPULATION = "jrc_ghsl_population.r2022_epoch2020_1km"
STORM = "storm.global_mosaics_version_1"
BOUNDARY = "tgo"
GEOD = Geod(ellps="WGS84")
# Two STORM mosaics are enough: present climate, 10 and 100 years.
JOB: dict[str, Any] = {
    "boundary_name": BOUNDARY,
    "processors": [POPULATION, STORM],
    "options": {STORM: {"models": ["constant"], "return_periods": [10, 100]}},
}


@pytest.fixture(scope="module")
def runtime_of_module(tmp_path_factory: pytest.TempPathFactory, source_mirror: str) -> Runtime:
    return open_runtime(
        make_settings(
            tmp_path_factory.mktemp("job-summary"),
            source_mirror=source_mirror,
            rate_writes_per_minute=0,
        )
    )


@pytest.fixture(scope="module")
def own_client(runtime_of_module: Runtime) -> Iterator[TestClient]:
    app = create_app(runtime_of_module, EmbeddedExecutor(runtime_of_module, workers=1))
    with TestClient(app) as test_client:
        yield test_client


def run_job(client: TestClient, summary: object) -> dict[str, dict[str, Any]]:
    """Submit the module's job with ``summary``; its runs by processor once complete."""
    response = client.post("/v1/jobs", json={**JOB, "summary": summary})
    assert response.status_code == 202, response.text
    body = wait_until_complete(client, response.json()["job_id"], timeout=120)
    return {run["processor_name"]: run for run in body["job_group_processors"]}


def package_folder(rt: Runtime) -> Path:
    return rt.settings.packages_root / BOUNDARY


def manifest_of(rt: Runtime) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((package_folder(rt) / "datapackage.json").read_text())
    return found


def data_files(rt: Runtime) -> dict[str, tuple[bytes, int]]:
    """Every data file of the package: its bytes and its modification time (ns)."""
    return {
        str(path.relative_to(package_folder(rt))): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in (package_folder(rt) / "datasets").rglob("data/*")
    }


def summary_rows(client: TestClient, **filters: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/packages/{BOUNDARY}/summary", params=filters)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def cell_values(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    with rasterio.open(path) as ds:
        data = ds.read(1)
        rows, cols = np.nonzero(ds.read_masks(1) > 0)
        return rows, cols, np.asarray(data[rows, cols], dtype=np.float64), ds.transform


def hazard_area(path: Path, threshold: float) -> float:
    """km² of the valid cells above ``threshold``, each cell a geodesic polygon."""
    rows, cols, values, transform = cell_values(path)
    chosen = values > threshold
    x0, y0 = transform @ (cols[chosen], rows[chosen])
    x1, y1 = transform @ (cols[chosen] + 1, rows[chosen] + 1)
    areas = [
        abs(GEOD.polygon_area_perimeter([a, b, b, a], [c, c, d, d])[0])
        for a, b, c, d in zip(x0, x1, y0, y1, strict=True)
    ]
    return float(np.sum(areas)) / 1e6


def persons_exposed(population: Path, hazard: Path, threshold: float) -> float:
    """Persons of the cells whose centre lies where the hazard is above ``threshold``."""
    rows, cols, persons, transform = cell_values(population)
    x, y = xy(transform, rows, cols)
    lon, lat = Transformer.from_crs("ESRI:54009", "EPSG:4326", always_xy=True).transform(x, y)
    with rasterio.open(hazard) as ds:
        speed = ds.read(1, masked=True).astype(np.float64).filled(np.nan)
        r, c = (np.asarray(v) for v in rowcol(ds.transform, lon, lat))
        on = (r >= 0) & (r < ds.height) & (c >= 0) & (c < ds.width)
        at = np.full(len(persons), np.nan)
        at[on] = speed[r[on], c[on]]
    return float(persons[at > threshold].sum())


def check_thresholds(client: TestClient, rt: Runtime, thresholds: list[float]) -> None:
    """The summary holds the hazard rows at exactly ``thresholds``, each value recomputed."""
    folder = package_folder(rt)
    (population,) = (folder / "datasets").rglob("jrc_ghsl_population-*.tif")
    storm_rows = summary_rows(client, processor=STORM)
    hazards = sorted({r["source_file"] for r in storm_rows if r["statistic"] == "hazard_area_km2"})
    assert len(hazards) == 2
    for path in hazards:
        exposed = {
            r["threshold"]: r["value"]
            for r in storm_rows
            if r["source_file"] == path and r["statistic"] == "population_exposed"
        }
        assert sorted(exposed) == thresholds
        for threshold in thresholds:
            expected = persons_exposed(population, folder / path, threshold)
            assert exposed[threshold] == pytest.approx(expected, rel=1e-9)
        measured = {
            r["threshold"]: r["value"]
            for r in storm_rows
            if r["source_file"] == path and r["statistic"] == "hazard_area_km2"
        }
        assert sorted(measured) == thresholds
        for threshold in thresholds:
            assert measured[threshold] == pytest.approx(
                hazard_area(folder / path, threshold), rel=1e-4
            )
        # The stand-ins' speeds span the thresholds: each reaches less than the one below.
        ordered = [measured[t] for t in thresholds] + [0.0]
        assert all(a > b for a, b in pairwise(ordered)), ordered
    (summary,) = [r for r in manifest_of(rt)["resources"] if r.get("path") == "summary/summary.csv"]
    assert summary[SUMMARY_KEY]["thresholds"] == {STORM: thresholds}


def test_thresholds_of_a_job_then_other_thresholds_then_none(
    own_client: TestClient, runtime_of_module: Runtime
) -> None:
    rt = runtime_of_module
    first = run_job(own_client, {"thresholds": {STORM: [45, 30]}})
    assert {run["job_status"] for run in first.values()} == {"SUCCESS"}
    check_thresholds(own_client, rt, [30.0, 45.0])
    population_rows = summary_rows(own_client, statistic="population")
    files = data_files(rt)
    version = manifest_of(rt)["version"]

    # Nothing to clip again: the summary alone is computed at the new thresholds.
    second = run_job(own_client, {"thresholds": {STORM: [40]}})
    assert second[POPULATION]["job_status"] == "SKIPPED"
    assert second[STORM]["job_status"] == "SUCCESS"
    assert second[STORM]["job_result"]["message"] == (
        "already published and up to date; the summary was computed again"
    )
    assert sorted(second[STORM]["job_result"]["files"]) == sorted(
        p for p in files if "/storm/" in p
    )
    check_thresholds(own_client, rt, [40.0])
    assert data_files(rt) == files
    assert summary_rows(own_client, statistic="population") == population_rows
    assert manifest_of(rt)["version"] != version

    # The same thresholds again: nothing to do at all.
    same = run_job(own_client, {"thresholds": {STORM: [40.0]}})
    assert {run["job_status"] for run in same.values()} == {"SKIPPED"}

    # Off: this job's publication removes the summary, still clipping nothing.
    off = run_job(own_client, False)
    (refresher,) = [run for run in off.values() if run["job_status"] != "SKIPPED"]
    assert refresher["processor_name"] == POPULATION
    assert refresher["job_status"] == "SUCCESS"
    assert refresher["job_result"]["message"] == (
        "already published and up to date; the summary was turned off"
    )
    assert not [r for r in manifest_of(rt)["resources"] if SUMMARY_KEY in r]
    assert not (package_folder(rt) / "summary").exists() or not any(
        (package_folder(rt) / "summary").rglob("*.*")
    )
    assert own_client.get(f"/v1/packages/{BOUNDARY}/summary").status_code == 404
    assert data_files(rt) == files

    # Thresholds asked again bring the summary back at them.
    back = run_job(own_client, {"thresholds": {STORM: [40]}})
    assert back[STORM]["job_status"] == "SUCCESS"
    check_thresholds(own_client, rt, [40.0])


@pytest.mark.parametrize(
    ("summary", "problem"),
    [
        ({"thresholds": {"no_such.version_1": [1]}}, "'no_such.version_1', which is not a known"),
        ({"thresholds": {POPULATION: [1]}}, f"'{POPULATION}', which is not a hazard dataset"),
        ({"thresholds": {STORM: []}}, "List should have at least 1 item"),
        ({"thresholds": {STORM: list(range(21))}}, "List should have at most 20 items"),
        ({"thresholds": {STORM: ["33"]}}, "Input should be a valid"),
        # JSON has no infinity, but a number too large for a float reads as one.
        ({"thresholds": {STORM: ["1e999"]}}, "thresholds must be finite numbers"),
        ({"thresholds": {STORM: [33]}, "colour": "red"}, "Extra inputs are not permitted"),
        (True, "summary"),
    ],
)
def test_bad_summaries_are_refused_naming_the_problem(
    own_client: TestClient, summary: object, problem: str
) -> None:
    for query in ("", "?dry_run=true"):
        body = json.dumps({**JOB, "summary": summary}).replace('"1e999"', "1e999")
        response = own_client.post(
            f"/v1/jobs{query}", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, response.text
        assert problem in response.json()["detail"], response.json()


@pytest.mark.parametrize(
    ("summary", "detail"),
    [
        (
            {"thresholds": {STORM: "high"}},
            f"summary.thresholds.{STORM}: Input should be a valid list",
        ),
        (
            {"thresholds": {STORM: [33, "34"]}},
            f"summary.thresholds.{STORM}.1: Input should be a valid integer; "
            f"summary.thresholds.{STORM}.1: Input should be a valid number",
        ),
        (
            {"thresholds": {STORM: [33]}, "colour": "red"},
            "summary.colour: Extra inputs are not permitted",
        ),
        ({}, "summary.thresholds: Field required"),
    ],
)
def test_a_bad_summary_is_named_by_the_path_written(
    own_client: TestClient, summary: object, detail: str
) -> None:
    # The path as the request wrote it: no names of the union's branches in it (an
    # object of thresholds or false), and no branch that was plainly not meant.
    v1 = own_client.post("/v1/jobs", json={**JOB, "summary": summary})
    assert v1.status_code == 422, v1.text
    assert v1.json()["detail"] == detail
    ogc = own_client.post(
        f"/ogc/processes/{STORM}/execution",
        json={"inputs": {"boundary_name": BOUNDARY, "summary": summary}},
    )
    assert ogc.status_code == 400, ogc.text
    # There each problem is named by the input it is about.
    assert ogc.json()["detail"] == "; ".join(f"inputs.{part}" for part in detail.split("; "))


def test_a_dry_run_and_the_ogc_execution_take_the_summary_too(own_client: TestClient) -> None:
    body = {**JOB, "summary": {"thresholds": {STORM: [33]}}}
    dry = own_client.post("/v1/jobs?dry_run=true", json=body)
    assert dry.status_code == 200, dry.text
    process = own_client.get(f"/ogc/processes/{STORM}").json()
    assert "summary" in process["inputs"]
    refused = own_client.post(
        f"/ogc/processes/{STORM}/execution",
        json={"inputs": {"boundary_name": BOUNDARY, "summary": {"thresholds": {POPULATION: [1]}}}},
    )
    assert refused.status_code == 400  # /ogc refuses with 400 (OGC lists no 422)
    assert "which is not a hazard dataset" in refused.json()["detail"]
    malformed = own_client.post(
        f"/ogc/processes/{STORM}/execution",
        json={"inputs": {"boundary_name": BOUNDARY, "summary": {"thresholds": {STORM: "high"}}}},
    )
    assert malformed.status_code == 400
    assert malformed.json()["detail"].startswith("inputs.summary")
    assert "Input should be a valid list" in malformed.json()["detail"]
