"""Jobs not yet complete are limited per client: its API key, or its address without keys."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from autopkg.api.app import create_app
from autopkg.db import jobs as job_queries
from autopkg.db.models import JobRecord
from autopkg.jobs import engine
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.runtime import Runtime, open_runtime
from tests.conftest import make_settings
from tests.fixtures.postgres import postgis_database

PROCESSOR = "test_processor.version_1"
REFUSAL = {
    "detail": "2 jobs not yet complete: at most 2 per client "
    "(AUTOPKG_MAX_QUEUED_JOBS_PER_CLIENT); retry in 30 s or cancel one"
}


def idle_app(data_dir: Path, source_mirror: str, **overrides: Any) -> tuple[Runtime, FastAPI]:
    """A runtime allowing two queued jobs per client, and an app whose executor has no
    threads, so submitted work stays queued until a test runs it."""
    settings = make_settings(
        data_dir,
        source_mirror=source_mirror,
        **{"max_queued_jobs_per_client": 2, "rate_writes_per_minute": 0, **overrides},
    )
    rt = open_runtime(settings)
    return rt, create_app(rt, EmbeddedExecutor(rt, workers=0))


@pytest.fixture
def keyed(tmp_path: Path, source_mirror: str) -> Iterator[tuple[Runtime, TestClient]]:
    rt, app = idle_app(tmp_path, source_mirror, api_keys="k1,k2")
    with TestClient(app) as client:
        yield rt, client


def submit(client: TestClient, boundary: str, key: str | None = None) -> httpx.Response:
    headers = {"X-API-Key": key} if key else {}
    body = {"boundary_name": boundary, "processors": [PROCESSOR]}
    return client.post("/v1/jobs", json=body, headers=headers)


def accepted(response: httpx.Response) -> str:
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job_id"]
    return job_id


def client_of(rt: Runtime, job_id: str) -> str | None:
    with rt.database.read_session() as session:
        job = session.get(JobRecord, job_id)
        assert job is not None
        return job.client


def test_a_key_at_its_limit_is_refused_until_a_job_completes(
    keyed: tuple[Runtime, TestClient],
) -> None:
    rt, client = keyed
    first = accepted(submit(client, "gha", "k1"))
    # The second joins the first's run, and still counts until it is complete.
    accepted(submit(client, "gha", "k1"))
    refused = submit(client, "tgo", "k1")
    assert refused.status_code == 429
    assert refused.json() == REFUSAL
    assert refused.headers["Retry-After"] == "30"
    execution = client.post(
        f"/ogc/processes/{PROCESSOR}/execution",
        json={"inputs": {"boundary_name": "tgo"}},
        headers={"X-API-Key": "k1"},
    )
    assert execution.status_code == 429
    dry_run = client.post(
        "/v1/jobs",
        params={"dry_run": "true"},
        json={"boundary_name": "tgo", "processors": [PROCESSOR]},
        headers={"X-API-Key": "k1"},
    )
    assert dry_run.status_code == 200, dry_run.text
    other = accepted(submit(client, "lbr", "k2"))
    # The key's name is recorded, never the key.
    assert (client_of(rt, first), client_of(rt, other)) == ("key-0", "key-1")

    # The oldest pending run is the one both of k1's jobs wait for.
    run = engine.claim_next(rt, owner="test")
    assert run is not None
    assert engine.execute(rt, run, owner="test").value == "SUCCESS"
    assert client.get(f"/v1/jobs/{first}").json()["job_group_status"] == "COMPLETE"
    accepted(submit(client, "tgo", "k1"))
    accepted(submit(client, "sle", "k1"))
    assert submit(client, "gab", "k1").status_code == 429


def test_a_cancelled_job_no_longer_counts(keyed: tuple[Runtime, TestClient]) -> None:
    _, client = keyed
    first = accepted(submit(client, "gha", "k1"))
    accepted(submit(client, "tgo", "k1"))
    # The run stays PENDING after the cancel, for k2's job, but k1 waits no more.
    accepted(submit(client, "gha", "k2"))
    assert submit(client, "lbr", "k1").status_code == 429
    assert client.delete(f"/v1/jobs/{first}", headers={"X-API-Key": "k1"}).status_code == 200
    accepted(submit(client, "lbr", "k1"))
    assert submit(client, "sle", "k1").json() == REFUSAL


def test_without_keys_each_client_address_is_counted(tmp_path: Path, source_mirror: str) -> None:
    rt, app = idle_app(tmp_path, source_mirror)
    a = TestClient(app, client=("10.0.0.1", 5000))
    b = TestClient(app, client=("10.0.0.2", 5000))
    with a:
        first = accepted(submit(a, "gha"))
        accepted(submit(a, "tgo"))
        assert submit(a, "lbr").json() == REFUSAL
        other = accepted(submit(b, "lbr"))
        assert (client_of(rt, first), client_of(rt, other)) == ("10.0.0.1", "10.0.0.2")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_limit_holds_for_submissions_arriving_together(
    tmp_path: Path, source_mirror: str, backend: str
) -> None:
    with contextlib.ExitStack() as stack:
        overrides: dict[str, Any] = {"max_queued_jobs_per_client": 20}
        if backend == "postgresql":
            overrides["database_url"] = stack.enter_context(postgis_database())
        rt, app = idle_app(tmp_path, source_mirror, **overrides)
        client = stack.enter_context(TestClient(app))
        together = threading.Barrier(50)

        def one(_: int) -> int:
            together.wait()
            return submit(client, "gha").status_code

        with ThreadPoolExecutor(50) as pool:
            answers = list(pool.map(one, range(50)))
        assert sorted(answers) == [202] * 20 + [429] * 30
        with rt.database.read_session() as session:
            assert job_queries.count_queued(session, client="testclient") == 20
