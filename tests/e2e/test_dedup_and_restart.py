"""Dedup under concurrency and recovery after the server is killed mid-job."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.e2e.conftest import serve_env
from tests.e2e.server import ServeProcess
from tests.fixtures.mirror import serve_directory
from tests.fixtures.waiting import wait_for

RASTER = "natural_earth_raster.version_1"


def _runs(data_dir: Path, boundary: str, processor: str) -> list[tuple[str, str, int]]:
    with sqlite3.connect(data_dir / "autopkg.sqlite") as db:
        return db.execute(
            "SELECT id, state, attempts FROM runs WHERE boundary_name = ? AND processor_id = ?",
            (boundary, processor),
        ).fetchall()


def test_fifty_identical_submissions_run_one_clip(server: ServeProcess) -> None:
    body = {"boundary_name": "civ", "processors": [RASTER]}
    with ThreadPoolExecutor(50) as pool:
        responses = list(pool.map(lambda _: server.post("/v1/jobs", json=body), range(50)))
    assert [r.status_code for r in responses] == [202] * 50
    job_ids = {r.json()["job_id"] for r in responses}
    assert len(job_ids) == 50
    finished = [server.wait_for_job(job_id) for job_id in job_ids]
    executed = [run for run in _runs(server.data_dir, "civ", RASTER) if run[1] == "SUCCESS"]
    assert len(executed) == 1, executed
    assert server.log().count(f"{RASTER} for civ started") == 1
    results = set()
    for job in finished:
        (run,) = job["job_group_processors"]
        assert run["job_status"] in {"SUCCESS", "SKIPPED"}
        results.add(tuple(run["job_result"]["files"]))
    assert results == {
        ("datasets/natural_earth_raster/version_1/data/natural_earth_raster-version_1-civ.tif",)
    }


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.parametrize("stop", ["kill", "terminate"])
def test_server_stopped_mid_job_finishes_the_job_after_restart(
    tmp_path: Path, source_mirror_root: Path, stop: str
) -> None:
    # A slow mirror keeps the run EXECUTING (downloading) long enough to stop the server.
    with serve_directory(source_mirror_root, chunk_delay=0.01) as slow_mirror:
        process = ServeProcess(tmp_path / "data", serve_env(slow_mirror))
        process.start()
        try:
            response = process.post(
                "/v1/jobs", json={"boundary_name": "gha", "processors": [RASTER]}
            )
            job_id = response.json()["job_id"]
            _wait_until_executing(process, job_id)
            if stop == "kill":
                process.kill()
                (run,) = _runs(process.data_dir, "gha", RASTER)
                assert run[1] == "EXECUTING"
            else:
                process.stop()
            process.start()
            body = process.wait_for_job(job_id, timeout=180)
        finally:
            process.stop()
    (result,) = body["job_group_processors"]
    assert result["job_status"] in {"SUCCESS", "FAILURE"}
    ((_, state, attempts),) = _runs(process.data_dir, "gha", RASTER)
    assert state == result["job_status"]
    if stop == "kill":
        assert attempts == 2
        assert "released 1 run(s)" in process.log()


def _wait_until_executing(process: ServeProcess, job_id: str) -> None:
    def status() -> str:
        (run,) = process.get(f"/v1/jobs/{job_id}").json()["job_group_processors"]
        return str(run["job_status"])

    wait_for(
        status,
        lambda state: state == "EXECUTING",
        what="the run executing",
        timeout=30,
        interval=0.02,
    )


def test_several_api_processes_share_one_database(tmp_path: Path, source_mirror: str) -> None:
    process = ServeProcess(tmp_path / "multi", serve_env(source_mirror), ("--processes", "2"))
    process.start()
    try:
        response = process.post(
            "/v1/jobs", json={"boundary_name": "gmb", "processors": ["test_processor.version_1"]}
        )
        assert response.status_code == 202
        body = process.wait_for_job(response.json()["job_id"])
        assert body["job_group_processors"][0]["job_status"] == "SUCCESS"
    finally:
        process.stop()
    assert process.log().count("embedded executor started") == 2
