"""End to end: submission → COMPLETE of a small-country job on a real ``autopkg serve``.

The server runs embedded workers with its data folder in the cache and fetches its
sources from a local HTTP mirror of generated stand-ins (the test suite's). One job
warms the source cache; then one job per small country is timed, each a boundary not
packaged before, so no processor is skipped as already done.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import time

import httpx
from tests.e2e.server import free_port
from tests.fixtures.mirror import serve_directory
from tests.fixtures.sources import build_mirror

from benchmarks.inputs import CACHE
from benchmarks.measure import PYTHON, ROOT

PROCESSORS = ["natural_earth_raster.version_1", "wri_powerplants.version_130"]
WARM_UP = "rwa"
SMALL_COUNTRIES = ["ken", "uga", "gha", "bdi", "tgo", "ben", "sle", "lbr", "mwi"]
_POLL = 0.01


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("autopkg serve exited early: see benchmarks/.cache/e2e/serve.log")
        try:
            if httpx.get(f"{url}/v1/readiness", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("autopkg serve was not ready within 60 s")


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
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serve_directory(mirror_root) as mirror, (folder / "serve.log").open("wb") as log:
        env = {
            **os.environ,
            "AUTOPKG_DATA_DIR": str(folder / "data"),
            "AUTOPKG_SOURCE_MIRROR": mirror,
            "AUTOPKG_VERIFY_SOURCE_CHECKSUMS": "false",
            "AUTOPKG_LOG_LEVEL": "WARNING",
        }
        process = subprocess.Popen(
            [PYTHON, "-m", "autopkg", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_ready(url, process)
            with httpx.Client(base_url=url, timeout=30) as client:
                warm, _ = _job(client, WARM_UP)
                timed = [(b, *_job(client, b)) for b in SMALL_COUNTRIES[: max(repeat, 1)]]
        finally:
            process.terminate()
            process.wait(30)
    lines = [
        f"warm-up job ({WARM_UP}, downloads the sources): {warm:.2f} s",
        "",
        "| boundary | submission → COMPLETE s | processor states |",
        "|---|---|---|",
    ]
    for boundary, seconds, states in timed:
        lines.append(f"| {boundary} | {seconds:.2f} | {', '.join(sorted(set(states.values())))} |")
    median = statistics.median(seconds for _, seconds, _ in timed)
    return [*lines, "", f"median submission → COMPLETE: {median:.2f} s"]
