"""``/metrics``: jobs, runs, queue, durations and bytes from the database; HTTP latency."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from autopkg.api.app import create_app
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.runtime import open_runtime
from tests.api.test_jobs import submit
from tests.conftest import make_settings, wait_until_complete

OK = "test_processor.version_1"
FAIL = "test_fail_processor.version_1"


def scrape(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of ``/metrics``, by name and labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def sample(samples: dict, name: str, **labels: str) -> float:
    """One sample's value (a KeyError names it when it is missing)."""
    return samples[(name, frozenset(labels.items()))]


def test_metrics_count_jobs_runs_queue_durations_and_bytes(
    tmp_path: Path, source_mirror: str
) -> None:
    rt = open_runtime(make_settings(tmp_path, source_mirror=source_mirror))
    with TestClient(create_app(rt, EmbeddedExecutor(rt, workers=2))) as client:
        wait_until_complete(client, submit(client, "gha", OK))
        wait_until_complete(client, submit(client, "tgo", FAIL))
        files = client.get("/v1/packages/gha").json()["files"]
        client.get("/v1/jobs/no-such-job")
        client.get("/packages/gha/datapackage.json")
        client.get("/no/such/path")
        samples = scrape(client)
    assert sample(samples, "autopkg_runs", state="SUCCESS") == 1
    assert sample(samples, "autopkg_runs", state="FAILURE") == 1
    assert sample(samples, "autopkg_runs", state="PENDING") == 0
    assert sample(samples, "autopkg_jobs", state="COMPLETE", outcome="SUCCESS") == 1
    assert sample(samples, "autopkg_jobs", state="COMPLETE", outcome="FAILURE") == 1
    assert sample(samples, "autopkg_jobs", state="PENDING", outcome="") == 0
    assert sample(samples, "autopkg_queue_depth") == 0
    assert sample(samples, "autopkg_run_duration_seconds_count", state="SUCCESS") == 1
    assert sample(samples, "autopkg_run_duration_seconds_bucket", state="SUCCESS", le="+Inf") == 1
    assert sample(samples, "autopkg_published_bytes") == sum(f["bytes"] for f in files) > 0
    latency = "autopkg_http_request_duration_seconds_count"
    assert sample(samples, latency, method="POST", route="/v1/jobs", status="202") == 2
    assert sample(samples, latency, method="GET", route="/v1/jobs/{job_id}", status="404") == 1
    assert sample(samples, latency, method="GET", route="/packages/{path}", status="200") == 1
    assert sample(samples, latency, method="GET", route="unmatched", status="404") == 1


def test_queue_depth_is_the_pending_runs(tmp_path: Path) -> None:
    rt = open_runtime(make_settings(tmp_path))
    with TestClient(create_app(rt, EmbeddedExecutor(rt, workers=0))) as idle:
        submit(idle, "gha", OK, FAIL)
        submit(idle, "tgo", OK)
        submit(idle, "gha", OK)  # joins the queued run: no new work
        samples = scrape(idle)
    assert sample(samples, "autopkg_queue_depth") == 3
    assert sample(samples, "autopkg_runs", state="PENDING") == 3
    assert sample(samples, "autopkg_jobs", state="PENDING", outcome="") == 3


def test_source_cache_hits_and_misses_are_counted(tmp_path: Path, source_mirror: str) -> None:
    rt = open_runtime(make_settings(tmp_path, source_mirror=source_mirror))
    lookups = "autopkg_source_cache_lookups_total"
    with TestClient(create_app(rt, EmbeddedExecutor(rt, workers=1))) as client:
        before = scrape(client)
        assert sample(before, lookups, result="hit") == sample(before, lookups, result="miss") == 0
        wait_until_complete(client, submit(client, "gha", "natural_earth_raster.version_1"))
        first = scrape(client)
        assert sample(first, lookups, result="miss") == 1
        assert sample(first, lookups, result="hit") == 0
        # Another boundary, the same global source: read from the cache.
        wait_until_complete(client, submit(client, "tgo", "natural_earth_raster.version_1"))
        second = scrape(client)
    assert sample(second, lookups, result="miss") == 1
    assert sample(second, lookups, result="hit") == 1
