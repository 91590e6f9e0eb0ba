"""Cached reads across processes: writes made through one API process or its workers
change what another API process answers, ETags included."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import serve_env
from tests.e2e.server import ServeProcess
from tests.fixtures.waiting import wait_for

OK = "test_processor.version_1"
SQUARE = [[[10.0, 10.0], [10.5, 10.0], [10.5, 10.5], [10.0, 10.5], [10.0, 10.0]]]


def changed(server: ServeProcess, path: str, etag: str, timeout: float = 30) -> httpx.Response:
    """Poll ``path`` until its ETag is no longer ``etag``: another process's boundary
    writes are seen within half a second, not at once."""
    response = wait_for(
        lambda: server.get(path, headers={"If-None-Match": etag}),
        lambda response: response.status_code != 304,
        what=f"{path} no longer {etag}",
        timeout=timeout,
        interval=0.1,
    )
    assert response.status_code == 200, response.text
    assert response.headers["etag"] != etag
    return response


@pytest.mark.slow
def test_a_second_api_process_sees_new_boundaries_and_packages(
    tmp_path: Path, source_mirror: str
) -> None:
    with ExitStack() as stack:
        writer = ServeProcess(tmp_path, serve_env(source_mirror))
        writer.start()
        stack.callback(writer.stop)
        # The same database and packages; every write below goes through the writer.
        reader = ServeProcess(tmp_path, serve_env(source_mirror))
        reader.start()
        stack.callback(reader.stop)

        listed = reader.get("/v1/boundaries")
        packages = reader.get("/v1/packages")
        searched = reader.get("/v1/boundaries/search?name=zzz")
        assert packages.json() == searched.json() == []
        for path, response in (("/v1/boundaries", listed), ("/v1/packages", packages)):
            etag = response.headers["etag"]
            assert response.status_code == 200
            assert reader.get(path, headers={"If-None-Match": etag}).status_code == 304

        feature = {
            "type": "Feature",
            "properties": {"name": "zzz", "name_long": "Zed Square"},
            "geometry": {"type": "Polygon", "coordinates": SQUARE},
        }
        collection = {"type": "FeatureCollection", "features": [feature]}
        assert writer.post("/v1/boundaries", json=collection).status_code == 200
        after = changed(reader, "/v1/boundaries", listed.headers["etag"])
        assert {"name": "zzz", "name_long": "Zed Square"} in after.json()
        search = "/v1/boundaries/search?name=zzz"
        found = changed(reader, search, searched.headers["etag"])
        assert found.json() == [
            {"name": "zzz", "name_long": "Zed Square", "admin_level": None, "parent": None}
        ]

        # Rendered by the reader just before the job: a job that reads COMPLETE has its
        # package listed at once, however recently the reader rendered the listing.
        assert reader.get("/v1/packages").status_code == 200
        assert reader.get("/v1/packages/zzz").status_code == 404
        job_id = writer.post("/v1/jobs", json={"boundary_name": "zzz", "processors": [OK]})
        writer.wait_for_job(job_id.json()["job_id"])
        published = reader.get("/v1/packages", headers={"If-None-Match": packages.headers["etag"]})
        assert published.status_code == 200
        assert [p["boundary_name"] for p in published.json()] == ["zzz"]
        package = reader.get("/v1/packages/zzz")
        assert package.status_code == 200
        assert [f["processor"] for f in package.json()["files"]] == [OK]
