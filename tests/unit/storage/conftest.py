"""The storage backends the contract suite runs against.

Each backend is built fresh and empty per test. An S3 backend (a loopback S3 server)
plugs in by adding its name to ``BACKENDS`` and a branch to ``storage``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autopkg.storage.base import Storage
from autopkg.storage.localfs import LocalFSStorage

BACKENDS = ["localfs"]


@pytest.fixture(params=BACKENDS)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    """An empty storage of each backend in ``BACKENDS``."""
    if request.param == "localfs":
        return LocalFSStorage(tmp_path / "packages")
    raise AssertionError(f"unknown backend {request.param}")
