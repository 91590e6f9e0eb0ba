"""End to end: submission → COMPLETE of a small-country job on a real ``autopkg serve``.

The server (the test suite's ``ServeProcess``) runs embedded workers with its data
folder in the cache and fetches its sources from a local HTTP mirror of the test
suite's generated stand-ins. One job
warms the source cache; then one job per small country is timed, each a boundary not
packaged before, so no processor is skipped as already done.
"""

from __future__ import annotations

import shutil
import statistics
import time

import httpx
from tests.e2e.server import ServeProcess
from tests.fixtures.mirror import serve_directory
from tests.fixtures.sources import build_mirror

from benchmarks.inputs import CACHE
from benchmarks.tables import markdown_table

PROCESSORS = ["natural_earth_raster.version_1", "wri_powerplants.version_130"]
WARM_UP = "rwa"
SMALL_COUNTRIES = ["ken", "uga", "gha", "bdi", "tgo", "ben", "sle", "lbr", "mwi"]
_POLL = 0.01


def _job(client: httpx.Client, boundary: str) -> tuple[float, dict[str, str]]:
    """Submit one job and poll it; return seconds to COMPLETE and each processor's state."""
    start = time.perf_counter()
    response = client.post("/v1/jobs", json={"boundary_name": boundary, "processors": PROCESSORS})
    response.raise_for_status()
    job = response.json()["job_id"]
    while True:
        body = client.get(f"/v1/jobs/{job}").json()
        if body["job_group_status"] == "COMPLETE":
            seconds = time.perf_counter() - start
            states = {p["processor_name"]: p["job_status"] for p in body["job_group_processors"]}
            return seconds, states
        if time.perf_counter() - start > 120:
            raise RuntimeError(f"job for {boundary} not complete after 120 s: {body}")
        time.sleep(_POLL)


def end_to_end(repeat: int) -> list[str]:
    """Run the measurement; return report lines."""
    folder = CACHE / "e2e"
    shutil.rmtree(folder / "data", ignore_errors=True)
    mirror_root = build_mirror(folder / "mirror")
    with serve_directory(mirror_root) as mirror:
        server = ServeProcess(
            folder / "data",
            {
                "AUTOPKG_SOURCE_MIRROR": mirror,
                "AUTOPKG_VERIFY_SOURCE_CHECKSUMS": "false",
                "AUTOPKG_LOG_LEVEL": "WARNING",
            },
        )
        server.start()
        try:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                warm, _ = _job(client, WARM_UP)
                timed = [(b, *_job(client, b)) for b in SMALL_COUNTRIES[: max(repeat, 1)]]
        finally:
            server.stop()
    rows = [
        [boundary, f"{seconds:.2f}", ", ".join(sorted(set(states.values())))]
        for boundary, seconds, states in timed
    ]
    median = statistics.median(seconds for _, seconds, _ in timed)
    return [
        f"warm-up job ({WARM_UP}, downloads the sources): {warm:.2f} s",
        "",
        *markdown_table(["boundary", "submission → COMPLETE s", "processor states"], rows),
        "",
        f"median submission → COMPLETE: {median:.2f} s",
    ]
