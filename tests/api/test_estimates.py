"""Processor options in jobs, output estimates, the output limit and the dry run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from autopkg.api.app import create_app
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.runtime import Runtime, open_runtime
from tests.api.test_jobs import Waiter
from tests.conftest import make_settings
from tests.fixtures.manifests import stored_data, stored_manifest

STORM = "storm.global_mosaics_version_1"
TEST = "test_processor.version_1"
GRI_OSM = "gri_osm.roads_and_rail_version_1"
ONE_STORM = {"models": ["constant"], "return_periods": [100]}
TWO_STORMS = {"models": ["constant"], "return_periods": [1000, 100]}


def post(client: TestClient, body: dict[str, Any], *, dry_run: bool = False) -> Any:
    return client.post("/v1/jobs", params={"dry_run": "true"} if dry_run else None, json=body)


def submitted(client: TestClient, body: dict[str, Any]) -> str:
    response = post(client, body)
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


def storm_job(boundary: str, options: dict[str, Any]) -> dict[str, Any]:
    return {"boundary_name": boundary, "processors": [STORM], "options": {STORM: options}}


def storm_inputs(runtime: Runtime, boundary: str) -> list[Any]:
    manifest = stored_manifest(runtime.storage, boundary)
    return [
        r["autopkg:inputs"]["options"]
        for r in stored_data(manifest)
        if r["autopkg:processor"] == STORM
    ]


def test_options_reach_the_inputs_and_make_other_work(
    client: TestClient, runtime: Runtime, wait_for_job: Waiter
) -> None:
    first = wait_for_job(submitted(client, storm_job("rwa", ONE_STORM)))
    (run,) = first["job_group_processors"]
    assert run["job_status"] == "SUCCESS", run
    assert run["job_options"] == ONE_STORM
    assert run["job_estimate"]["files"] == 1 and run["job_estimate"]["bytes"] > 0
    assert len(run["job_result"]["files"]) == 1
    assert storm_inputs(runtime, "rwa") == [ONE_STORM]

    again = wait_for_job(submitted(client, storm_job("rwa", ONE_STORM)))
    assert again["job_group_processors"][0]["job_status"] == "SKIPPED"

    other = wait_for_job(submitted(client, storm_job("rwa", TWO_STORMS)))
    (run,) = other["job_group_processors"]
    assert run["job_status"] == "SUCCESS", run
    # Kept in one order: the canonical form of the options.
    assert run["job_options"] == {"models": ["constant"], "return_periods": [100, 1000]}
    assert len(run["job_result"]["files"]) == 2
    assert storm_inputs(runtime, "rwa") == [run["job_options"]] * 2

    # The package now holds the other options' files: the first request is stale again.
    back = wait_for_job(submitted(client, storm_job("rwa", ONE_STORM)))
    assert back["job_group_processors"][0]["job_status"] == "SUCCESS"


def test_a_processor_without_options_still_dedups_on_no_options(
    client: TestClient, wait_for_job: Waiter
) -> None:
    wait_for_job(submitted(client, {"boundary_name": "bdi", "processors": [TEST]}))
    spelled = {"boundary_name": "bdi", "processors": [TEST], "options": {TEST: {}}}
    again = wait_for_job(submitted(client, spelled))
    assert again["job_group_processors"][0]["job_status"] == "SKIPPED"
    assert again["job_group_processors"][0]["job_options"] == {}


@pytest.mark.parametrize(
    ("options", "detail"),
    [
        (
            {"storm.no_such_version": {}},
            "options given for 'storm.no_such_version', not among the job's processors",
        ),
        (
            {STORM: {"models": ["constant"], "colour": "red"}},
            "options of storm.global_mosaics_version_1: colour: Extra inputs are not permitted",
        ),
        (
            {STORM: {"return_periods": [7]}},
            "options of storm.global_mosaics_version_1: return_periods: Value error, unknown "
            "return period: 7; choose from [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 200, 300, "
            "400, 500, 600, 700, 800, 900, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, "
            "9000, 10000]",
        ),
        (
            {TEST: {"pixel": 1}},
            "options of test_processor.version_1: pixel: Extra inputs are not permitted",
        ),
    ],
)
@pytest.mark.parametrize("dry_run", [False, True])
def test_bad_options_are_refused_naming_processor_and_field(
    client: TestClient, options: dict[str, Any], detail: str, dry_run: bool
) -> None:
    body = {"boundary_name": "gha", "processors": [STORM, TEST], "options": options}
    response = post(client, body, dry_run=dry_run)
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": detail}


def test_options_must_be_objects(client: TestClient) -> None:
    body = {"boundary_name": "gha", "processors": [STORM], "options": {STORM: [1]}}
    assert post(client, body).status_code == 422


def test_the_processor_metadata_documents_the_options(client: TestClient) -> None:
    storm = client.get("/v1/processors/storm/global_mosaics_version_1").json()
    schema = storm["options_schema"]
    assert set(schema["properties"]) == {"models", "return_periods"}
    assert schema["additionalProperties"] is False
    test = client.get("/v1/processors/test_processor/version_1").json()
    assert test["options_schema"]["properties"] == {}


def test_a_dry_run_answers_the_contract_and_creates_nothing(
    client: TestClient, wait_for_job: Waiter
) -> None:
    before = client.get("/v1/jobs").json()["total"]
    body = {"boundary_name": "LSO", "processors": [TEST, STORM], "options": {STORM: ONE_STORM}}
    response = post(client, body, dry_run=True)
    assert response.status_code == 200, response.text
    result = response.json()
    assert list(result) == [
        "boundary_name", "dry_run", "max_output_bytes", "total_bytes", "within_limit",
        "processors",
    ]  # fmt: skip
    assert result["boundary_name"] == "lso" and result["dry_run"] is True
    assert result["max_output_bytes"] == 50_000_000_000 and result["within_limit"] is True
    test, storm = result["processors"]
    assert list(test) == [
        "processor", "bytes", "pixels", "features", "files", "error", "published", "current",
    ]  # fmt: skip
    assert test["error"] is None
    assert (test["processor"], storm["processor"]) == (TEST, STORM)
    assert result["total_bytes"] == test["bytes"] + storm["bytes"]
    assert test["pixels"] > 0 and test["features"] is None and test["files"] == 1
    assert storm["files"] == 1
    assert [(p["published"], p["current"]) for p in result["processors"]] == [(False, False)] * 2
    assert client.get("/v1/jobs").json()["total"] == before

    wait_for_job(submitted(client, {k: v for k, v in body.items() if k != "options"} | {
        "processors": [TEST]
    }))  # fmt: skip
    wait_for_job(submitted(client, storm_job("lso", ONE_STORM)))
    again = post(client, body | {"options": {STORM: TWO_STORMS}}, dry_run=True).json()
    flags = {p["processor"]: (p["published"], p["current"]) for p in again["processors"]}
    # The test raster is current; STORM is published, but with other options.
    assert flags == {TEST: (True, True), STORM: (True, False)}
    same = post(client, body, dry_run=True).json()
    assert [(p["published"], p["current"]) for p in same["processors"]] == [(True, True)] * 2


def test_a_dry_run_says_why_a_processor_has_no_estimate(client: TestClient) -> None:
    # The OSM database is not configured here, so GRI OSM cannot count its rows.
    body = {"boundary_name": "mus", "processors": [TEST, GRI_OSM]}
    result = post(client, body, dry_run=True).json()
    test, osm = result["processors"]
    assert osm["bytes"] is None and osm["files"] is None
    assert osm["error"] is not None and osm["error"].startswith(
        "the OSM database is not configured: set AUTOPKG_OSM_PGHOST"
    )
    assert test["error"] is None and result["total_bytes"] == test["bytes"]


def test_a_dry_run_refuses_what_a_job_refuses(client: TestClient) -> None:
    response = post(client, {"boundary_name": "atlantis", "processors": [TEST]}, dry_run=True)
    assert response.status_code == 400
    assert "unknown boundary" in response.json()["detail"]


@pytest.fixture(scope="module")
def small_limit(
    tmp_path_factory: pytest.TempPathFactory, source_mirror: str
) -> Iterator[TestClient]:
    """A service refusing jobs estimated over 100 kB; its workers take nothing."""
    rt = open_runtime(
        make_settings(
            tmp_path_factory.mktemp("small-limit"),
            source_mirror=source_mirror,
            max_output_bytes=100_000,
        )
    )
    with TestClient(create_app(rt, EmbeddedExecutor(rt, workers=0))) as client:
        yield client


def test_a_job_over_the_output_limit_is_refused_naming_estimate_and_limit(
    small_limit: TestClient,
) -> None:
    body = {"boundary_name": "gha", "processors": [STORM, TEST]}
    response = post(small_limit, body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    estimate = post(small_limit, body, dry_run=True).json()
    storm, test = (f"{p['bytes']:,}" for p in estimate["processors"])
    assert detail == (
        f"the estimated output of {estimate['total_bytes']:,} bytes ({STORM} {storm}, "
        f"{TEST} {test}) is over the limit of 100,000 bytes (AUTOPKG_MAX_OUTPUT_BYTES)"
    )
    assert small_limit.get("/v1/jobs").json()["total"] == 0


def test_a_dry_run_over_the_limit_says_so(small_limit: TestClient) -> None:
    response = post(small_limit, {"boundary_name": "gha", "processors": [STORM]}, dry_run=True)
    assert response.status_code == 200
    result = response.json()
    assert result["max_output_bytes"] == 100_000
    assert result["total_bytes"] > 100_000 and result["within_limit"] is False
    within = post(small_limit, storm_job("gha", ONE_STORM), dry_run=True).json()
    assert within["within_limit"] is True
    accepted = post(small_limit, storm_job("gha", ONE_STORM))
    assert accepted.status_code == 202, accepted.text
