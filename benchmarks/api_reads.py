"""API reads under load: latency at 50 concurrent clients, per route, with ``wrk``.

A real ``autopkg serve`` (embedded mode, SQLite) is started with one published package
and one finished job, then each read route is hammered by ``wrk`` with 50 open
connections (each a client issuing requests back to back) for a few seconds.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from tests.e2e.server import ServeProcess

from benchmarks.inputs import CACHE

CLIENTS = 50
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
)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
_PERCENTILE = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)


def _wrk(url: str, seconds: int) -> tuple[float, float, float]:
    """Return (p50 ms, p99 ms, requests/s) of ``wrk`` against ``url``."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CLIENTS}", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    found = {p: float(v) * _UNIT_MS[u] for p, v, u in _PERCENTILE.findall(out)}
    rate = _RATE.search(out)
    return found["50"], found["99"], float(rate.group(1)) if rate else 0.0


def api_reads(seconds: int, processes: int) -> list[str]:
    """Run the measurement; return report lines (a table and the worst p99)."""
    if shutil.which("wrk") is None:
        return ["wrk not found: install Debian's wrk (make bench does)"]
    folder = CACHE / "api"
    shutil.rmtree(folder, ignore_errors=True)
    server = ServeProcess(
        folder,
        {"AUTOPKG_INCLUDE_TEST_PROCESSORS": "true", "AUTOPKG_LOG_LEVEL": "WARNING"},
        extra_args=("--processes", str(processes)),
    )
    server.start()
    try:
        response = server.post(
            "/v1/jobs", json={"boundary_name": "gha", "processors": ["test_processor.version_1"]}
        )
        job = response.json()["job_id"]
        server.wait_for_job(job)
        rows = []
        for route in ROUTES:
            path = route.format(job=job)
            assert server.get(path).status_code == 200, path
            p50, p99, rate = _wrk(server.url + path, seconds)
            rows.append((route, p50, p99, rate))
    finally:
        server.stop()
    lines = [
        f"{CLIENTS} concurrent clients (wrk -t2 -c{CLIENTS} -d{seconds}s) against "
        f"`autopkg serve --processes {processes}`",
        "",
        "| route | p50 ms | p99 ms | requests/s |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{r}` | {p50:.1f} | {p99:.1f} | {rate:.0f} |" for r, p50, p99, rate in rows]
    worst = max(rows, key=lambda row: row[2])
    return [*lines, "", f"worst p99: {worst[2]:.1f} ms ({worst[0]})"]
