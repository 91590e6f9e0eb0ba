"""With API keys a job belongs to its key; a complete job keeps its outcome; odd keys are 401."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from autopkg.jobs import engine
from autopkg.runtime import Runtime
from tests.api.test_queued_jobs import PROCESSOR, accepted, idle_app, submit

ADMIN = {"X-API-Key": "the-admin"}


@pytest.fixture
def keyed(tmp_path: Path, source_mirror: str) -> Iterator[tuple[Runtime, TestClient]]:
    rt, app = idle_app(
        tmp_path,
        source_mirror,
        api_keys="k1,k2",
        admin_api_keys="the-admin",
        rate_auth_failures_per_minute=6,
    )
    with TestClient(app) as client:
        yield rt, client


def listed(client: TestClient, path: str, headers: dict[str, str]) -> list[str]:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return [job["job_id"] if path == "/v1/jobs" else job["jobID"] for job in body["jobs"]]


def test_a_job_belongs_to_its_key(keyed: tuple[Runtime, TestClient]) -> None:
    _, client = keyed
    mine = accepted(submit(client, "gha", "k1"))
    theirs = accepted(submit(client, "tgo", "k2"))
    for path in ("/v1/jobs", "/ogc/jobs"):
        assert listed(client, path, {"X-API-Key": "k1"}) == [mine]
        assert listed(client, path, {"Authorization": "Bearer k2"}) == [theirs]
        assert listed(client, path, ADMIN) == [theirs, mine]
        for anonymous in ({}, {"X-API-Key": "k3"}):
            refused = client.get(path, headers=anonymous)
            assert refused.status_code == 401
            assert refused.json()["detail"].startswith("a valid API key is required")
    assert client.get("/v1/jobs", headers={"X-API-Key": "k1"}).json()["total"] == 1

    for path in (f"/v1/jobs/{mine}", f"/ogc/jobs/{mine}"):
        other = client.delete(path, headers={"X-API-Key": "k2"})
        assert other.status_code == 404, other.text
        # The same words under /ogc, in an exception document.
        assert other.json()["detail"] == f"unknown job: {mine!r}"
    status = client.get(f"/v1/jobs/{mine}").json()
    assert status["job_group_processors"][0]["job_status"] == "PENDING"

    assert client.delete(f"/v1/jobs/{theirs}", headers=ADMIN).status_code == 200
    own = client.delete(f"/ogc/jobs/{mine}", headers={"X-API-Key": "k1"})
    assert own.status_code == 200, own.text
    assert own.json()["status"] == "dismissed"
    # Failed authentications above were counted: 4 listings, now 2 more are allowed.
    for _ in range(2):
        assert client.get("/v1/jobs", headers={"X-API-Key": "nope"}).status_code == 401
    assert client.get("/v1/jobs", headers={"X-API-Key": "k1"}).status_code == 429


def test_a_complete_job_cannot_be_cancelled(keyed: tuple[Runtime, TestClient]) -> None:
    rt, client = keyed
    job = accepted(submit(client, "gha", "k1"))
    run = engine.claim_next(rt, owner="test")
    assert run is not None
    assert engine.execute(rt, run, owner="test").value == "SUCCESS"
    for path in (f"/v1/jobs/{job}", f"/ogc/jobs/{job}"):
        refused = client.delete(path, headers={"X-API-Key": "k1"})
        assert refused.status_code == 409, refused.text
        assert refused.json()["detail"] == (
            f"job {job} is already complete (SUCCESS): a finished job cannot be cancelled"
        )
    status = client.get(f"/v1/jobs/{job}").json()
    assert status["job_group_outcome"] == "SUCCESS"
    assert status["job_group_processors"][0]["job_status"] == "SUCCESS"
    assert client.get(f"/ogc/jobs/{job}").json()["status"] == "successful"

    # A job cancelled while queued stays cancelled: asking again is not an error.
    cancelled = accepted(submit(client, "tgo", "k1"))
    for _ in range(2):
        again = client.delete(f"/v1/jobs/{cancelled}", headers={"X-API-Key": "k1"})
        assert again.status_code == 200
        assert again.json()["job_group_outcome"] == "CANCELLED"


def test_a_key_that_is_not_ascii_is_a_counted_401(
    keyed: tuple[Runtime, TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    _, client = keyed
    odd = {b"X-API-Key": "clé-ключ".encode()}
    body = {"boundary_name": "gha", "processors": [PROCESSOR]}
    attempts = [
        client.post("/v1/jobs", json=body, headers=odd),
        client.delete("/v1/jobs/some-job", headers=odd),
        client.post(
            "/v1/boundaries", json={"type": "FeatureCollection", "features": []}, headers=odd
        ),
        client.post(
            f"/ogc/processes/{PROCESSOR}/execution",
            json={"inputs": {"boundary_name": "gha"}},
            headers=odd,
        ),
        client.delete("/ogc/jobs/some-job", headers=odd),
        client.get("/v1/jobs", headers={b"Authorization": "Bearer ключ".encode()}),
    ]
    assert [response.status_code for response in attempts] == [401] * 6
    assert client.post("/v1/jobs", json=body, headers={"X-API-Key": "k1"}).status_code == 429
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
