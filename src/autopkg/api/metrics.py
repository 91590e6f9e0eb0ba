"""Prometheus metrics of the service, served at ``/metrics`` by the official client.

HTTP latency is measured by this process (by method, route template and status).
Everything else is read when scraped, from the database and the package storage
every process shares, so it is the same whichever API process answers and counts
work done by Celery workers too: jobs and runs by state, the queue (PENDING runs),
run durations, the bytes of the published packages, and the source cache's hits and
misses (counted by the workers in the database as they fetch). The readings are
taken by the layers that own the data (``autopkg.db.readings``,
``autopkg.packaging.store.published_bytes``); this module only names and shapes them.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator

from cachetools import TTLCache, cached
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from autopkg.api.storage_calls import StorageCalls
from autopkg.db import readings as db_readings
from autopkg.errors import StorageError
from autopkg.packaging.store import published_bytes
from autopkg.runtime import Runtime
from autopkg.services.packages import published_packages

log = logging.getLogger(__name__)

# How long a reading waits for the manifests before it is taken without them.
MANIFESTS_WAIT_SECS = 2.0
_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_RUN_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 12 * 3600.0)


class StoredStateCollector(Collector):
    """Metrics read from the database and storage, at most every ``max_age`` seconds.

    A reading costs a query per state and outcome, every finished run's times and every
    package's manifest: ~50 ms on a small service and more as it grows, so scrapes sent
    back to back (anyone may GET ``/metrics``) would take the process. Scrapes within
    ``max_age`` of a reading share it, and scrapes arriving while one reads wait for
    that reading instead of starting their own. ``max_age`` 0 reads at every scrape.
    """

    def __init__(self, rt: Runtime, max_age: float, storage_calls: StorageCalls) -> None:
        self._rt = rt
        self._storage_calls = storage_calls
        # One entry that expires ``max_age`` seconds after it is stored; the condition
        # makes callers that miss while a reading is being taken wait for it.
        readings: TTLCache[tuple[()], list[Metric]] = TTLCache(maxsize=1, ttl=max_age)
        self._latest = cached(readings, condition=threading.Condition())(self._take_reading)

    def collect(self) -> Iterable[Metric]:
        """The latest reading, taken again once it is ``max_age`` seconds old."""
        return self._latest()

    def _take_reading(self) -> list[Metric]:
        return list(self._read())

    def _read(self) -> Iterator[Metric]:
        """Yield jobs, runs, queue depth, run durations, published bytes, cache lookups."""
        readings = db_readings.read(self._rt.database)
        runs = GaugeMetricFamily("autopkg_runs", "Runs by state.", labels=["state"])
        for state, count in readings.runs.items():
            runs.add_metric([state], count)
        yield runs
        yield GaugeMetricFamily(
            "autopkg_queue_depth",
            "Runs waiting for a worker (PENDING).",
            value=readings.queued_runs,
        )
        jobs = GaugeMetricFamily(
            "autopkg_jobs",
            "Jobs by state, and complete ones by outcome.",
            labels=["state", "outcome"],
        )
        jobs.add_metric(["PENDING", ""], readings.pending_jobs)
        for outcome, count in readings.complete_jobs.items():
            jobs.add_metric(["COMPLETE", outcome], count)
        yield jobs
        yield _run_durations(readings.run_durations)
        lookups = CounterMetricFamily(
            "autopkg_source_cache_lookups",
            "Source fetches by whether the shared source cache already held the file.",
            labels=["result"],
        )
        lookups.add_metric(["hit"], readings.source_cache_hits)
        lookups.add_metric(["miss"], readings.source_cache_misses)
        yield lookups
        try:
            published = self._storage_calls.call(self._package_bytes, timeout=MANIFESTS_WAIT_SECS)
        except StorageError as exc:
            # Storage down: the other metrics (and the scrape) must not wait for it.
            log.warning("autopkg_published_bytes left out: %s", exc.message)
            return
        yield GaugeMetricFamily(
            "autopkg_published_bytes",
            "Bytes of the data files in every published package.",
            value=published,
        )

    def _package_bytes(self) -> int:
        return published_bytes(self._rt.storage, published_packages(self._rt))


def _run_durations(durations: list[tuple[str, float]]) -> HistogramMetricFamily:
    """A histogram of how long finished runs took, from claim to end, by final state."""
    family = HistogramMetricFamily(
        "autopkg_run_duration_seconds",
        "Time from a run's claim by a worker to its end, by final state.",
        labels=["state"],
    )
    for state in sorted({state for state, _ in durations}):
        seconds = [value for kind, value in durations if kind == state]
        buckets = [
            (str(bound), sum(1 for value in seconds if value <= bound)) for bound in _RUN_BUCKETS
        ]
        buckets.append(("+Inf", len(seconds)))
        family.add_metric([state], buckets, sum_value=sum(seconds))
    return family


class ServiceMetrics:
    """The metrics of one app: a registry of its own (so apps in one process stay apart)."""

    def __init__(self, rt: Runtime, storage_calls: StorageCalls) -> None:
        self.registry = CollectorRegistry()
        self.http_latency = Histogram(
            "autopkg_http_request_duration_seconds",
            "Time to answer an HTTP request (until its body is sent), by route template.",
            ["method", "route", "status"],
            buckets=_HTTP_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(
            StoredStateCollector(rt, rt.settings.metrics_max_age_secs, storage_calls)
        )


class HttpLatency:
    """ASGI middleware timing every request into :attr:`ServiceMetrics.http_latency`.

    Requests are labelled by the route's template (``/v1/jobs/{job_id}``, from the
    OpenAPI paths), a mount's prefix (``/packages/{path}``), a fixed route's path, or
    ``unmatched``, so labels stay few whatever paths clients send.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: ServiceMetrics,
        mounts: list[str],
        templates: Callable[[], Iterable[str]],
    ) -> None:
        self.app = app
        self._metrics = metrics
        self._mounts = mounts
        self._templates = templates
        self._compiled: list[tuple[re.Pattern[str], str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request from its start to the last byte of its response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            self._metrics.http_latency.labels(
                scope["method"], self._route_of(scope), str(status)
            ).observe(time.perf_counter() - started)

    def _route_of(self, scope: Scope) -> str:
        path = str(scope["path"])
        if self._compiled is None:
            # Built at the first request: the schema is complete only once the app is.
            self._compiled = [(compile_path(t)[0], t) for t in self._templates()]
        for pattern, template in self._compiled:
            if pattern.match(path):
                return template
        for prefix in self._mounts:
            if path.startswith(prefix + "/"):
                return prefix + "/{path}"
        if "endpoint" in scope and not scope.get("path_params"):
            # A route outside the schema (the page, the docs, /metrics): a fixed path.
            return path
        return "unmatched"
