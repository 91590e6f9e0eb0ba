"""A standard client, OWSLib, against a real ``autopkg serve``: it gets every input.

OWSLib describes and executes processes and raises ``RuntimeError`` with the body of
any error answer; job status and results (which OWSLib 0.35 has no calls for) are read
with httpx, as any HTTP client would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from owslib.ogcapi.processes import Processes

from tests.e2e.conftest import serve_env
from tests.e2e.server import ServeProcess

OGC_EXCEPTIONS = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"
STORM = "storm.global_mosaics_version_1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, source_mirror: str) -> Iterator[ServeProcess]:
    process = ServeProcess(tmp_path_factory.mktemp("ogc-owslib"), serve_env(source_mirror))
    process.start()
    yield process
    process.stop()


@pytest.fixture
def ogc(server: ServeProcess) -> Processes:
    return Processes(f"{server.url}/ogc")


def refusal(raised: pytest.ExceptionInfo[RuntimeError]) -> dict[str, Any]:
    """The exception document OWSLib raised with."""
    document: dict[str, Any] = json.loads(str(raised.value))
    return document


def finished(server: ServeProcess, job_id: str) -> dict[str, Any]:
    """The OGC status of a job once complete (polled through ``/v1`` by the wait helper)."""
    server.wait_for_job(job_id)
    status: dict[str, Any] = server.get(f"/ogc/jobs/{job_id}").json()
    return status


def test_the_description_lists_every_option_as_an_input(
    ogc: Processes, server: ServeProcess
) -> None:
    assert "wri_aqueduct.version_2" in {process["id"] for process in ogc.processes()}
    inputs = ogc.process("wri_aqueduct.version_2")["inputs"]
    options = server.get("/v1/processors/wri_aqueduct/version_2").json()["options_schema"]
    assert set(options["properties"]) == {"hazards", "scenarios", "years", "return_periods"}
    for name, schema in options["properties"].items():
        assert inputs[name]["schema"]["items"] == schema["items"], name
        assert inputs[name]["schema"]["default"] == schema["default"], name
    assert inputs["buffer_m"]["schema"]["type"] == "integer"
    assert {"boundary_name", "boundary", "area_name"} <= set(inputs)
    # The landing page's service-desc link is typed as OpenAPI, so OWSLib finds it.
    assert "/ogc/processes/{process_id}/execution" in ogc.api()["paths"]


def test_an_execution_with_options_makes_only_the_chosen_files(
    ogc: Processes, server: ServeProcess
) -> None:
    created = ogc.execute(
        STORM, {"boundary_name": "gmb", "models": ["constant"], "return_periods": [200]}
    )
    assert created["status"] in {"accepted", "running", "successful"}
    assert ogc.response_headers["Location"] == f"{server.url}/ogc/jobs/{created['jobID']}"
    assert finished(server, created["jobID"])["status"] == "successful"
    results = server.get(f"/ogc/jobs/{created['jobID']}/results").json()
    package = httpx.get(results["package"]["href"], timeout=30).json()
    (storm_file,) = [
        resource["path"]
        for resource in package["resources"]
        if resource.get("autopkg:processor") == STORM
    ]
    assert "constant_200" in storm_file, storm_file
    (run,) = server.get(f"/v1/jobs/{created['jobID']}").json()["job_group_processors"]
    assert run["job_options"] == {"models": ["constant"], "return_periods": [200]}


def test_an_unknown_input_is_refused_and_starts_nothing(
    ogc: Processes, server: ServeProcess
) -> None:
    def storm_jobs() -> int:
        listed = server.get("/ogc/jobs", params={"processID": STORM, "limit": 100}).json()
        return int(listed["numberMatched"])

    before = storm_jobs()
    with pytest.raises(RuntimeError) as raised:
        ogc.execute(STORM, {"boundary_name": "gmb", "hazards": ["coastal"]})
    document = refusal(raised)
    assert document["type"] == OGC_EXCEPTIONS + "invalid-parameter"
    assert document["status"] == 400
    assert document["detail"] == (
        f"unknown input 'hazards': process {STORM} takes boundary_name, boundary, area_name, "
        "buffer_m, summary, models, return_periods"
    )
    with pytest.raises(RuntimeError) as raised:
        ogc.execute(STORM, {"boundary_name": "gmb", "models": ["tomorrow"]})
    assert refusal(raised)["detail"].startswith(f"options of {STORM}: models.0: Input should be")
    assert storm_jobs() == before


def test_no_such_process_and_no_such_job(ogc: Processes, server: ServeProcess) -> None:
    with pytest.raises(RuntimeError) as raised:
        ogc.process("nope.version_1")
    assert refusal(raised) == {
        "type": OGC_EXCEPTIONS + "no-such-process",
        "title": "No such process",
        "status": 404,
        "detail": "unknown process: 'nope.version_1'",
        "instance": f"{server.url}/ogc/processes/nope.version_1",
    }
    missing = server.get("/ogc/jobs/nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["type"] == OGC_EXCEPTIONS + "no-such-job"


def test_a_failed_jobs_reason_through_status_and_results(
    ogc: Processes, server: ServeProcess
) -> None:
    job_id = ogc.execute("test_fail_processor.version_1", {"boundary_name": "tgo"})["jobID"]
    status = finished(server, job_id)
    (run,) = server.get(f"/v1/jobs/{job_id}").json()["job_group_processors"]
    reason = run["job_result"]["detail"]
    assert status["status"] == "failed"
    assert status["message"] == f"test_fail_processor.version_1 failed: {reason}"
    results = server.get(f"/ogc/jobs/{job_id}/results")
    assert results.status_code == 500
    assert results.headers["content-type"] == "application/problem+json"
    assert results.json()["detail"] == f"job {job_id} failed: {status['message']}"
