"""The OGC API - Processes view over the same jobs."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient


def test_landing_conformance_and_processes(client: TestClient) -> None:
    landing = client.get("/ogc/").json()
    assert {link["rel"] for link in landing["links"]} >= {"conformance", "processes"}
    conformance = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core" in conformance
    processes = client.get("/ogc/processes").json()["processes"]
    ids = {process["id"] for process in processes}
    assert "wri_powerplants.version_130" in ids
    described = client.get("/ogc/processes/wri_powerplants.version_130").json()
    assert set(described["inputs"]) == {"boundary_name", "boundary", "buffer_m", "summary"}
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
    deadline = time.monotonic() + 60
    while (status := client.get(f"/ogc/jobs/{job_id}").json())["status"] != "successful":
        assert status["status"] in {"accepted", "running"}, status
        assert time.monotonic() < deadline
        time.sleep(0.05)
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
    deadline = time.monotonic() + 60
    while (status := client.get(f"/ogc/jobs/{job_id}").json())["status"] in {"accepted", "running"}:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert status["status"] == "failed"
    assert client.get(f"/ogc/jobs/{job_id}/results").status_code == 404
    assert client.get("/ogc/jobs/nope").status_code == 404
    bad = client.post(
        "/ogc/processes/test_processor.version_1/execution",
        json={"inputs": {"boundary_name": "atlantis"}},
    )
    assert bad.status_code == 400
    assert "atlantis" in bad.json()["detail"]
