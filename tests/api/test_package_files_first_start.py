"""Package files on a service that has published nothing yet (no packages folder)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from autopkg.api.app import create_app
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.runtime import open_runtime
from tests.conftest import make_settings


def test_package_files_before_the_first_publication_are_404(tmp_path: Path) -> None:
    rt = open_runtime(make_settings(tmp_path))
    assert not rt.settings.packages_root.exists()
    with TestClient(create_app(rt, EmbeddedExecutor(rt, workers=0))) as client:
        missing = client.get("/packages/gha/datapackage.json")
        assert missing.status_code == 404
        assert isinstance(missing.json()["detail"], str)
        assert client.get("/packages/%ff%fe").status_code == 404
        options = client.options("/packages/gha/index.html")
        assert options.status_code == 204
        assert options.headers["allow"] == "GET, HEAD, OPTIONS"
