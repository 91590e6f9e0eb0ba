"""Logs of a real deployment: one JSON object per line, runs named, secrets never written."""

from __future__ import annotations

import json
import uuid
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.e2e.conftest import serve_env
from tests.e2e.deployment import WorkerProcess
from tests.e2e.server import ServeProcess
from tests.fixtures.postgres import postgis_database
from tests.fixtures.services import S3_REGION, create_bucket, redis_server, s3_server

OK = "test_processor.version_1"
FAIL = "test_fail_processor.version_1"


def lines_of(text: str) -> list[dict[str, object]]:
    """Every non-empty line of a log, each of which must be one JSON object."""
    entries = []
    for line in filter(None, text.splitlines()):
        try:
            entry = json.loads(line)
        except ValueError:
            raise AssertionError(f"a line that is not JSON: {line!r}") from None
        assert isinstance(entry, dict), line
        assert {"time", "level", "logger", "message"} <= entry.keys(), line
        entries.append(entry)
    return entries


@pytest.mark.slow
def test_production_logs_are_json_name_each_run_and_hold_no_secret(
    tmp_path: Path, source_mirror: str
) -> None:
    secrets = {
        name: f"{name}-{uuid.uuid4().hex}"
        for name in ("api-key", "s3-secret", "s3-access", "db-password", "redis-password")
    }
    with ExitStack() as stack:
        # The local server trusts loopback connections, so any password is accepted;
        # what matters is that autopkg holds one and never writes it.
        url = stack.enter_context(postgis_database())
        user_part, _, rest = url.rpartition("@")
        database_url = f"{user_part}:{secrets['db-password']}@{rest}"
        broker, _ = stack.enter_context(redis_server(secrets["redis-password"]))
        endpoint = stack.enter_context(s3_server())
        bucket = create_bucket(endpoint, public_read=True)
        env = {
            **serve_env(source_mirror),
            "AUTOPKG_LOG_LEVEL": "DEBUG",
            "AUTOPKG_LOG_FORMAT": "json",
            "AUTOPKG_API_KEYS": secrets["api-key"],
            "AUTOPKG_DATABASE_URL": database_url,
            "AUTOPKG_CELERY_BROKER": broker,
            "AUTOPKG_STORAGE_BACKEND": "awss3",
            "AUTOPKG_S3_BUCKET": bucket,
            "AUTOPKG_S3_REGION": S3_REGION,
            "AUTOPKG_S3_ENDPOINT_URL": endpoint,
            "AUTOPKG_S3_ACCESS_KEY": secrets["s3-access"],
            "AUTOPKG_S3_SECRET_KEY": secrets["s3-secret"],
            "AUTOPKG_PACKAGES_HOST_URL": f"{endpoint}/{bucket}",
            "AUTOPKG_LOCALFS_PROCESSING_BACKEND_ROOT": str(tmp_path / "processing"),
        }
        server = ServeProcess(tmp_path / "serve", env)
        server.start()
        stack.callback(server.stop)
        worker = WorkerProcess(tmp_path / "worker", env)
        worker.start()
        stack.callback(worker.stop)

        key = {"X-API-Key": secrets["api-key"]}
        assert server.post("/v1/jobs", json={}, headers={"X-API-Key": "wrong"}).status_code == 401
        body = {"boundary_name": "gha", "processors": [OK, FAIL]}
        job_id = server.post("/v1/jobs", json=body, headers=key).json()["job_id"]
        finished = server.wait_for_job(job_id)
        assert finished["job_group_outcome"] == "PARTIAL"
        assert server.get("/metrics").status_code == 200
        server.stop()
        worker.stop()
        logs = {"serve": server.log(), "worker": worker.log()}

    for name, text in logs.items():
        for secret_name, secret in secrets.items():
            assert secret not in text, f"{secret_name} written to the {name} log"
    served = lines_of(logs["serve"])
    assert any(e["logger"] == "uvicorn.access" and "/v1/jobs" in str(e["message"]) for e in served)
    # Celery's banner and shutdown notice included: nothing bypasses the JSON lines.
    worked = lines_of(logs["worker"])
    assert any(e["message"] == "warm shutdown (SIGTERM)" for e in worked)
    of_runs = [e for e in worked if e.get("run_id")]
    # One run per processor, each line naming the same processor for its run.
    processor_of = {(e["run_id"], e["processor"]) for e in of_runs}
    assert len(processor_of) == len({run_id for run_id, _ in processor_of}) == 2
    for entry in of_runs:
        assert entry["job_id"] == job_id
        assert entry["boundary"] == "gha"
        assert entry["processor"] in (OK, FAIL)
    started = [e for e in of_runs if str(e["message"]).endswith("started")]
    assert {e["processor"] for e in started} == {OK, FAIL}
