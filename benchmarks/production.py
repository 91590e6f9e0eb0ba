"""Production mode: job throughput on 1 vs 2 Celery workers, and S3 publish overhead.

Throughput: a whole production deployment (the test suite's: PostGIS, Redis, S3 on a
loopback server, ``autopkg serve`` and ``autopkg worker`` processes with one process
each) takes 20 small-country jobs submitted at once; the time until the last is
COMPLETE gives jobs per minute. Publish: one processor's file of each size is
published to a local folder and to the S3 server, in this process, a few times each.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from pathlib import Path

import httpx
import shapely
from tests.e2e.conftest import serve_env
from tests.e2e.deployment import production
from tests.fixtures.mirror import serve_directory
from tests.fixtures.services import S3_REGION, create_bucket, s3_server
from tests.fixtures.sources import build_mirror

from autopkg.domain.boundary import Boundary
from autopkg.domain.metadata import License, Metadata
from autopkg.domain.outputs import OutputFile
from autopkg.packaging.publish import publish_processor
from autopkg.storage.base import Storage
from autopkg.storage.localfs import LocalFSStorage
from autopkg.storage.s3 import S3Storage
from benchmarks.inputs import CACHE
from benchmarks.tables import markdown_table

PROCESSORS = ["natural_earth_raster.version_1", "wri_powerplants.version_130"]
COUNTRIES = [
    "gha", "tgo", "ben", "sle", "lbr", "gmb", "gnb", "bdi", "rwa", "mwi",
    "uga", "ken", "sen", "civ", "bfa", "gin", "cmr", "gab", "cog", "zmb",
]  # fmt: skip
SIZES_MB = (1, 16, 64)


def _all_complete(client: httpx.Client, jobs: list[str], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    waiting = set(jobs)
    while waiting:
        for job in list(waiting):
            if client.get(f"/v1/jobs/{job}").json()["job_group_status"] == "COMPLETE":
                waiting.discard(job)
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(waiting)} jobs not complete after {timeout}s")
        time.sleep(0.05)


def _throughput(workers: int, mirror: str, root: Path) -> float:
    env = serve_env(mirror)
    with (
        production(root, env, workers=workers) as deployment,
        httpx.Client(base_url=deployment.server.url, timeout=30) as client,
    ):
        # Warm the shared source cache, so both runs measure clipping and publishing.
        warm = client.post("/v1/jobs", json={"boundary_name": "nga", "processors": PROCESSORS})
        _all_complete(client, [warm.json()["job_id"]])
        start = time.perf_counter()
        jobs = [
            client.post(
                "/v1/jobs", json={"boundary_name": country, "processors": PROCESSORS}
            ).json()["job_id"]
            for country in COUNTRIES
        ]
        _all_complete(client, jobs)
        seconds = time.perf_counter() - start
    return len(COUNTRIES) * 60 / seconds


def _metadata() -> Metadata:
    return Metadata(
        name="bench",
        version="version_1",
        description="publish benchmark",
        data_author="autopkg",
        data_title="bench",
        data_title_long="bench",
        data_summary="bench",
        data_citation="bench",
        data_license=License(name="CC0-1.0", path="https://example.org", title="CC0"),
        data_origin_url="https://example.org",
        data_formats=("bin",),
    )


def _publish_seconds(storage: Storage, path: Path, repeat: int) -> float:
    boundary = Boundary("gha", "Ghana", 0, shapely.MultiPolygon([shapely.box(0, 0, 1, 1)]))
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        publish_processor(
            storage,
            boundary,
            _metadata(),
            [OutputFile(path, "bin", "application/octet-stream")],
            lock=threading.Lock(),
        )
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def _publish_rows(repeat: int, folder: Path) -> list[list[str]]:
    rows = []
    with s3_server() as endpoint:
        bucket = create_bucket(endpoint)
        s3 = S3Storage(
            bucket, region=S3_REGION, endpoint_url=endpoint, access_key="test", secret_key="test"
        )
        local = LocalFSStorage(folder / "packages")
        for size in SIZES_MB:
            path = folder / f"bench-version_1-{size}mb-gha.bin"
            path.write_bytes(bytes(range(256)) * (size * 4096))
            on_disk = _publish_seconds(local, path, repeat)
            on_s3 = _publish_seconds(s3, path, repeat)
            rows.append(
                [
                    str(size),
                    f"{on_disk:.3f}",
                    f"{on_s3:.3f}",
                    f"{on_s3 / on_disk:.1f}",
                    f"{(on_s3 - on_disk) / size * 1000:.1f}",
                ]
            )
    return rows


def production_mode(repeat: int) -> list[str]:
    """Run both measurements; return report lines."""
    folder = CACHE / "production"
    folder.mkdir(parents=True, exist_ok=True)
    mirror_root = build_mirror(CACHE / "e2e" / "mirror")
    with serve_directory(mirror_root) as mirror:
        one = _throughput(1, mirror, folder / f"one-{uuid.uuid4().hex[:6]}")
        two = _throughput(2, mirror, folder / f"two-{uuid.uuid4().hex[:6]}")
    lines = [
        f"{len(COUNTRIES)} small-country jobs ({', '.join(PROCESSORS)}) submitted at once:",
        "",
        *markdown_table(["workers", "jobs per minute"], [["1", f"{one:.1f}"], ["2", f"{two:.1f}"]]),
        "",
        f"2 workers / 1 worker: {two / one:.2f} times the jobs per minute",
        "",
        f"Publishing one file (median of {repeat}):",
        "",
        *markdown_table(
            ["MB", "local folder s", "S3 (loopback) s", "S3 / local", "S3 extra ms per MB"],
            _publish_rows(repeat, folder),
        ),
    ]
    return lines
