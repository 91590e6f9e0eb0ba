"""A hung S3 (moto paused with SIGSTOP) under a real ``autopkg serve``.

Package reads wait for storage on a pool of their own and end in 503 with
``Retry-After``; every other route keeps answering meanwhile, readiness names
storage, and all is well again once the store answers.
"""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import serve_env
from tests.e2e.server import ServeProcess
from tests.fixtures.services import S3_REGION, create_bucket, s3_server_process
from tests.fixtures.waiting import wait_until

OK = "test_processor.version_1"
READ_TIMEOUT = 15
IN_FLIGHT = 60


@pytest.mark.slow
def test_a_hung_store_holds_only_package_reads_and_answers_503(
    tmp_path: Path, source_mirror: str
) -> None:
    with s3_server_process() as (endpoint, moto):
        bucket = create_bucket(endpoint, public_read=True)
        server = ServeProcess(
            tmp_path,
            {
                **serve_env(source_mirror),
                "AUTOPKG_STORAGE_BACKEND": "awss3",
                "AUTOPKG_S3_BUCKET": bucket,
                "AUTOPKG_S3_REGION": S3_REGION,
                "AUTOPKG_S3_ENDPOINT_URL": endpoint,
                "AUTOPKG_S3_ACCESS_KEY": "test",
                "AUTOPKG_S3_SECRET_KEY": "test",
                "AUTOPKG_PACKAGES_HOST_URL": f"{endpoint}/{bucket}",
                "AUTOPKG_S3_CONNECT_TIMEOUT_SECS": "1",
                "AUTOPKG_S3_READ_TIMEOUT_SECS": str(READ_TIMEOUT),
                "AUTOPKG_S3_MAX_ATTEMPTS": "1",
                "AUTOPKG_STORAGE_THREADS": "4",
            },
        )
        server.start()
        try:
            job = server.post("/v1/jobs", json={"boundary_name": "gmb", "processors": [OK]})
            server.wait_for_job(job.json()["job_id"])
            zipped = server.get("/v1/packages/gmb/zip")
            assert zipped.status_code == 200

            moto.send_signal(signal.SIGSTOP)
            try:
                with ThreadPoolExecutor(IN_FLIGHT) as pool:
                    reads = [
                        pool.submit(httpx.get, f"{server.url}/v1/packages/gmb/zip", timeout=120)
                        for _ in range(IN_FLIGHT)
                    ]
                    # Unrelated routes answer while every package read still waits.
                    with ThreadPoolExecutor(4) as others:
                        answers = dict(
                            zip(
                                ("boundary", "jobs", "metrics", "readiness"),
                                others.map(
                                    server.get,
                                    ("/v1/boundaries/gmb", "/v1/jobs", "/metrics", "/v1/readiness"),
                                ),
                                strict=True,
                            )
                        )
                    assert not any(read.done() for read in reads)
                    refused = [read.result() for read in reads]
            finally:
                moto.send_signal(signal.SIGCONT)

            assert answers["boundary"].json()["name"] == "gmb"
            assert job.json()["job_id"] in {j["job_id"] for j in answers["jobs"].json()["jobs"]}
            assert answers["metrics"].status_code == 200
            assert "autopkg_runs" in answers["metrics"].text
            assert "autopkg_published_bytes" not in answers["metrics"].text
            assert answers["readiness"].status_code == 503
            assert (
                answers["readiness"].json()["detail"].startswith("package storage is not answering")
            )
            assert {r.status_code for r in refused} == {503}
            assert {r.headers["retry-after"] for r in refused} == {"10"}
            assert {r.json()["detail"] for r in refused} >= {
                f"package storage did not answer within {1 + READ_TIMEOUT} s; try again shortly"
            }

            # The store answers again: so does everything else.
            wait_until(
                lambda: server.get("/v1/readiness").status_code == 200,
                what="readiness recovered",
                interval=0.2,
            )
            again = server.get("/v1/packages/gmb/zip")
            # The same members (a zip's member times are those of its making).
            assert again.status_code == 200 and len(again.content) == len(zipped.content)
        finally:
            server.stop()
