"""Shared fixtures: generated sources, a local mirror, runtimes, API clients, storages.

``storage`` is an empty storage of each backend in turn: a temporary folder, and a new
bucket on a ``moto_server`` on a loopback port (started once per test session).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from autopkg.api.app import create_app
from autopkg.config import Settings
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.runtime import Runtime, open_runtime
from autopkg.storage.base import Storage
from autopkg.storage.localfs import LocalFSStorage
from autopkg.storage.s3 import S3Storage
from tests.fixtures import waiting
from tests.fixtures.mirror import source_mirror
from tests.fixtures.services import S3_REGION, create_bucket, s3_server
from tests.fixtures.sources import source_mirror_root

__all__ = ["source_mirror", "source_mirror_root"]


#: The marker of each test folder: its layer (``make test-fast`` runs unit and api).
LAYERS = {
    "unit": "unit",
    "api": "api",
    "cli": "e2e",
    "deploy": "e2e",
    "e2e": "e2e",
    "web": "browser",
}
TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test with its folder's layer (``-m unit``, ``-m "not browser"``...)."""
    for item in items:
        folder = item.path.relative_to(TESTS).parts[0]
        item.add_marker(LAYERS[folder])


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test: everything under ``data_dir``, test processors visible."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "include_test_processors": True,
        "verify_source_checksums": False,
        "workers": 2,
        "run_lease_seconds": 10,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory, source_mirror: str) -> Runtime:
    """One runtime for the API tests: a SQLite database with the built-in boundaries.

    The write rate is off: the whole suite's writes share this one client, so their
    number per minute depends on which tests run and how fast (the rate has its own
    tests in ``tests/api/test_rate_limits.py``).
    """
    return open_runtime(
        make_settings(
            tmp_path_factory.mktemp("api-data"),
            source_mirror=source_mirror,
            rate_writes_per_minute=0,
        )
    )


@pytest.fixture(scope="session")
def client(runtime: Runtime) -> Iterator[TestClient]:
    """An in-process API client whose embedded workers run submitted jobs."""
    app = create_app(runtime, EmbeddedExecutor(runtime, workers=2))
    with TestClient(app) as test_client:
        yield test_client


def wait_until_complete(client: TestClient, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """Poll a job through ``client`` until COMPLETE (``waiting.wait_until_complete``)."""
    return waiting.wait_until_complete(client, job_id, timeout=timeout)


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Return once ``condition()`` holds; fail after ``timeout`` seconds (no fixed sleeps)."""
    import threading
    import time

    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        assert time.monotonic() < deadline, f"still not true after {timeout}s"
        pause.wait(0.05)


@pytest.fixture
def wait_for_job(client: TestClient) -> Callable[..., dict[str, Any]]:
    """:func:`wait_until_complete` on the suite's client."""
    return lambda job_id, timeout=60.0: wait_until_complete(client, job_id, timeout)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 API on loopback (moto's server)."""
    with s3_server() as endpoint:
        yield endpoint


@pytest.fixture(params=["localfs", "awss3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    """An empty storage of each backend: a folder, then a bucket."""
    if request.param == "localfs":
        return LocalFSStorage(tmp_path / "packages")
    endpoint = request.getfixturevalue("s3_endpoint")
    return S3Storage(
        create_bucket(endpoint),
        region=S3_REGION,
        endpoint_url=endpoint,
        access_key="test",
        secret_key="test",
    )
