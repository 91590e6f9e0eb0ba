"""Fixtures of the packaging tests: real processor outputs, storages readable by URL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from autopkg.storage.base import Storage
from autopkg.storage.localfs import LocalFSStorage
from autopkg.storage.s3 import S3Storage
from tests.fixtures.services import S3_REGION, create_bucket
from tests.unit.packaging.real_packages import Outputs, make_outputs
from tests.unit.processors.conftest import load_country


@pytest.fixture(scope="session", params=["gha", "fji"])
def outputs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, source_mirror: str
) -> Outputs:
    """Real outputs for Ghana and for Fiji (across the antimeridian: two Mollweide sides)."""
    folder = tmp_path_factory.mktemp(f"outputs-{request.param}")
    return make_outputs(folder, load_country(request.param), source_mirror)


@dataclass(frozen=True)
class Hosted:
    """A storage and where its keys are read from: a folder, or the bucket's URL."""

    storage: Storage
    base: str


@pytest.fixture(params=["localfs", "awss3"])
def hosted(request: pytest.FixtureRequest, tmp_path: Path) -> Hosted:
    """An empty storage of each backend, readable as a STAC tool reads it."""
    if request.param == "localfs":
        root = tmp_path / "packages"
        return Hosted(LocalFSStorage(root), str(root))
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = create_bucket(endpoint, public_read=True)
    storage = S3Storage(
        bucket,
        region=S3_REGION,
        endpoint_url=endpoint,
        access_key="test",
        secret_key="test",
    )
    return Hosted(storage, f"{endpoint}/{bucket}")
