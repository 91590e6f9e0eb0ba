"""``/metrics``: jobs, runs, queue, durations and bytes from the database; HTTP latency."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.core import Metric
from prometheus_client.parser import text_string_to_metric_families

from autopkg.api.app import create_app
from autopkg.api.metrics import StoredStateCollector
from autopkg.api.storage_calls import StorageCalls
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.runtime import Runtime, open_runtime
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


def sample(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
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
        manifest = client.get("/packages/gha/datapackage.json").json()
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
    # Published bytes count every file the manifest lists: the data files and the summary.
    summary = [r["bytes"] for r in manifest["resources"] if r["path"].startswith("summary/")]
    assert len(summary) == 2
    assert sample(samples, "autopkg_published_bytes") == sum(f["bytes"] for f in files) + sum(
        summary
    )
    assert sum(f["bytes"] for f in files) > 0
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
    rt = open_runtime(make_settings(tmp_path, source_mirror=source_mirror, metrics_max_age_secs=0))
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


def test_scrapes_within_the_max_age_share_one_reading_and_latency_stays_live(
    tmp_path: Path, source_mirror: str
) -> None:
    rt = open_runtime(
        make_settings(tmp_path, source_mirror=source_mirror, metrics_max_age_secs=300)
    )
    with TestClient(create_app(rt, EmbeddedExecutor(rt, workers=2))) as client:
        before = scrape(client)
        wait_until_complete(client, submit(client, "gha", OK))
        after = scrape(client)
    # The stored state is the first reading's: no run had finished then.
    assert sample(before, "autopkg_runs", state="SUCCESS") == 0
    assert sample(after, "autopkg_runs", state="SUCCESS") == 0
    assert sample(after, "autopkg_jobs", state="PENDING", outcome="") == 0
    # HTTP latency is this process's own count, never a stored reading.
    latency = "autopkg_http_request_duration_seconds_count"
    assert sample(after, latency, method="POST", route="/v1/jobs", status="202") == 1
    assert sample(after, latency, method="GET", route="/metrics", status="200") == 1


class CountingCollector(StoredStateCollector):
    """The real collector, counting how often it reads the database and storage."""

    def __init__(self, rt: Runtime, max_age: float) -> None:
        super().__init__(rt, max_age, StorageCalls(threads=1, timeout=30))
        self.readings = 0

    def _read(self) -> Iterator[Metric]:
        self.readings += 1
        yield from super()._read()


def scrape_together(collector: CountingCollector, threads: int) -> list[list[Metric]]:
    """What ``threads`` threads released at once by a barrier each collect."""
    barrier = threading.Barrier(threads)
    results: list[list[Metric]] = []

    def scrape_once() -> None:
        barrier.wait()
        results.append(list(collector.collect()))

    started = [threading.Thread(target=scrape_once) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(30)
    return results


def test_concurrent_scrapes_wait_for_one_reading(tmp_path: Path) -> None:
    rt = open_runtime(make_settings(tmp_path))
    for _ in range(20):
        collector = CountingCollector(rt, max_age=300)
        results = scrape_together(collector, threads=12)
        assert collector.readings == 1
        assert len(results) == 12
        assert all(result == results[0] for result in results)
        assert {metric.name for metric in results[0]} >= {"autopkg_runs", "autopkg_jobs"}
