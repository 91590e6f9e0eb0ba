"""The OGC API - Processes view over the same jobs: inputs, executions, exception documents.

Clients of the standard are in ``test_ogc_owslib.py``; these tests reach the states a
client cannot wait for (a job not yet run) and the exact documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from autopkg.api.app import create_app
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.runtime import open_runtime
from tests.conftest import make_settings, wait_until_complete

OGC_EXCEPTIONS = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"
BOUNDARY_INPUTS = {"boundary_name", "boundary", "area_name", "buffer_m", "summary"}


def exception_document(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    """The response's OGC exception document, checked to be one of ``kind`` with ``status``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    document: dict[str, Any] = response.json()
    assert document["type"] == (kind if kind == "about:blank" else OGC_EXCEPTIONS + kind)
    assert document["status"] == status
    assert document["title"] and document["detail"]
    return document


@pytest.fixture
def idle(tmp_path: Path, source_mirror: str) -> Iterator[TestClient]:
    """A client of an app whose executor has no threads: submitted jobs stay accepted."""
    rt = open_runtime(make_settings(tmp_path, source_mirror=source_mirror))
    with TestClient(create_app(rt, EmbeddedExecutor(rt, workers=0))) as client:
        yield client


def test_landing_conformance_and_processes(client: TestClient) -> None:
    landing = client.get("/ogc/").json()
    assert {link["rel"] for link in landing["links"]} >= {"conformance", "processes"}
    conformance = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core" in conformance
    processes = client.get("/ogc/processes").json()["processes"]
    ids = {process["id"] for process in processes}
    assert "wri_powerplants.version_130" in ids
    described = client.get("/ogc/processes/wri_powerplants.version_130").json()
    assert set(described["inputs"]) == BOUNDARY_INPUTS
    assert "package" in described["outputs"]
    missing = exception_document(client.get("/ogc/processes/nope.v1"), 404, "no-such-process")
    assert missing["detail"] == "unknown process: 'nope.v1'"
    assert missing["instance"] == "http://testserver/ogc/processes/nope.v1"


def test_each_option_is_an_input_with_its_schema(client: TestClient) -> None:
    for name, version in (
        ("wri_aqueduct", "version_2"),
        ("storm", "global_mosaics_version_1"),
        ("isimp_drought", "version_1"),
    ):
        options = client.get(f"/v1/processors/{name}/{version}").json()["options_schema"]
        described = client.get(f"/ogc/processes/{name}.{version}").json()["inputs"]
        assert set(described) == BOUNDARY_INPUTS | set(options["properties"]), name
        for option, schema in options["properties"].items():
            given = described[option]
            assert (given["minOccurs"], given["maxOccurs"]) == (0, 1)
            assert given["title"] == schema["title"]
            assert given["description"] == schema["description"]
            assert given["schema"] == {
                key: value for key, value in schema.items() if key not in {"title", "description"}
            }
    # No option of any processor is named like an input of every process.
    for processor in client.get("/v1/processors").json():
        for version in processor["versions"]:
            options = version["options_schema"].get("properties", {})
            assert not set(options) & BOUNDARY_INPUTS, version["name"]
    hazards = client.get("/ogc/processes/wri_aqueduct.version_2").json()["inputs"]["hazards"]
    assert hazards["schema"]["items"]["enum"] == ["riverine", "coastal"]
    assert hazards["schema"]["default"] == ["riverine", "coastal"]
    buffer = client.get("/ogc/processes/wri_aqueduct.version_2").json()["inputs"]["buffer_m"]
    assert buffer["schema"] == {"type": "integer", "minimum": 1, "maximum": 200_000}


