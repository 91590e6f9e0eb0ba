"""A real ``autopkg serve`` subprocess fed by a local source mirror, in either mode."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.deployment import production
from tests.e2e.server import ServeProcess


def serve_env(mirror: str) -> dict[str, str]:
    """Environment of an e2e server reading sources from ``mirror``."""
    return {
        "AUTOPKG_SOURCE_MIRROR": mirror,
        "AUTOPKG_VERIFY_SOURCE_CHECKSUMS": "false",
        "AUTOPKG_INCLUDE_TEST_PROCESSORS": "true",
        "AUTOPKG_WORKERS": "2",
        "AUTOPKG_RUN_LEASE_SECONDS": "10",
        "AUTOPKG_LOG_LEVEL": "INFO",
        # The suites submit dozens of jobs from one address (fifty identical ones, say);
        # the queue limit has its own tests (tests/api/test_queued_jobs.py).
        "AUTOPKG_MAX_QUEUED_JOBS_PER_CLIENT": "0",
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, source_mirror: str) -> Iterator[ServeProcess]:
    """A running server with its own data folder, stopped after the module."""
    process = ServeProcess(tmp_path_factory.mktemp("serve"), serve_env(source_mirror))
    process.start()
    yield process
    process.stop()


@pytest.fixture
def data_dir(server: ServeProcess) -> Path:
    """The server's data folder."""
    return server.data_dir


@pytest.fixture(scope="module", params=["embedded", "production"])
def deployed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, source_mirror: str
) -> Iterator[ServeProcess]:
    """The API of a whole deployment: embedded, then production (PostGIS, Celery, S3)."""
    root = tmp_path_factory.mktemp(request.param)
    if request.param == "embedded":
        process = ServeProcess(root, serve_env(source_mirror))
        process.start()
        yield process
        process.stop()
        return
    with production(root, serve_env(source_mirror)) as deployment:
        yield deployment.server
