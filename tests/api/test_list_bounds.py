"""Job listings cannot be made to cost the database more than a bounded read.

Repeated filter values are counted once and capped (422 beyond, as the schema says), and
every read transaction is stopped by the database at ``AUTOPKG_DATABASE_READ_TIMEOUT_SECS``
(503 with ``Retry-After``), on SQLite and on real PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from autopkg.db.models import JobRecord
from autopkg.runtime import Runtime
from tests.api.test_queued_jobs import accepted, idle_app, submit
from tests.fixtures.postgres import postgis_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """``None`` (the default SQLite file), then a throwaway PostGIS database."""
    if request.param == "sqlite":
        yield None
        return
    with postgis_database() as url:
        yield url


def app_client(
    tmp_path: Path, source_mirror: str, database_url: str | None, **overrides: Any
) -> tuple[Runtime, TestClient]:
    if database_url is not None:
        overrides["database_url"] = database_url
    rt, app = idle_app(tmp_path, source_mirror, **overrides)
    return rt, TestClient(app)


def test_repeated_filters_count_once_and_are_capped(
    tmp_path: Path, source_mirror: str, database_url: str | None
) -> None:
    _, client = app_client(tmp_path, source_mirror, database_url)
    with client:
        job = accepted(submit(client, "gha"))
        once = client.get("/v1/jobs", params={"state": "PENDING"}).json()
        assert [listed["job_id"] for listed in once["jobs"]] == [job]
        repeated = client.get("/v1/jobs", params=[("outcome", "SUCCESS")] * 4)
        assert repeated.status_code == 200
        assert repeated.json()["total"] == 0
        # OGC lists no 422: /ogc refuses with 400.
        for path, name, value, cap, status in (
            ("/v1/jobs", "outcome", "SUCCESS", 4, 422),
            ("/ogc/jobs", "status", "accepted", 5, 400),
        ):
            assert client.get(path, params=[(name, value)] * cap).status_code == 200
            refused = client.get(path, params=[(name, value)] * 1000)
            assert refused.status_code == status, refused.text
            assert refused.json()["detail"].startswith(f"query.{name}: ")
            assert f"at most {cap} items" in refused.json()["detail"]
        ogc = client.get("/ogc/jobs", params=[("status", "accepted")] * 5).json()
        assert [listed["jobID"] for listed in ogc["jobs"]] == [job]

        parameters = client.get("/openapi.json").json()["paths"]
        for path, name, cap in (("/v1/jobs", "outcome", 4), ("/ogc/jobs", "status", 5)):
            (schema,) = [
                p["schema"] for p in parameters[path]["get"]["parameters"] if p["name"] == name
            ]
            assert cap in [option.get("maxItems") for option in schema["anyOf"]]


def test_postgresql_stops_a_read_past_the_timeout(tmp_path: Path, source_mirror: str) -> None:
    with postgis_database() as url:
        _, client = app_client(tmp_path, source_mirror, url, database_read_timeout_secs=0.5)
        with client:
            job = accepted(submit(client, "gha"))
            parts = make_url(url)
            # Another session holds the jobs table: a read now waits, until the timeout.
            with psycopg.connect(
                host=parts.host, port=parts.port, user=parts.username, dbname=parts.database
            ) as holder:
                holder.execute("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE")
                for path in ("/v1/jobs", f"/v1/jobs/{job}", "/ogc/jobs"):
                    stopped = client.get(path)
                    assert stopped.status_code == 503, stopped.text
                    assert stopped.headers["Retry-After"] == "1"
                    assert "AUTOPKG_DATABASE_READ_TIMEOUT_SECS" in stopped.json()["detail"]
                waiting = holder.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                    "AND wait_event_type = 'Lock'",
                    (parts.database,),
                ).fetchone()
                assert waiting == (0,)  # the database stopped them: nothing left waiting
                holder.rollback()
            listed = client.get("/v1/jobs")
            assert listed.status_code == 200
            assert [row["job_id"] for row in listed.json()["jobs"]] == [job]


def test_sqlite_stops_a_read_past_the_timeout(tmp_path: Path, source_mirror: str) -> None:
    # A deadline already past when SQLite first checks it (after 10,000 instructions of
    # a listing over 5,000 jobs): the read is interrupted, a write is not.
    rt, client = app_client(tmp_path, source_mirror, None, database_read_timeout_secs=1e-6)
    now = datetime.now(UTC)
    rows = [{"id": f"job-{i:05}", "boundary_name": "gha", "created_at": now} for i in range(5000)]
    with rt.database.session() as session:
        session.execute(insert(JobRecord), rows)
    with client:
        stopped = client.get("/v1/jobs", params={"outcome": "SUCCESS"})
        assert stopped.status_code == 503, stopped.text
        assert stopped.headers["Retry-After"] == "1"
        assert "the database stopped this read after 1e-06 s" in stopped.json()["detail"]
    with rt.database.session() as session:
        assert session.query(JobRecord).count() == 5000
