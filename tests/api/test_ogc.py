"""The OGC API - Processes view over the same jobs."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.fixtures.waiting import wait_for


def test_landing_conformance_and_processes(client: TestClient) -> None:
    landing = client.get("/ogc/").json()
    assert {link["rel"] for link in landing["links"]} >= {"conformance", "processes"}
    conformance = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core" in conformance
    processes = client.get("/ogc/processes").json()["processes"]
    ids = {process["id"] for process in processes}
    assert "wri_powerplants.version_130" in ids
    described = client.get("/ogc/processes/wri_powerplants.version_130").json()
    assert set(described["inputs"]) == {"boundary_name", "boundary", "buffer_m"}
    assert "package" in described["outputs"]
    assert client.get("/ogc/processes/nope.v1").status_code == 404


def test_execute_poll_and_fetch_results(client: TestClient) -> None:
    response = client.post(
        "/ogc/processes/test_processor.version_1/execution",
        json={"inputs": {"boundary_name": "mli"}},
    )
    assert response.status_code == 201, response.text
    job_id = response.json()["jobID"]
    assert response.headers["location"].endswith(f"/ogc/jobs/{job_id}")
    assert response.json()["status"] in {"accepted", "running", "successful"}

    def status_on_the_way() -> dict[str, Any]:
        status: dict[str, Any] = client.get(f"/ogc/jobs/{job_id}").json()
        assert status["status"] in {"accepted", "running", "successful"}, status
        return status

    status = wait_for(
        status_on_the_way,
        lambda status: status["status"] == "successful",
        what=f"OGC job {job_id} successful",
    )
    assert status["progress"] == 100
    results = client.get(f"/ogc/jobs/{job_id}/results").json()
    assert results["package"]["href"] == "http://testserver/packages/mli/datapackage.json"
    assert client.get(results["package"]["href"]).json()["name"] == "mli"
    same = client.get(f"/v1/jobs/{job_id}").json()
    assert same["job_group_status"] == "COMPLETE"


def test_failed_and_unknown_jobs(client: TestClient) -> None:
    job_id = client.post(
        "/ogc/processes/test_fail_processor.version_1/execution",
        json={"inputs": {"boundary_name": "ner"}},
    ).json()["jobID"]
    status = wait_for(
        lambda: client.get(f"/ogc/jobs/{job_id}").json(),
        lambda status: status["status"] not in {"accepted", "running"},
        what=f"OGC job {job_id} finished",
    )
    assert status["status"] == "failed"
    assert client.get(f"/ogc/jobs/{job_id}/results").status_code == 404
    assert client.get("/ogc/jobs/nope").status_code == 404
    bad = client.post(
        "/ogc/processes/test_processor.version_1/execution",
        json={"inputs": {"boundary_name": "atlantis"}},
    )
    assert bad.status_code == 400
    assert "atlantis" in bad.json()["detail"]