def test_execute_poll_and_fetch_results(client: TestClient) -> None:
    response = client.post(
        "/ogc/processes/test_processor.version_1/execution",
        json={"inputs": {"boundary_name": "mli"}},
    )
    assert response.status_code == 201, response.text
    job_id = response.json()["jobID"]
    assert response.headers["location"].endswith(f"/ogc/jobs/{job_id}")
    assert response.json()["status"] in {"accepted", "running", "successful"}
    same = wait_until_complete(client, job_id)
    assert same["job_group_outcome"] == "SUCCESS"
    status = client.get(f"/ogc/jobs/{job_id}").json()
    assert (status["status"], status["progress"]) == ("successful", 100)
    results = client.get(f"/ogc/jobs/{job_id}/results").json()
    assert results["package"]["href"] == "http://testserver/packages/mli/datapackage.json"
    assert client.get(results["package"]["href"]).json()["name"] == "mli"


def test_a_failed_jobs_reason_in_full(client: TestClient) -> None:
    job_id = client.post(
        "/ogc/processes/test_fail_processor.version_1/execution",
        json={"inputs": {"boundary_name": "ner"}},
    ).json()["jobID"]
    (run,) = wait_until_complete(client, job_id)["job_group_processors"]
    reason = run["job_result"]["detail"]
    status = client.get(f"/ogc/jobs/{job_id}").json()
    assert status["status"] == "failed"
    assert status["message"] == f"test_fail_processor.version_1 failed: {reason}"
    failed = exception_document(client.get(f"/ogc/jobs/{job_id}/results"), 500, "about:blank")
    assert failed["title"] == "Internal Server Error"
    assert failed["detail"] == f"job {job_id} failed: {status['message']}"
    assert failed["instance"] == f"http://testserver/ogc/jobs/{job_id}"


def test_unknown_jobs_are_no_such_job(client: TestClient) -> None:
    for response in (
        client.get("/ogc/jobs/nope"),
        client.get("/ogc/jobs/nope/results"),
        client.delete("/ogc/jobs/nope"),
    ):
        document = exception_document(response, 404, "no-such-job")
        assert document["detail"] == "unknown job: 'nope'"


def test_results_before_the_job_ran_and_after_a_dismissal(idle: TestClient) -> None:
    job_id = idle.post(
        "/ogc/processes/test_processor.version_1/execution",
        json={"inputs": {"boundary_name": "cpv"}},
    ).json()["jobID"]
    assert idle.get(f"/ogc/jobs/{job_id}").json()["status"] == "accepted"
    early = exception_document(idle.get(f"/ogc/jobs/{job_id}/results"), 404, "result-not-ready")
    assert early["detail"] == f"job {job_id} has no results yet (status: accepted)"
    assert idle.delete(f"/ogc/jobs/{job_id}").json()["status"] == "dismissed"
    gone = exception_document(idle.get(f"/ogc/jobs/{job_id}/results"), 404, "about:blank")
    assert gone["detail"] == f"job {job_id} was dismissed: it has no results"


def test_unknown_and_invalid_inputs_are_400_and_start_nothing(idle: TestClient) -> None:
    storm = "storm.global_mosaics_version_1"

    def jobs() -> int:
        total: int = idle.get("/ogc/jobs", params={"processID": storm}).json()["numberMatched"]
        return total

    unknown = idle.post(
        f"/ogc/processes/{storm}/execution",
        json={"inputs": {"boundary_name": "com", "hazards": ["coastal"]}},
    )
    document = exception_document(unknown, 400, "invalid-parameter")
    assert document["title"] == "Invalid parameter"
    assert document["detail"] == (
        f"unknown input 'hazards': process {storm} takes boundary_name, boundary, area_name, "
        "buffer_m, summary, models, return_periods"
    )
    refusals: dict[str, tuple[dict[str, Any], str]] = {
        # The options' own validation, in its words (as POST /v1/jobs gives them).
        "models": (
            {"models": ["tomorrow"]},
            f"options of {storm}: models.0: Input should be 'constant', ",
        ),
        "a period": ({"return_periods": [15]}, "unknown return period: 15; choose from"),
        "a flag": ({"buffer_m": True}, "inputs.buffer_m: Input should be a valid integer"),
        "too far": ({"buffer_m": 10**9}, "is over the limit of 200,000 m (AUTOPKG_MAX_BUFFER_M)"),
        "no area": ({"boundary_name": None}, "give exactly one of boundary_name or boundary"),
        "a place": ({"boundary_name": "atlantis"}, "atlantis"),
    }
    for label, (inputs, words) in refusals.items():
        refused = idle.post(
            f"/ogc/processes/{storm}/execution",
            json={"inputs": {"boundary_name": "com", **inputs}},
        )
        assert words in exception_document(refused, 400, "invalid-parameter")["detail"], label
    assert jobs() == 0
    chosen = idle.post(
        f"/ogc/processes/{storm}/execution",
        json={"inputs": {"boundary_name": "com", "models": ["constant"], "buffer_m": 5000}},
    )
    assert chosen.status_code == 201, chosen.text
    job = idle.get(f"/v1/jobs/{chosen.json()['jobID']}").json()
    assert job["boundary_name"] == "com-buffer-5000m"
    assert job["job_group_processors"][0]["job_options"] == {"models": ["constant"]}
    assert jobs() == 1


