"""One execution policy in both deployments: embedded threads and Celery workers alike.

Each rule is shown in a real embedded ``autopkg serve`` and in production mode
(PostGIS, a real ``redis-server``, one ``autopkg worker`` of two prefork children):
GDAL's threads are shared by the concurrent clips of the machine; past the soft time
limit a run is stopped and fails; a run whose progress stands still is given up and
retried, and fails after its last attempt; past the hard limit an attempt is given up
even when its processor ignores the soft one. The misbehaving processor is a stand-in
registered through an entry point, as a third-party processor would be
(``tests/e2e/stand_ins.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import wait_until
from tests.e2e.conftest import serve_env
from tests.e2e.deployment import production
from tests.e2e.server import ServeProcess
from tests.e2e.stand_ins import STAND_IN, stand_in_plugin

pytestmark = pytest.mark.slow

REPOSITORY = Path(__file__).resolve().parents[2]
# A quarter of the lease is the heartbeat's beat, which applies the stall and hard
# rules: 1.25 s. The stall is looked for well before the soft limit, the soft limit
# well before the hard one.
POLICY = {
    "AUTOPKG_RUN_LEASE_SECONDS": "5",
    "AUTOPKG_RUN_STALL_SECS": "2",
    "AUTOPKG_TASK_SOFT_TIME_LIMIT_SECS": "8",
    "AUTOPKG_TASK_TIME_LIMIT_SECS": "12",
}


@dataclass
class Deployment:
    """A deployment's API and where its runs' log lines go."""

    server: ServeProcess
    execution_log: Callable[[], str]


@pytest.fixture(scope="module", params=["embedded", "production"])
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, source_mirror: str
) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp(f"policy-{request.param}")
    plugin = stand_in_plugin(root / "plugin")
    env = {
        **serve_env(source_mirror),
        **POLICY,
        "AUTOPKG_WORKERS": "2",
        "PYTHONPATH": os.pathsep.join([str(plugin), str(REPOSITORY)]),
    }
    if request.param == "embedded":
        server = ServeProcess(root / "serve", env)
        server.start()
        try:
            yield Deployment(server, server.log)
        finally:
            server.stop()
        return
    with production(root, env, workers=1, concurrency=2) as running:
        yield Deployment(running.server, running.workers[0].log)


def _submit(deployment: Deployment, boundary: str, behaviour: str) -> str:
    response = deployment.server.post(
        "/v1/jobs",
        json={
            "boundary_name": boundary,
            "processors": [STAND_IN],
            "options": {STAND_IN: {"behaviour": behaviour}},
        },
    )
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


def _only_run(body: dict[str, Any]) -> dict[str, Any]:
    (run,) = body["job_group_processors"]
    return dict(run)


def test_gdal_threads_are_shared_by_every_concurrent_clip(deployment: Deployment) -> None:
    # Two clips at once on this machine in both modes: two threads of one process, or
    # two prefork children of one worker.
    threads = max(1, (os.cpu_count() or 1) // 2)
    line = "thread(s) per clip"
    wait_until(lambda: line in deployment.execution_log())
    sized = [row for row in deployment.execution_log().splitlines() if line in row]
    assert sized and all(f" {threads} {line}" in row for row in sized), sized


def test_past_the_soft_limit_a_run_is_stopped_and_fails(deployment: Deployment) -> None:
    body = deployment.server.wait_for_job(_submit(deployment, "gmb", "move"), timeout=90)
    run = _only_run(body)
    assert run["job_status"] == "FAILURE", body
    assert run["job_result"]["error"] == "time_limit"
    assert "time limit of 8 s" in run["job_result"]["detail"]
    # Stopped once, not retried: the stand-in ran one attempt.
    assert deployment.execution_log().count(f"{STAND_IN} for gmb started") == 1


def test_a_run_without_progress_is_retried_then_fails(deployment: Deployment) -> None:
    body = deployment.server.wait_for_job(_submit(deployment, "sen", "repeat"), timeout=120)
    run = _only_run(body)
    assert run["job_status"] == "FAILURE", body
    assert run["job_result"]["error"] == "worker_lost"
    detail = run["job_result"]["detail"]
    assert "no progress for 2 s" in detail and "after 3 attempts" in detail, detail
    assert deployment.execution_log().count(f"{STAND_IN} for sen started") == 3


def test_past_the_hard_limit_an_attempt_is_given_up(deployment: Deployment) -> None:
    job_id = _submit(deployment, "tgo", "defy")
    given_up = (
        "passed the hard time limit of 12 s (AUTOPKG_TASK_TIME_LIMIT_SECS); "
        "attempt given up (now PENDING)"
    )
    wait_until(lambda: given_up in deployment.execution_log(), timeout=90)
    # Retried: a second attempt starts, and is then cancelled with its job.
    wait_until(lambda: deployment.execution_log().count(f"{STAND_IN} for tgo started") == 2)
    cancelled = httpx.delete(f"{deployment.server.url}/v1/jobs/{job_id}", timeout=30)
    assert cancelled.status_code == 200, cancelled.text
    body = deployment.server.wait_for_job(job_id, timeout=60)
    assert body["job_group_outcome"] == "CANCELLED", body
