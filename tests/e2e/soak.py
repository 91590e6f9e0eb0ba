"""Soak: jobs keep flowing while workers are killed and restarted (the shared run).

Bounded: a fixed set of jobs and two kills while they flow. At the end every job must
be COMPLETE (a run killed on every attempt ends FAILURE, never stuck EXECUTING), and
every published package must validate (no missing, corrupt or extra file). Each mode's
test is a module of its own (``test_soak_embedded``, ``test_soak_production``), so the
two, about a minute each, can run on two workers at once.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

from tests.e2e.server import ServeProcess
from tests.fixtures.waiting import wait_until

PROCESSORS = ["natural_earth_raster.version_1", "wri_powerplants.version_130"]
BOUNDARIES = ["gha", "tgo", "ben", "sle", "lbr", "gmb", "civ", "bfa"]
#: Kill after these submissions (0-based): twice, while earlier jobs are in flight.
KILL_AFTER = (2, 5)


def _executing(server: ServeProcess, jobs: list[str]) -> bool:
    """Whether a run of one of ``jobs`` is executing now."""
    for job_id in jobs:
        body = server.get(f"/v1/jobs/{job_id}").json()
        if any(run["job_status"] == "EXECUTING" for run in body["job_group_processors"]):
            return True
    return False


def soak(
    server: ServeProcess,
    kill_one: Callable[[], None],
    env: dict[str, str],
    logs: Callable[[], str],
) -> None:
    jobs: list[str] = []
    for index, boundary in enumerate(BOUNDARIES):
        response = server.post(
            "/v1/jobs", json={"boundary_name": boundary, "processors": PROCESSORS}
        )
        assert response.status_code == 202, response.text
        jobs.append(response.json()["job_id"])
        if index in KILL_AFTER:
            # Killed while a run is in flight, so there is work to hand back.
            wait_until(lambda: _executing(server, jobs), what="a soak run executing")
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
