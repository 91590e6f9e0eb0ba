"""Production mode under faults: workers killed, Redis restarted, many submissions at once.

A real deployment (PostGIS, Celery workers over a password-protected Redis, S3 on a
loopback server) fed by a slow mirror, so that runs stay busy long enough to break
something under them.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from tests.e2e.conftest import serve_env
from tests.e2e.deployment import Production, production
from tests.fixtures.manifests import stored_data
from tests.fixtures.mirror import serve_directory
from tests.fixtures.postgres import private_cluster
from tests.fixtures.services import redis_command
from tests.fixtures.waiting import wait_for

pytestmark = pytest.mark.slow

RASTER = "natural_earth_raster.version_1"
PLANTS = "wri_powerplants.version_130"
SYNTHETIC = "test_processor.version_1"


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, source_mirror_root: Path
) -> Iterator[Production]:
    with serve_directory(source_mirror_root, chunk_delay=0.005) as slow_mirror:
        env = {**serve_env(slow_mirror), "AUTOPKG_TASK_EXPIRY_SECS": "15"}
        with production(tmp_path_factory.mktemp("production"), env) as running:
            yield running


def _runs(deployment: Production, boundary: str, processor: str) -> list[tuple[str, str, int]]:
    url = make_url(deployment.database_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as db:
        rows = db.execute(
            "SELECT id, state, attempts FROM runs WHERE boundary_name = %s AND processor_id = %s",
            (boundary, processor),
        ).fetchall()
    return [(str(a), str(b), int(c)) for a, b, c in rows]


def _submit(deployment: Production, boundary: str, *processors: str) -> str:
    response = deployment.server.post(
        "/v1/jobs", json={"boundary_name": boundary, "processors": list(processors)}
    )
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


def _wait_until_executing(deployment: Production, job_id: str) -> None:
    wait_for(
        lambda: [
            p["job_status"]
            for p in deployment.server.get(f"/v1/jobs/{job_id}").json()["job_group_processors"]
        ],
        lambda states: "EXECUTING" in states,
        what="the run executing",
    )


def _assert_manifest_files_complete(deployment: Production, boundary: str) -> None:
    uri = deployment.server.get(f"/v1/packages/{boundary}").json()["uri"]
    manifest = httpx.get(uri + "datapackage.json", timeout=30).json()
    for resource in stored_data(manifest):
        data = httpx.get(uri + resource["path"], timeout=60).content
        assert len(data) == resource["bytes"], resource["path"]
        assert "sha256:" + hashlib.sha256(data).hexdigest() == resource["hash"]


def test_jobs_run_on_the_workers_not_in_the_api(deployment: Production) -> None:
    body = deployment.server.wait_for_job(_submit(deployment, "gmb", SYNTHETIC))
    assert body["job_group_outcome"] == "SUCCESS"
    assert f"{SYNTHETIC} for gmb started" not in deployment.server.log()
    assert sum(w.log().count(f"{SYNTHETIC} for gmb started") for w in deployment.workers) == 1


def test_fifty_identical_submissions_across_two_workers_run_once(deployment: Production) -> None:
    body = {"boundary_name": "civ", "processors": [SYNTHETIC]}
    with ThreadPoolExecutor(50) as pool:
        responses = list(
            pool.map(lambda _: deployment.server.post("/v1/jobs", json=body), range(50))
        )
    assert [r.status_code for r in responses] == [202] * 50
    finished = [deployment.server.wait_for_job(r.json()["job_id"]) for r in responses]
    assert {job["job_group_outcome"] for job in finished} == {"SUCCESS"}
    executed = [run for run in _runs(deployment, "civ", SYNTHETIC) if run[1] == "SUCCESS"]
    assert len(executed) == 1, executed
    started = sum(w.log().count(f"{SYNTHETIC} for civ started") for w in deployment.workers)
    assert started == 1


def test_three_processors_finishing_together_all_reach_the_manifest(
    deployment: Production,
) -> None:
    job_id = _submit(deployment, "ben", SYNTHETIC, PLANTS, RASTER)
    body = deployment.server.wait_for_job(job_id, timeout=180)
    assert body["job_group_outcome"] == "SUCCESS", body
    uri = deployment.server.get("/v1/packages/ben").json()["uri"]
    manifest = httpx.get(uri + "datapackage.json", timeout=30).json()
    assert {r["autopkg:processor"] for r in stored_data(manifest)} == {SYNTHETIC, PLANTS, RASTER}
    _assert_manifest_files_complete(deployment, "ben")
    # The workers' source fetches (one per source processor) reach the API's /metrics.
    metrics = deployment.server.get("/metrics").text
    lookups = {
        sample.labels["result"]: sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == "autopkg_source_cache_lookups_total"
    }
    assert lookups.keys() == {"hit", "miss"}
    assert lookups["hit"] + lookups["miss"] >= 2


def test_a_worker_killed_mid_run_is_taken_over_after_the_lease(deployment: Production) -> None:
    job_id = _submit(deployment, "tgo", RASTER)
    _wait_until_executing(deployment, job_id)
    (busy,) = [w for w in deployment.workers if f"{RASTER} for tgo started" in w.log()]
    busy.kill()
    try:
        body = deployment.server.wait_for_job(job_id, timeout=180)
    finally:
        busy.start()
    (result,) = body["job_group_processors"]
    assert result["job_status"] == "SUCCESS", body
    ((_, state, attempts),) = _runs(deployment, "tgo", RASTER)
    assert (state, attempts) == ("SUCCESS", 2)
    _assert_manifest_files_complete(deployment, "tgo")


def test_a_redis_restart_mid_job_still_ends_the_job(deployment: Production) -> None:
    first = _submit(deployment, "sen", RASTER)
    _wait_until_executing(deployment, first)
    queued = _submit(deployment, "mli", RASTER, SYNTHETIC)
    deployment.redis.terminate()
    deployment.redis.wait(10)
    down = deployment.server.get("/v1/readiness")
    assert down.status_code == 503
    assert down.json()["detail"].startswith("broker is not answering")
    # Submitted while the broker is down: accepted, and sent once it is back.
    during = _submit(deployment, "ner", SYNTHETIC)
    # The same port and password: a restart that lost every queued message.
    deployment.redis = subprocess.Popen(
        redis_command(deployment.env["AUTOPKG_CELERY_BROKER"]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for job_id in (first, queued, during):
        body = deployment.server.wait_for_job(job_id, timeout=180)
        states = {p["job_status"] for p in body["job_group_processors"]}
        assert states == {"SUCCESS"}, body
    for boundary, processor in (
        ("sen", RASTER),
        ("mli", RASTER),
        ("mli", SYNTHETIC),
        ("ner", SYNTHETIC),
    ):
        assert [run[1] for run in _runs(deployment, boundary, processor)] == ["SUCCESS"]
    assert deployment.server.get("/v1/readiness").status_code == 200


def test_a_postgresql_restart_mid_job_still_ends_the_job(
    tmp_path: Path, source_mirror_root: Path
) -> None:
    with (
        private_cluster() as cluster,
        serve_directory(source_mirror_root, chunk_delay=0.005) as slow_mirror,
        production(tmp_path, serve_env(slow_mirror), postgres_port=cluster.port) as running,
    ):
        job_id = _submit(running, "lbr", RASTER, SYNTHETIC)
        _wait_until_executing(running, job_id)
        cluster.restart()
        body = running.server.wait_for_job(job_id, timeout=180)
        states = {p["job_status"] for p in body["job_group_processors"]}
        assert states == {"SUCCESS"}, body["job_group_processors"]
        assert [run[1] for run in _runs(running, "lbr", RASTER)] == ["SUCCESS"]
        assert running.server.get("/v1/readiness").status_code == 200
        _assert_manifest_files_complete(running, "lbr")


def test_zip_validate_and_rebuild_work_on_s3(deployment: Production) -> None:
    body = deployment.server.wait_for_job(_submit(deployment, "gnb", SYNTHETIC, PLANTS))
    assert body["job_group_outcome"] == "SUCCESS", body
    uri = deployment.server.get("/v1/packages/gnb").json()["uri"]
    assert uri.startswith(deployment.env["AUTOPKG_PACKAGES_HOST_URL"])
    manifest = httpx.get(uri + "datapackage.json", timeout=30).json()
    zipped = deployment.server.get("/v1/packages/gnb/zip")
    assert zipped.status_code == 200
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
        for resource in stored_data(manifest):
            data = archive.read("gnb/" + resource["path"])
            assert "sha256:" + hashlib.sha256(data).hexdigest() == resource["hash"]
        assert "gnb/index.html" in archive.namelist()
    env = deployment.server.env
    checked = _cli(env, "packages", "validate", "gnb")
    assert checked.returncode == 0 and "gnb: valid" in checked.stdout, checked.stderr
    rebuilt = _cli(env, "packages", "rebuild", "gnb")
    assert rebuilt.returncode == 0, rebuilt.stderr
    again = httpx.get(uri + "datapackage.json", timeout=30).json()
    assert {k: v for k, v in again.items() if k not in ("created", "version")} == {
        k: v for k, v in manifest.items() if k not in ("created", "version")
    }
    # A rebuild is a patch release; the version it replaced is kept on S3.
    major, minor, patch = (int(n) for n in manifest["version"].split("."))
    assert again["version"] == f"{major}.{minor}.{patch + 1}"
    kept = httpx.get(uri + f"versions/{manifest['version']}/datapackage.json", timeout=30)
    # The kept version names the data files (the summary is derived from them).
    assert kept.json()["resources"] == stored_data(manifest)


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autopkg", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
