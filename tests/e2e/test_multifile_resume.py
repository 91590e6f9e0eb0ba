"""A multi-file run whose worker is killed resumes in a new attempt without redoing clips."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
import shapely.geometry

from autopkg.domain.boundary import Boundary
from autopkg.processors.context import LocalRunContext
from autopkg.processors.datasets.isimp_drought.version_1 import IsimipDroughtProcessor
from tests.e2e.conftest import serve_env
from tests.e2e.server import ServeProcess
from tests.fixtures.waiting import wait_for

pytestmark = pytest.mark.slow

ISIMIP = "isimp_drought.version_1"
FILES = 245
# Killed once this many files are clipped: well inside the run, whatever the machine.
KILL_AFTER = 60


def _clipped_so_far(process: ServeProcess, job_id: str) -> int:
    (run,) = process.get(f"/v1/jobs/{job_id}").json()["job_group_processors"]
    found = re.fullmatch(r"clipped \S+ \((\d+) of \d+\)", run["job_progress"]["current_task"])
    return int(found.group(1)) if found else 0


@pytest.mark.timeout(420)
def test_a_killed_run_resumes_without_clipping_finished_files_again(
    tmp_path: Path, source_mirror: str
) -> None:
    process = ServeProcess(tmp_path / "data", serve_env(source_mirror))
    process.start()
    try:
        response = process.post("/v1/jobs", json={"boundary_name": "gha", "processors": [ISIMIP]})
        job_id = response.json()["job_id"]
        done = wait_for(
            lambda: _clipped_so_far(process, job_id),
            lambda done: done >= KILL_AFTER,
            what=f"{KILL_AFTER} files clipped before the kill",
            timeout=180,
        )
        process.kill()
        process.start()
        body = process.wait_for_job(job_id, timeout=240)
        boundary = process.get("/v1/boundaries/gha").json()
    finally:
        process.stop()

    (result,) = body["job_group_processors"]
    assert result["job_status"] == "SUCCESS", result
    with sqlite3.connect(process.data_dir / "autopkg.sqlite") as db:
        ((run_id, attempts),) = db.execute("SELECT id, attempts FROM runs").fetchall()
    assert attempts == 2
    # Only the second attempt lived to say how many files it clipped.
    ((clipped, reused),) = re.findall(
        rf"{ISIMIP}: (\d+) of {FILES} files clipped, (\d+) reused", process.log()
    )
    assert int(reused) >= done and int(clipped) + int(reused) == FILES
    # The run's folder went with it: the kept clips and the killed attempt's scratch.
    assert not (process.data_dir / "processing" / "runs" / run_id).exists()

    # The published files are byte for byte those of a run never interrupted.
    gha = Boundary(
        name="gha", name_long=boundary["name_long"], admin_level=boundary["admin_level"],
        geometry=shapely.geometry.shape(boundary["geometry"]),
    )  # fmt: skip
    ctx = LocalRunContext(
        gha, tmp_path / "scratch", tmp_path / "cache", mirror=source_mirror,
        verify=False, on_progress=lambda _percent, _task: None,
    )  # fmt: skip
    uninterrupted = IsimipDroughtProcessor().run(ctx)
    published = [
        process.data_dir / "packages" / "gha" / path for path in result["job_result"]["files"]
    ]
    assert [path.name for path in published] == [o.path.name for o in uninterrupted]
    assert all(
        path.read_bytes() == o.path.read_bytes()
        for path, o in zip(published, uninterrupted, strict=True)
    )
