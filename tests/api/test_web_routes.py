"""The page and the API docs are served from the package, with nothing loaded from elsewhere."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize("path", ["/", "/docs", "/redoc"])
def test_pages_load_only_local_assets(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assets = re.findall(r'(?:src|href)=["\']([^"\']+)["\']', page.text)
    assert assets
    for asset in assets:
        assert not asset.startswith(("http:", "https:", "//")), asset
        if asset.startswith(("static/", "/static/")):
            assert client.get("/" + asset.lstrip("/")).status_code == 200, asset


def test_pages_stay_out_of_the_api_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not {"/", "/docs", "/redoc"} & set(paths)
    assert "/v1/jobs" in paths