def test_every_error_under_ogc_is_an_exception_document(client: TestClient) -> None:
    # Refused by the route's parameters, by the middleware, by the router.
    invalid = exception_document(client.get("/ogc/jobs?limit=0"), 400, "invalid-parameter")
    assert invalid["detail"] == "query.limit: Input should be greater than or equal to 1"
    control = exception_document(client.get("/ogc/jobs?processID=%00"), 400, "invalid-parameter")
    assert control["detail"] == "query parameter processID: must not hold control characters"
    body = client.post(
        "/ogc/processes/test_processor.version_1/execution",
        content=b"{",
        headers={"content-type": "application/json"},
    )
    assert exception_document(body, 400, "invalid-parameter")["detail"].startswith(
        "request body is not valid JSON"
    )
    large = client.post(
        "/ogc/processes/test_processor.version_1/execution",
        content=b" " * 5_000_001,
        headers={"content-type": "application/json"},
    )
    assert exception_document(large, 413, "about:blank")["detail"] == (
        "request body larger than 5000000 bytes (AUTOPKG_MAX_BODY_BYTES)"
    )
    nowhere = exception_document(client.get("/ogc/nowhere"), 404, "about:blank")
    assert nowhere["title"] == "Not Found"
    put = exception_document(client.put("/ogc/jobs/nope"), 405, "about:blank")
    assert put["title"] == "Method Not Allowed"
    # The schema says so for every OGC operation.
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        for operation in operations.values() if path.startswith("/ogc") else ():
            for status, answer in operation["responses"].items():
                if not status.startswith("2"):
                    assert list(answer["content"]) == ["application/problem+json"], path
    # /v1 keeps its own shape.
    kept = client.get("/v1/jobs?limit=0")
    assert kept.status_code == 422
    assert kept.headers["content-type"] == "application/json"
    assert set(kept.json()) == {"detail"}


def test_processor_ids_are_accepted_wherever_an_id_is_used(client: TestClient) -> None:
    by_id = client.get("/v1/processors/wri_powerplants.version_130")
    assert by_id.status_code == 200, by_id.text
    assert by_id.json() == client.get("/v1/processors/wri_powerplants").json()
    assert client.get("/v1/processors/WRI_POWERPLANTS.VERSION_130").json() == by_id.json()
    missing = client.get("/v1/processors/wri_powerplants.version_999")
    assert missing.status_code == 404
    assert "or a version's id, e.g. wri_powerplants.version_130" in missing.json()["detail"]
    job_id = client.post(
        "/ogc/processes/TEST_PROCESSOR.VERSION_1/execution",
        json={"inputs": {"boundary_name": "dji"}},
    ).json()["jobID"]
    wait_until_complete(client, job_id)
    for listing, key in (
        ("/v1/jobs?boundary_name=dji&processor=TEST_PROCESSOR.version_1", "job_id"),
        ("/ogc/jobs?processID=Test_Processor.Version_1&limit=100", "jobID"),
    ):
        found = [job[key] for job in client.get(listing).json()["jobs"]]
        assert job_id in found, listing
