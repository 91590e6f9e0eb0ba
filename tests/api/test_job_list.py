"""Job outcomes and job listings (``/v1/jobs``, ``/ogc/jobs``) through the in-process API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from autopkg.api.app import create_app
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.runtime import open_runtime
from tests.api.test_jobs import submit
from tests.conftest import make_settings

Waiter = Callable[..., dict[str, Any]]
OK = "test_processor.version_1"
FAIL = "test_fail_processor.version_1"


def test_outcomes_say_how_a_finished_job_went(client: TestClient, wait_for_job: Waiter) -> None:
    success = wait_for_job(submit(client, "bwa", OK))
    partial = wait_for_job(submit(client, "uga", FAIL, OK))
    failure = wait_for_job(submit(client, "tza", FAIL))
    assert success["job_group_outcome"] == "SUCCESS"
    assert partial["job_group_outcome"] == "PARTIAL"
    assert failure["job_group_outcome"] == "FAILURE"
    (failed,) = failure["job_group_processors"]
    assert failed["job_progress"]["current_task"] == (
        f"failed: {FAIL} failed on purpose for boundary tza"
    )
    skipped = wait_for_job(submit(client, "bwa", OK))
    assert skipped["job_group_processors"][0]["job_status"] == "SKIPPED"
    assert skipped["job_group_outcome"] == "SUCCESS"


def test_outcome_is_null_until_complete(idle: TestClient) -> None:
    body = idle.get(f"/v1/jobs/{submit(idle, 'cmr', OK)}").json()
    assert body["job_group_status"] == "PENDING"
    assert body["job_group_outcome"] is None


def test_list_is_newest_first_filtered_and_paginated(
    client: TestClient, wait_for_job: Waiter
) -> None:
    ids = [wait_for_job(submit(client, "tcd", OK))["job_id"] for _ in range(3)]
    failed = wait_for_job(submit(client, "tcd", FAIL))["job_id"]
    listed = client.get("/v1/jobs", params={"boundary_name": "TCD"}).json()
    assert [job["job_id"] for job in listed["jobs"]] == [failed, *reversed(ids)]
    assert listed["total"] == 4
    first = listed["jobs"][0]
    assert first["job_group_outcome"] == "FAILURE"
    assert first["created_at"] >= listed["jobs"][1]["created_at"]

    page = client.get("/v1/jobs", params={"boundary_name": "tcd", "limit": 2, "offset": 1}).json()
    assert [job["job_id"] for job in page["jobs"]] == [ids[2], ids[1]]
    assert (page["total"], page["limit"], page["offset"]) == (4, 2, 1)

    by_outcome = client.get("/v1/jobs", params={"boundary_name": "tcd", "outcome": "FAILURE"})
    assert [job["job_id"] for job in by_outcome.json()["jobs"]] == [failed]
    both = client.get(
        "/v1/jobs",
        params={"boundary_name": "tcd", "state": "COMPLETE", "outcome": ["SUCCESS", "FAILURE"]},
    ).json()
    assert both["total"] == 4
    by_processor = client.get("/v1/jobs", params={"boundary_name": "tcd", "processor": FAIL})
    assert [job["job_id"] for job in by_processor.json()["jobs"]] == [failed]
    none_pending = client.get("/v1/jobs", params={"boundary_name": "tcd", "state": "PENDING"})
    assert none_pending.json()["total"] == 0


@pytest.mark.parametrize(
    "params",
    [{"limit": 101}, {"limit": 0}, {"offset": -1}, {"state": "DONE"}, {"outcome": "MAYBE"}],
)
def test_bad_list_parameters_are_422(client: TestClient, params: dict[str, Any]) -> None:
    response = client.get("/v1/jobs", params=params)
    assert response.status_code == 422
    assert response.json()["detail"]


@pytest.fixture(scope="module")
def idle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """An API whose executor has no threads: submitted work stays queued."""
    rt = open_runtime(make_settings(tmp_path_factory.mktemp("idle-list")))
    with TestClient(create_app(rt, EmbeddedExecutor(rt, workers=0))) as idle_client:
        yield idle_client


def test_cancelled_and_queued_jobs_in_both_listings(idle: TestClient) -> None:
    queued = [submit(idle, "gab", OK), submit(idle, "cog", OK)]
    cancelled = submit(idle, "gnq", OK)
    assert idle.delete(f"/v1/jobs/{cancelled}").json()["job_group_outcome"] == "CANCELLED"

    pending = idle.get("/v1/jobs", params={"state": "PENDING"}).json()["jobs"]
    assert set(queued) <= {job["job_id"] for job in pending}
    assert cancelled not in {job["job_id"] for job in pending}
    gone = idle.get("/v1/jobs", params={"outcome": "CANCELLED"}).json()["jobs"]
    assert [job["job_id"] for job in gone] == [cancelled]

    accepted = idle.get("/ogc/jobs", params={"status": "accepted"}).json()
    assert set(queued) <= {job["jobID"] for job in accepted["jobs"]}
    assert {job["status"] for job in accepted["jobs"]} == {"accepted"}
    dismissed = idle.get("/ogc/jobs", params={"status": "dismissed"}).json()
    assert [job["jobID"] for job in dismissed["jobs"]] == [cancelled]
    assert dismissed["jobs"][0]["status"] == "dismissed"


def test_ogc_job_list_maps_outcomes_and_pages(client: TestClient, wait_for_job: Waiter) -> None:
    partial = wait_for_job(submit(client, "mrt", FAIL, OK))["job_id"]
    failed = client.get("/ogc/jobs", params={"status": "failed", "limit": 100}).json()
    mapped = {job["jobID"]: job for job in failed["jobs"]}
    assert mapped[partial]["status"] == "failed"
    assert mapped[partial]["message"] == (
        f"1 of 2 processors failed: {FAIL}: {FAIL} failed on purpose for boundary mrt"
    )
    assert client.get(f"/ogc/jobs/{partial}").json()["status"] == "failed"

    only_ok = client.get("/ogc/jobs", params={"processID": OK, "limit": 1}).json()
    assert len(only_ok["jobs"]) == 1
    assert only_ok["numberMatched"] > 1
    rels = {link["rel"]: link["href"] for link in only_ok["links"]}
    assert "offset=1" in rels["next"]
    second = client.get(rels["next"]).json()
    assert second["jobs"][0]["jobID"] != only_ok["jobs"][0]["jobID"]
    assert "prev" in {link["rel"] for link in second["links"]}
