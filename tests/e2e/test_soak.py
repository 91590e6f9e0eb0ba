"""Soak: jobs keep flowing while workers are killed and restarted, in both modes.

Bounded: a fixed set of jobs and two kills while they flow. At the end every job must
be COMPLETE (a run killed on every attempt ends FAILURE, never stuck EXECUTING), and
every published package must validate (no missing, corrupt or extra file).
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import serve_env
from tests.e2e.deployment import production
from tests.e2e.server import ServeProcess
from tests.fixtures.mirror import serve_directory

pytestmark = pytest.mark.slow

PROCESSORS = ["natural_earth_raster.version_1", "wri_powerplants.version_130"]
BOUNDARIES = ["gha", "tgo", "ben", "sle", "lbr", "gmb", "civ", "bfa"]
#: Kill after these submissions (0-based): twice, while earlier jobs are in flight.
KILL_AFTER = (2, 5)


def _soak(
    server: ServeProcess,
    kill_one: Callable[[], None],
    env: dict[str, str],
    logs: Callable[[], str],
) -> None:
    rng = random.Random(11)
    jobs = []
    for index, boundary in enumerate(BOUNDARIES):
        response = server.post(
            "/v1/jobs", json={"boundary_name": boundary, "processors": PROCESSORS}
        )
        assert response.status_code == 202, response.text
        jobs.append(response.json()["job_id"])
        if index in KILL_AFTER:
            time.sleep(rng.uniform(0.5, 1.5))
            kill_one()
    published = []
    for boundary, job_id in zip(BOUNDARIES, jobs, strict=True):
        body = server.wait_for_job(job_id, timeout=240)
        states = [p["job_status"] for p in body["job_group_processors"]]
        # A run killed on each of its attempts gives up (worker_lost): it ends, as it must.
        assert set(states) <= {"SUCCESS", "FAILURE"}, body
        if "SUCCESS" in states:
            published.append(boundary)
    # The kills hit work in flight: runs were handed back and done again. Whoever saw
    # the dead owner first says so: the API's reconciler or a restarted worker.
    assert "left by stopped workers" in logs()
    assert len(published) >= len(BOUNDARIES) - 2, published
    checked = subprocess.run(
        [sys.executable, "-m", "autopkg", "packages", "validate", *published],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.splitlines() == [f"{boundary}: valid" for boundary in published]


@pytest.mark.timeout(600)
def test_soak_embedded_server_killed_and_restarted(
    tmp_path: Path, source_mirror_root: Path
) -> None:
    with serve_directory(source_mirror_root, chunk_delay=0.002) as mirror:
        server = ServeProcess(tmp_path / "data", serve_env(mirror))
        server.start()

        def kill_one() -> None:
            server.kill()
            server.start()

        try:
            _soak(server, kill_one, server.env, server.log)
        finally:
            server.stop()


@pytest.mark.timeout(600)
def test_soak_production_workers_killed_and_restarted(
    tmp_path: Path, source_mirror_root: Path
) -> None:
    with (
        serve_directory(source_mirror_root, chunk_delay=0.002) as mirror,
        production(tmp_path, serve_env(mirror)) as running,
    ):
        turn = iter(range(len(KILL_AFTER)))

        def kill_one() -> None:
            worker = running.workers[next(turn) % len(running.workers)]
            worker.kill()
            worker.start()

        def logs() -> str:
            return "".join([running.server.log(), *(worker.log() for worker in running.workers)])

        _soak(running.server, kill_one, running.server.env, logs)
