"""Absolute URLs in answers come from configuration or the server, never a client's Host."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from autopkg.api.app import create_app
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.runtime import open_runtime
from tests.api.test_jobs import submit
from tests.conftest import make_settings, wait_until_complete

EVIL = {"Host": "evil.example"}
PROCESS = "test_processor.version_1"


def _links(client: TestClient, headers: dict[str, str]) -> list[str]:
    """Every absolute URL the package, processor and OGC routes answer, and a Location."""
    package = client.get("/v1/packages/ner", headers=headers).json()
    listing = client.get("/v1/packages", headers=headers).json()
    version = client.get("/v1/processors/test_processor/version_1", headers=headers).json()
    landing = client.get("/ogc", headers=headers).json()
    created = client.post(
        f"/ogc/processes/{PROCESS}/execution",
        json={"inputs": {"boundary_name": "ner"}},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    return [
        package["uri"],
        *package["datapackage"]["resources"][0]["path"],
        *(entry["uri"] for entry in listing),
        version["uri"],
        *(link["href"] for link in landing["links"]),
        created.headers["location"],
    ]


def test_a_client_host_header_is_never_reflected(
    client: TestClient, wait_for_job: Callable[..., dict[str, Any]]
) -> None:
    wait_for_job(submit(client, "ner", PROCESS))
    links = _links(client, EVIL)
    # The same links as without the header (the Location names another new job).
    assert links[:-1] == _links(client, {})[:-1]
    assert all(link.startswith("http://testserver/") for link in links), links
    # A folder URL's redirect is relative: nothing of the client's Host either.
    moved = client.get("/packages/ner", headers=EVIL, follow_redirects=False)
    assert moved.headers["location"] == "/packages/ner/"


@pytest.mark.parametrize(
    ("settings", "headers", "origin"),
    [
        ({"public_url": "https://autopkg.example.org"}, EVIL, "https://autopkg.example.org/"),
        ({"public_url": "https://autopkg.example.org/"}, {}, "https://autopkg.example.org/"),
        ({"allowed_hosts": ["api.example.org:8443"]}, EVIL, "http://testserver/"),
        (
            {"allowed_hosts": ["api.example.org:8443"]},
            {"Host": "API.example.org:8443"},
            "http://API.example.org:8443/",
        ),
    ],
)
def test_urls_follow_the_configured_origin(
    tmp_path: Path,
    source_mirror: str,
    settings: dict[str, Any],
    headers: dict[str, str],
    origin: str,
) -> None:
    rt = open_runtime(make_settings(tmp_path, source_mirror=source_mirror, **settings))
    with TestClient(create_app(rt, EmbeddedExecutor(rt, workers=1))) as client:
        wait_until_complete(client, submit(client, "ner", PROCESS))
        links = _links(client, headers)
    assert all(link.lower().startswith(origin.lower()) for link in links), links
    rt.database.dispose()
