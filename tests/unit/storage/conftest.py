"""The storage backends the contract suite runs against: a folder and a real S3 server.

Each backend is built fresh and empty per test: a temporary folder, or a new bucket on
a ``moto_server`` process on a loopback port (started once per test session).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from autopkg.storage.base import Storage
from autopkg.storage.localfs import LocalFSStorage
from autopkg.storage.s3 import S3Storage
from tests.fixtures.services import S3_REGION, create_bucket, s3_server

BACKENDS = ["localfs", "awss3"]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 API on loopback (moto's server)."""
    with s3_server() as endpoint:
        yield endpoint


@pytest.fixture(params=BACKENDS)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    """An empty storage of each backend in ``BACKENDS``."""
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
