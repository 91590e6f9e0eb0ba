"""Cached reads: the same bytes the response models give, strong ETags, 304 on a match."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from autopkg.api.app import create_app
from autopkg.api.cache import PUBLISHED_TTL_SECS, ReadCache
from autopkg.api.schemas import (
    BoundaryDetail,
    BoundaryFound,
    BoundarySummary,
    PackagePublic,
    PackageSummary,
    ProcessorPublic,
    ProcessorVersionMetadata,
)
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.packaging.store import list_packages
from autopkg.runtime import open_runtime
from tests.api.test_jobs import submit
from tests.conftest import make_settings, wait_until_complete
from tests.fixtures.clock import ManualClock
from tests.fixtures.waiting import wait_for_async

OK = "test_processor.version_1"
# Every cached read route, with the model its body is documented by.
ROUTES: dict[str, Any] = {
    "/v1/boundaries": list[BoundarySummary],
    "/v1/boundaries?include_custom=true": list[BoundarySummary],
    "/v1/boundaries/search?name=cote": list[BoundaryFound],
    "/v1/boundaries/search?latitude=7.9&longitude=-1.0": list[BoundaryFound],
    "/v1/boundaries/gha": BoundaryDetail,
    "/v1/boundaries/FJI": BoundaryDetail,
    "/v1/boundaries/gha/simplified": dict[str, Any],
    "/v1/processors": list[ProcessorPublic],
    "/v1/processors/test_processor": ProcessorPublic,
    "/v1/processors/test_processor/version_1": ProcessorVersionMetadata,
    "/v1/packages": list[PackageSummary],
    "/v1/packages/gha": PackagePublic,
}


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    """The clock of :func:`client`'s read cache."""
    return ManualClock()


@pytest.fixture(scope="module")
def client(
    tmp_path_factory: pytest.TempPathFactory, source_mirror: str, clock: ManualClock
) -> Iterator[TestClient]:
    """An app with one published package (gha), its read cache on ``clock``."""
    folder = tmp_path_factory.mktemp("read-cache")
    rt = open_runtime(make_settings(folder, source_mirror=source_mirror))
    with TestClient(create_app(rt, EmbeddedExecutor(rt, workers=1), clock=clock)) as client:
        wait_until_complete(client, submit(client, "gha", OK))
        yield client


@pytest.mark.parametrize("route", ROUTES)
def test_cached_bodies_are_the_bytes_their_response_models_give(
    client: TestClient, route: str
) -> None:
    first = client.get(route)
    again = client.get(route)
    assert first.status_code == again.status_code == 200
    assert first.headers["content-type"] == "application/json"
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    # What FastAPI wrote before the cache: the response model's own JSON serialisation.
    model = TypeAdapter(ROUTES[route])
    assert model.dump_json(model.validate_json(first.content)) == first.content


@pytest.mark.parametrize("route", ROUTES)
def test_a_matching_if_none_match_is_answered_304(client: TestClient, route: str) -> None:
    etag = client.get(route).headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    for offered in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = client.get(route, headers={"If-None-Match": offered})
        assert response.status_code == 304, offered
        assert response.content == b""
        assert response.headers["etag"] == etag
    assert client.get(route, headers={"If-None-Match": '"other"'}).status_code == 200


def test_errors_are_not_cached_and_a_new_boundary_is_seen_at_once(
    tmp_path: Path, source_mirror: str
) -> None:
    rt = open_runtime(make_settings(tmp_path, source_mirror=source_mirror))
    with TestClient(create_app(rt, EmbeddedExecutor(rt, workers=0))) as client:
        listed = client.get("/v1/boundaries")
        assert client.get("/v1/boundaries/zzz").status_code == 404
        assert client.get("/v1/boundaries/search?name=zzz").json() == []
        square = [[[10.0, 10.0], [10.5, 10.0], [10.5, 10.5], [10.0, 10.5], [10.0, 10.0]]]
        feature = {
            "type": "Feature",
            "properties": {"name": "zzz", "name_long": "Zed Square"},
            "geometry": {"type": "Polygon", "coordinates": square},
        }
        upload = client.post(
            "/v1/boundaries", json={"type": "FeatureCollection", "features": [feature]}
        )
        assert upload.status_code == 200, upload.text
        assert client.get("/v1/boundaries/zzz").json()["name_long"] == "Zed Square"
        assert client.get("/v1/boundaries/search?name=zzz").json() == [
            {"name": "zzz", "name_long": "Zed Square", "admin_level": None, "parent": None}
        ]
        after = client.get("/v1/boundaries", headers={"If-None-Match": listed.headers["etag"]})
        assert after.status_code == 200
        assert after.headers["etag"] != listed.headers["etag"]
        assert {"name": "zzz", "name_long": "Zed Square"} in after.json()


def test_concurrent_requests_share_one_build_and_an_expired_body_is_served_meanwhile() -> None:
    clock = ManualClock()
    cache = ReadCache(lambda _: 0, lambda: 0, clock=clock)
    release = threading.Event()
    builds: list[int] = []

    def build() -> list[int]:
        builds.append(len(builds))
        assert release.wait(30)
        return [len(builds)]

    async def scenario() -> None:
        waiting = [asyncio.ensure_future(cache.get("k", build, ttl=0.05)) for _ in range(50)]
        await asyncio.sleep(0.2)
        assert not any(task.done() for task in waiting)  # all wait for the one build
        release.set()
        first = await asyncio.gather(*waiting)
        assert {r.body for r in first} == {b"[1]"} and builds == [0]

        # Expired by its ttl: one rebuild starts and everyone gets the last body at once.
        release.clear()
        clock.advance(0.05)
        assert cache.fresh("k") is None
        meanwhile = await asyncio.gather(*(cache.get("k", build, ttl=0.05) for _ in range(50)))
        assert {r.body for r in meanwhile} == {b"[1]"}

        async def builds_started() -> int:
            return len(builds)

        await wait_for_async(builds_started, lambda count: count >= 2, what="the rebuild started")
        # Time for a second rebuild to start, were the waiting requests to start one.
        await asyncio.sleep(0.1)
        assert builds == [0, 1]
        release.set()
        # The rebuild's body replaces the last one.
        await wait_for_async(
            lambda: cache.get("k", build, ttl=0.05),
            lambda rendered: rendered.body != b"[1]",
            what="the rebuilt body served",
        )

    asyncio.run(scenario())


def test_the_package_listing_comes_from_job_records(
    client: TestClient, clock: ManualClock, tmp_path: Path
) -> None:
    listed = [p["boundary_name"] for p in client.get("/v1/packages").json()]
    assert listed == ["gha"]
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    # A package folder put on storage by hand is not a package a job published.
    by_hand = rt.settings.packages_root / "ben"
    by_hand.mkdir()
    (by_hand / "datapackage.json").write_text('{"resources": []}')
    clock.advance(PUBLISHED_TTL_SECS)
    assert [p["boundary_name"] for p in client.get("/v1/packages").json()] == ["gha"]
    assert list_packages(rt.storage) == ["ben", "gha"]
