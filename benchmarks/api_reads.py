"""API reads under load (bar: p99 under 50 ms), per route, at a fixed rate and at saturation.

A real ``autopkg serve`` (embedded mode, SQLite) is started with one published package
and one finished job, once with ``--processes 1`` and once with ``--processes 2``.
Each route gets, in turn:

- a fixed offered rate, :data:`RATE` requests/s from :data:`CLIENTS` connections
  (``benchmarks/open_loop.py``: open loop, latency from each request's due time),
  after one discarded second at the same rate;
- saturation: ``wrk`` with :data:`CLIENTS` connections sending back to back.

The floor is the same bodies, saved as files, served by one bare nginx process
(``benchmarks/static_floor.py``) under the same two loads. Every request is a plain
GET (no ``If-None-Match``): a whole body each time.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

from tests.e2e.server import ServeProcess

from benchmarks.inputs import CACHE
from benchmarks.open_loop import offer
from benchmarks.static_floor import static_server
from benchmarks.tables import markdown_table

RATE = 200
CLIENTS = 50
TARGET_P99_MS = 50.0
HOST = "127.0.0.1"
ROUTES = (
    "/v1/liveness",
    "/v1/boundaries",
    "/v1/boundaries/gha",
    "/v1/boundaries/search?name=an",
    "/v1/boundaries/search?latitude=7.9&longitude=-1.0",
    "/v1/processors",
    "/v1/packages",
    "/v1/packages/gha",
    "/v1/jobs/{job}",
    "/v1/jobs",
    "/ogc/jobs/{job}",
)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
_PERCENTILE = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)


@dataclass(frozen=True)
class Load:
    """One route under both loads: fixed-rate p50/p99 (+ failures), saturation figures."""

    p50: float
    p99: float
    failures: int
    saturated_rate: float
    saturated_p50: float
    saturated_p99: float


def _wrk(url: str, seconds: int) -> tuple[float, float, float]:
    """Return (p50 ms, p99 ms, requests/s) of ``wrk`` against ``url``."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CLIENTS}", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    found = {p: float(v) * _UNIT_MS[u] for p, v, u in _PERCENTILE.findall(out)}
    rate = _RATE.search(out)
    return found["50"], found["99"], float(rate.group(1)) if rate else 0.0


def _load(port: int, path: str, seconds: int) -> Load:
    offer(HOST, port, path, rate=RATE, clients=CLIENTS, seconds=1)
    fixed = offer(HOST, port, path, rate=RATE, clients=CLIENTS, seconds=seconds)
    p50, p99, rate = _wrk(f"http://{HOST}:{port}{path}", seconds)
    return Load(fixed.percentile(50), fixed.percentile(99), fixed.failures, rate, p50, p99)


def _serve(processes: int) -> ServeProcess:
    return ServeProcess(
        CACHE / "api",
        {"AUTOPKG_INCLUDE_TEST_PROCESSORS": "true", "AUTOPKG_LOG_LEVEL": "WARNING"},
        extra_args=("--processes", str(processes)),
    )


def api_reads(seconds: int) -> list[str]:
    """Run the measurement; return report lines (two tables and the worst p99)."""
    if shutil.which("wrk") is None or shutil.which("nginx", path="/usr/sbin:/usr/bin") is None:
        return ["wrk or nginx not found: install Debian's wrk and nginx-light (make bench does)"]
    shutil.rmtree(CACHE / "api", ignore_errors=True)
    server = _serve(1)
    server.start()
    try:
        response = server.post(
            "/v1/jobs", json={"boundary_name": "gha", "processors": ["test_processor.version_1"]}
        )
        job = response.json()["job_id"]
        server.wait_for_job(job)
        routes = [route.format(job=job) for route in ROUTES]
        bodies = []
        for path in routes:
            answer = server.get(path)
            assert answer.status_code == 200, path
            bodies.append(answer.content)
    finally:
        server.stop()
    with static_server(CACHE / "api-floor", bodies) as (port, files):
        floor = [_load(port, file, seconds) for file in files]
    measured: dict[int, list[Load]] = {}
    for processes in (1, 2):
        server = _serve(processes)
        server.start()
        try:
            measured[processes] = [_load(server.port, path, seconds) for path in routes]
        finally:
            server.stop()
    return _report(seconds, bodies, floor, measured)


RATE_HEADER = [
    "route", "body bytes", "floor p50", "floor p99", "1 process p50", "1 process p99",
    "2 processes p50", "2 processes p99", "non-200",
]  # fmt: skip
SATURATION_HEADER = [
    "route", "floor req/s", "floor p99", "1 process req/s", "p50", "p99",
    "2 processes req/s", "p50", "p99",
]  # fmt: skip


def _report(
    seconds: int, bodies: list[bytes], floor: list[Load], measured: dict[int, list[Load]]
) -> list[str]:
    one, two = measured[1], measured[2]
    rate_rows: list[list[object]] = []
    saturation_rows: list[list[object]] = []
    for index, route in enumerate(ROUTES):
        f, a, b = floor[index], one[index], two[index]
        rate_rows.append(
            [
                f"`{route}`", len(bodies[index]), f"{f.p50:.1f}", f"{f.p99:.1f}",
                f"{a.p50:.1f}", f"{a.p99:.1f}", f"{b.p50:.1f}", f"{b.p99:.1f}",
                a.failures + b.failures,
            ]
        )  # fmt: skip
        saturation_rows.append(
            [
                f"`{route}`", f"{f.saturated_rate:.0f}", f"{f.saturated_p99:.1f}",
                f"{a.saturated_rate:.0f}", f"{a.saturated_p50:.1f}", f"{a.saturated_p99:.1f}",
                f"{b.saturated_rate:.0f}", f"{b.saturated_p50:.1f}", f"{b.saturated_p99:.1f}",
            ]
        )  # fmt: skip
    lines = [
        f"Fixed rate: {RATE} requests/s offered from {CLIENTS} connections for {seconds} s "
        "(open loop, latency from each request's due time, after 1 s of warm-up); "
        "floor: the same bodies from one nginx process. Latencies in ms.",
        "",
        *markdown_table(RATE_HEADER, rate_rows),
        "",
        f"Saturation: wrk -t2 -c{CLIENTS} -d{seconds}s (closed loop: each connection sends "
        "when its last answer came). Requests/s, then p50 and p99 in ms.",
        "",
        *markdown_table(SATURATION_HEADER, saturation_rows),
    ]
    worst = max(
        (
            (load.p99, route, n)
            for n, loads in measured.items()
            for route, load in zip(ROUTES, loads, strict=True)
        ),
    )
    verdict = "met" if worst[0] < TARGET_P99_MS else "NOT met"
    return [
        *lines,
        "",
        f"worst p99 at {RATE} requests/s: {worst[0]:.1f} ms ({worst[1]}, --processes {worst[2]}); "
        f"target < {TARGET_P99_MS:.0f} ms: {verdict}",
    ]
