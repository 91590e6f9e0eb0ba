"""Job submission, status, dedup and failure isolation through the in-process API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from autopkg.api.app import create_app
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.packaging.publish import validate_package
from autopkg.runtime import Runtime, open_runtime
from tests.conftest import make_settings
from tests.fixtures.manifests import stored_data

Waiter = Callable[..., dict[str, Any]]


def submit(client: TestClient, boundary: str, *processors: str) -> str:
    response = client.post(
        "/v1/jobs", json={"boundary_name": boundary, "processors": list(processors)}
    )
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job_id"]
    assert response.headers["location"] == f"/v1/jobs/{job_id}"
    return job_id


def test_job_runs_to_complete_and_publishes(client: TestClient, wait_for_job: Waiter) -> None:
    body = wait_for_job(submit(client, "gmb", "test_processor.version_1"))
    assert body["boundary_name"] == "gmb"
    assert body["job_group_percent_complete"] == 100
    (run,) = body["job_group_processors"]
    assert run["processor_name"] == "test_processor.version_1"
    assert run["job_status"] == "SUCCESS", run
    assert run["job_progress"]["percent_complete"] == 100
    assert run["job_result"]["files"] == [
        "datasets/test_processor/version_1/data/test_processor-version_1-gmb.tif"
    ]
    package = client.get("/v1/packages/gmb").json()
    assert [r["name"] for r in package["datapackage"]["resources"]] == ["test_processor"]


def test_published_processor_is_skipped(client: TestClient, wait_for_job: Waiter) -> None:
    wait_for_job(submit(client, "sen", "test_processor.version_1"))
    again = wait_for_job(submit(client, "sen", "test_processor.version_1"))
    (run,) = again["job_group_processors"]
    assert run["job_status"] == "SKIPPED"
    assert run["job_result"]["files"] == [
        "datasets/test_processor/version_1/data/test_processor-version_1-sen.tif"
    ]


def test_failing_processor_fails_alone(client: TestClient, wait_for_job: Waiter) -> None:
    body = wait_for_job(
        submit(client, "tgo", "test_fail_processor.version_1", "test_processor.version_1")
    )
    states = {r["processor_name"]: r for r in body["job_group_processors"]}
    failed = states["test_fail_processor.version_1"]
    assert failed["job_status"] == "FAILURE"
    assert failed["job_result"]["detail"]
    assert states["test_processor.version_1"]["job_status"] == "SUCCESS"
    package = client.get("/v1/packages/tgo").json()
    assert package["processors"][0]["name"] == "test_processor.version_1"


def test_unknown_job_is_404(client: TestClient) -> None:
    for job_id in ("00000000-0000-0000-0000-000000000000", "not-a-job", "%2e%2e"):
        response = client.get(f"/v1/jobs/{job_id}")
        assert response.status_code == 404
        assert "unknown job" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (
            {"boundary_name": "atlantis", "processors": ["test_processor.version_1"]},
            400,
            "atlantis",
        ),
        (
            {"boundary_name": "../../etc", "processors": ["test_processor.version_1"]},
            400,
            "unknown boundary",
        ),
        ({"boundary_name": "gha", "processors": ["nope.version_1"]}, 400, "nope.version_1"),
        ({"boundary_name": "gha", "processors": ["not-an-id"]}, 400, "not-an-id"),
        (
            {"boundary_name": "gha", "processors": ["test_processor.version_1"] * 2},
            422,
            "duplicate",
        ),
        ({"boundary_name": "gha", "processors": []}, 422, "processors"),
        ({"boundary_name": "gha"}, 422, "processors"),
        ({"processors": ["test_processor.version_1"]}, 422, "boundary_name"),
        ({"boundary_name": 5, "processors": "x"}, 422, "boundary_name"),
        ({"boundary_name": "gha", "processors": ["a"], "extra": 1}, 422, "extra"),
    ],
)
def test_bad_submissions_get_4xx_with_a_message(
    client: TestClient, body: dict[str, Any], status: int, needle: str
) -> None:
    response = client.post("/v1/jobs", json=body)
    assert response.status_code == status, response.text
    assert needle in response.json()["detail"]


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/v1/jobs", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"]


def test_oversized_body_is_413(client: TestClient) -> None:
    huge = b'{"boundary_name": "gha", "processors": ["' + b"a" * 6_000_000 + b'"]}'
    response = client.post("/v1/jobs", content=huge, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


@pytest.fixture(scope="module")
def keyed_client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    rt: Runtime = open_runtime(
        make_settings(tmp_path_factory.mktemp("keyed"), api_keys="s3cret,other")
    )
    with TestClient(create_app(rt, EmbeddedExecutor(rt, workers=1))) as keyed:
        yield keyed


def test_writes_need_an_api_key_when_configured(keyed_client: TestClient) -> None:
    body = {"boundary_name": "gha", "processors": ["test_processor.version_1"]}
    missing = keyed_client.post("/v1/jobs", json=body)
    assert missing.status_code == 401
    assert "API key" in missing.json()["detail"]
    wrong = keyed_client.post("/v1/jobs", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    bearer = keyed_client.post("/v1/jobs", json=body, headers={"Authorization": "Bearer s3cret"})
    assert bearer.status_code == 202
    header = keyed_client.post("/v1/jobs", json=body, headers={"X-API-Key": "other"})
    assert header.status_code == 202
    assert keyed_client.get("/v1/boundaries/gha").status_code == 200
    upload = {"type": "FeatureCollection", "features": []}
    assert keyed_client.post("/v1/boundaries", json=upload).status_code == 401
    job_id = bearer.json()["job_id"]
    assert keyed_client.delete(f"/v1/jobs/{job_id}").status_code == 401


def test_cancel_revokes_queued_work_unless_another_job_needs_it(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    rt = open_runtime(make_settings(tmp_path_factory.mktemp("cancel")))
    # An executor with no worker threads keeps every run queued (PENDING).
    with TestClient(create_app(rt, EmbeddedExecutor(rt, workers=0))) as idle:
        lonely = submit(idle, "lbr", "test_processor.version_1")
        shared_a = submit(idle, "sle", "test_processor.version_1")
        shared_b = submit(idle, "sle", "test_processor.version_1")

        cancelled = idle.delete(f"/v1/jobs/{lonely}")
        assert cancelled.status_code == 200
        assert cancelled.json()["job_group_processors"][0]["job_status"] == "REVOKED"
        assert cancelled.json()["job_group_status"] == "COMPLETE"

        kept = idle.delete(f"/v1/jobs/{shared_a}").json()
        assert kept["job_group_processors"][0]["job_status"] == "PENDING"
        assert idle.get(f"/v1/jobs/{shared_b}").json()["job_group_status"] == "PENDING"

        last = idle.delete(f"/v1/jobs/{shared_b}").json()
        assert last["job_group_processors"][0]["job_status"] == "REVOKED"
        assert idle.get(f"/v1/jobs/{shared_a}").json()["job_group_status"] == "COMPLETE"
        assert idle.delete("/v1/jobs/not-a-job").status_code == 404


def test_job_for_a_custom_geojson_area(client: TestClient, wait_for_job: Waiter) -> None:
    area = {
        "type": "Feature",
        "properties": {},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[-1, 6], [0, 6], [0, 7], [-1, 7], [-1, 6]]],
        },
    }
    body = {"boundary": area, "processors": ["test_processor.version_1"]}
    first = client.post("/v1/jobs", json=body)
    assert first.status_code == 202, first.text
    done = wait_for_job(first.json()["job_id"])
    name = done["boundary_name"]
    assert name.startswith("custom-")
    assert done["job_group_processors"][0]["job_status"] == "SUCCESS"
    detail = client.get(f"/v1/boundaries/{name}").json()
    assert detail["admin_level"] is None  # a custom area has no admin level
    assert detail["envelope"]["coordinates"][0][0] in (
        [-1.0, 6.0],
        [0.0, 6.0],
        [0.0, 7.0],
        [-1.0, 7.0],
    )
    again = wait_for_job(client.post("/v1/jobs", json=body).json()["job_id"])
    assert again["boundary_name"] == name
    assert again["job_group_processors"][0]["job_status"] == "SKIPPED"


@pytest.mark.parametrize(
    ("boundary", "needle"),
    [
        ({"type": "Point", "coordinates": [0, 0]}, "expected tags: 'Polygon', 'MultiPolygon'"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [200, 1], [0, 0]]]}, "±180"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, -91], [1, 1], [0, 0]]]}, "±90"),
        ({"type": "Polygon", "coordinates": "nope"}, "coordinates: Input should be a valid list"),
        (
            {"type": "Polygon", "coordinates": [[["0", 0], [1, 0], [1, 1], ["0", 0]]]},
            "coordinates.0.0.0: Input should be a valid number",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [True, 0], [1, 1], [0, 0]]]},
            "coordinates.0.1.0: Input should be a valid number",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
            "a ring must be closed: at least 4 positions, the last the same as the first",
        ),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0], [0, 0]]]}, "no area"),
        ({"type": "Polygon", "coordinates": []}, "at least 1 item"),
        ({"type": "FeatureCollection", "features": []}, "no area"),
        ({"type": "Feature", "properties": {}, "geometry": None}, "no area"),
    ],
)
def test_bad_custom_areas_are_422(
    client: TestClient, boundary: dict[str, Any], needle: str
) -> None:
    response = client.post(
        "/v1/jobs", json={"boundary": boundary, "processors": ["test_processor.version_1"]}
    )
    assert response.status_code == 422, response.text
    assert needle in response.json()["detail"]


def test_boundary_name_and_area_are_exclusive(client: TestClient) -> None:
    area = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    both = client.post(
        "/v1/jobs",
        json={"boundary_name": "gha", "boundary": area, "processors": ["test_processor.version_1"]},
    )
    assert both.status_code == 422
    assert "exactly one" in both.json()["detail"]


def test_a_named_area_shows_its_name_in_jobs_and_its_package(
    client: TestClient, wait_for_job: Waiter
) -> None:
    area = {"type": "Polygon", "coordinates": [[[2, 9], [2.5, 9], [2.5, 9.5], [2, 9]]]}
    body = {
        "boundary": area,
        "area_name": "  Borgou farms, north  ",
        "processors": ["test_processor.version_1"],
    }
    done = wait_for_job(client.post("/v1/jobs", json=body).json()["job_id"])
    name = done["boundary_name"]
    assert name.startswith("custom-")
    assert done["boundary_name_long"] == "Borgou farms, north"
    listed = client.get("/v1/jobs", params={"boundary_name": name}).json()["jobs"]
    assert [job["boundary_name_long"] for job in listed] == ["Borgou farms, north"]
    package = client.get(f"/v1/packages/{name}").json()
    assert package["boundary"]["name_long"] == "Borgou farms, north"
    manifest = client.get(package["uri"] + "datapackage.json").json()
    assert manifest["title"] == "Borgou farms, north data package"

    unnamed = {"boundary": area, "processors": ["test_processor.version_1"]}
    again = wait_for_job(client.post("/v1/jobs", json=unnamed).json()["job_id"])
    assert again["boundary_name_long"] == "Borgou farms, north"
    renamed = wait_for_job(
        client.post("/v1/jobs", json={**unnamed, "area_name": "Borgou"}).json()["job_id"]
    )
    assert renamed["boundary_name"] == name
    assert renamed["boundary_name_long"] == "Borgou"
    assert client.get(f"/v1/boundaries/{name}").json()["name_long"] == "Borgou"


def test_a_country_job_carries_its_long_name(client: TestClient, wait_for_job: Waiter) -> None:
    done = wait_for_job(submit(client, "TGO", "test_processor.version_1"))
    assert done["boundary_name_long"] == "Togo"


@pytest.mark.parametrize(
    ("area_name", "needle"),
    [
        ("", "at least 1 character"),
        ("   ", "at least 1 character"),
        ("x" * 101, "at most 100 characters"),
        ("tgo\u0000x", "control characters"),
        ("two\nlines", "control characters"),
        (42, "valid string"),
    ],
)
def test_bad_area_names_are_422(client: TestClient, area_name: Any, needle: str) -> None:
    area = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    response = client.post(
        "/v1/jobs",
        json={"boundary": area, "area_name": area_name, "processors": ["test_processor.version_1"]},
    )
    assert response.status_code == 422, response.text
    assert needle in response.json()["detail"]
    assert "area_name" in response.json()["detail"]


def test_an_area_name_needs_an_area(client: TestClient) -> None:
    response = client.post(
        "/v1/jobs",
        json={
            "boundary_name": "gha",
            "area_name": "Ghana",
            "processors": ["test_processor.version_1"],
        },
    )
    assert response.status_code == 422
    assert "area_name names a custom area" in response.json()["detail"]


def test_an_area_with_no_data_publishes_a_valid_empty_file_and_says_so(
    client: TestClient, runtime: Runtime, wait_for_job: Waiter
) -> None:
    ocean = {
        "type": "Polygon",
        "coordinates": [[[-30, -5], [-29, -5], [-29, -4], [-30, -4], [-30, -5]]],
    }
    job = client.post(
        "/v1/jobs", json={"boundary": ocean, "processors": ["wri_powerplants.version_130"]}
    )
    assert job.status_code == 202, job.text
    body = wait_for_job(job.json()["job_id"])
    (run,) = body["job_group_processors"]
    assert run["job_status"] == "SUCCESS", run
    assert run["job_result"]["empty"] == run["job_result"]["files"]
    assert "nothing of the source lies inside" in run["job_result"]["message"]
    name = body["boundary_name"]
    manifest = client.get(f"/packages/{name}/datapackage.json").json()
    (resource,) = stored_data(manifest)
    assert resource["autopkg:empty"] is True
    page = client.get(f"/packages/{name}/index.html").text
    assert "empty: nothing of the dataset lies inside this boundary" in page
    assert validate_package(runtime.storage, name) == []


def test_a_storage_failure_names_its_cause_in_the_job_result(
    client: TestClient, runtime: Runtime, wait_for_job: Waiter
) -> None:
    # A regular file where the package folder should be: every write under it fails
    # with ENOTDIR, as a full disk fails with ENOSPC. Turkmenistan is used by no other
    # test, so its folder does not exist yet.
    blocker = runtime.settings.packages_root / "tkm"
    assert not blocker.exists()
    blocker.write_text("not a folder")
    try:
        body = wait_for_job(submit(client, "tkm", "test_processor.version_1"))
    finally:
        blocker.unlink()
    (run,) = body["job_group_processors"]
    assert run["job_status"] == "FAILURE"
    assert run["job_result"] == {
        "error": "storage_error",
        "detail": "not a directory writing "
        "tkm/datasets/test_processor/version_1/data/test_processor-version_1-tkm.tif",
    }
