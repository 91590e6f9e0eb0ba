"""The API while its PostgreSQL database refuses connections: 503s naming it, never 500."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from autopkg.api.app import create_app
from autopkg.config import Settings
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.runtime import open_runtime
from tests.fixtures.postgres import allow_connections, postgis_database


def test_requests_get_503_while_the_database_is_down(tmp_path: Path) -> None:
    with postgis_database() as url:
        name = make_url(url).database
        assert name is not None
        rt = open_runtime(Settings(data_dir=tmp_path, database_url=url))
        with TestClient(create_app(rt, EmbeddedExecutor(rt, workers=0))) as client:
            assert client.get("/v1/boundaries/gha").status_code == 200
            allow_connections(name, allowed=False)
            try:
                # Not yet rendered, so not in the read cache: it needs the database.
                down = client.get("/v1/boundaries/tgo")
                assert down.status_code == 503
                assert down.headers["retry-after"] == "5"
                assert down.json() == {"detail": "the database is unavailable; try again shortly"}
                ready = client.get("/v1/readiness")
                assert ready.status_code == 503
                assert ready.json() == {"detail": "database is not answering"}
            finally:
                allow_connections(name, allowed=True)
            assert client.get("/v1/boundaries/gha").status_code == 200
            assert client.get("/v1/readiness").status_code == 200
        rt.database.dispose()
