"""Odd paths and characters never reach a 500; every path's methods are announced."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

ODD_PATHS = [
    "/packages/%00",
    "/packages/gha%00/index.html",
    "/packages/%00/",
    "/packages/%ff%fe",
    "/packages/a%5c..%5cb",
    "/packages/%01%1f%7f",
    "/v1/packages/%00",
    "/v1/packages/gha%00",
    "/v1/packages/gha%00/zip",
    "/v1/packages/%2e%2e/zip",
    "/v1/packages/%ff/zip",
    "/v1/boundaries/%00",
    "/v1/boundaries/gha%00x",
    "/v1/boundaries/%ff%fe",
    "/v1/boundaries/search?name=%00",
    "/v1/boundaries/search?name=gh%00a",
    "/v1/boundaries/search?name=%0a",
    "/v1/boundaries/search?na%00me=gha",
    "/v1/boundaries/search?latitude=%00&longitude=0",
    "/v1/jobs/%00",
    "/v1/jobs/%ff",
    "/v1/processors/%00",
    "/v1/processors/test_processor/%00",
    "/ogc/processes/%00",
    "/ogc/jobs/%00",
    "/ogc/jobs/%00/results",
    "/packages/" + "a" * 5000,
    "/v1/boundaries/" + "%00" * 500,
]


@pytest.mark.parametrize("path", ODD_PATHS)
@pytest.mark.parametrize("method", ["GET", "DELETE", "HEAD"])
def test_odd_paths_get_a_4xx_with_a_json_detail(client: TestClient, path: str, method: str) -> None:
    response = client.request(method, path)
    assert 400 <= response.status_code < 500, (path, response.status_code, response.text)
    if method != "HEAD":
        assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize("name", ["%00", "a%00", "%00zzz", "%1b[31m"])
def test_search_refuses_control_characters_instead_of_listing_everything(
    client: TestClient, name: str
) -> None:
    response = client.get(f"/v1/boundaries/search?name={name}")
    assert response.status_code == 422
    assert response.json() == {"detail": "query parameter name: must not hold control characters"}


def test_a_path_with_a_nul_is_not_found(client: TestClient) -> None:
    response = client.get("/packages/%00")
    assert response.status_code == 404
    assert response.json() == {"detail": "no such resource: the path holds a control character"}


def test_an_uploaded_name_with_a_nul_is_refused_not_truncated(client: TestClient) -> None:
    before = client.get("/v1/boundaries/tgo").json()
    feature = {
        "type": "Feature",
        "properties": {"name": "tgo\u0000x", "name_long": "Not Togo"},
        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
    }
    response = client.post(
        "/v1/boundaries", json={"type": "FeatureCollection", "features": [feature]}
    )
    assert response.status_code == 422
    assert response.json() == {"detail": "feature 1: property 'name' contains a control character"}
    assert client.get("/v1/boundaries/tgo").json() == before


def _example(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_options_lists_every_method_of_every_route_path(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/v1/jobs/{job_id}" in paths
    for path, operations in paths.items():
        response = client.options(_example(path))
        assert response.status_code == 204, path
        allowed = {method.strip() for method in response.headers["allow"].split(",")}
        assert allowed == {method.upper() for method in operations} | {"OPTIONS"}, path
    jobs = client.options("/v1/jobs/some-id")
    assert jobs.headers["allow"] == "DELETE, GET, OPTIONS"


def test_package_files_allow_get_and_head(client: TestClient) -> None:
    response = client.options("/packages/gha/index.html")
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"


def test_a_method_not_served_lists_the_path_s_methods(client: TestClient) -> None:
    response = client.put("/v1/jobs/some-id")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, OPTIONS"
    assert response.json() == {
        "detail": "method PUT not allowed here; allowed: DELETE, GET, OPTIONS"
    }


def test_a_write_with_an_unknown_query_parameter_is_refused(client: TestClient) -> None:
    def jobs_for_ghana() -> int:
        total: int = client.get("/v1/jobs", params={"boundary_name": "gha"}).json()["total"]
        return total

    before = jobs_for_ghana()
    body = {"boundary_name": "gha", "processors": ["test_processor.version_1"]}
    typo = client.post("/v1/jobs?dryrun=true", json=body)
    assert typo.status_code == 422
    assert typo.json() == {"detail": "unknown query parameter 'dryrun': this route takes dry_run"}
    assert jobs_for_ghana() == before
    # OGC lists no 422: under /ogc the same refusal is a 400 exception document.
    for method, path, status in (
        ("DELETE", "/v1/jobs/some-job?force=true", 422),
        ("POST", "/v1/boundaries?name_colum=name", 422),
        ("POST", "/ogc/processes/test_processor.version_1/execution?sync=1", 400),
        ("DELETE", "/ogc/jobs/some-job?force=true", 400),
    ):
        refused = client.request(method, path, json={})
        assert refused.status_code == status, path
        assert refused.json()["detail"].startswith("unknown query parameter "), path
    assert client.get("/v1/processors?verbose=1").status_code == 200


def test_options_are_bounded_before_any_processor_reads_them(client: TestClient) -> None:
    processor = "test_processor.version_1"
    fields = {f"k{i}": [1] for i in range(200_000)}
    body = {"boundary_name": "gha", "processors": [processor], "options": {processor: fields}}
    refused = client.post("/v1/jobs", json=body)
    assert refused.status_code == 422
    assert refused.json() == {
        "detail": f"options.{processor}: Dictionary should have at most 20 items after "
        "validation, not more"
    }
    values = {processor: {"years": list(range(101))}}
    refused = client.post("/v1/jobs", json=body | {"options": values})
    assert refused.status_code == 422
    assert "List should have at most 100 items" in refused.json()["detail"]
    schema = client.get("/openapi.json").json()["components"]["schemas"]["JobCreate"]
    options = schema["properties"]["options"]["anyOf"][0]
    assert options["maxProperties"] == 10_000
    assert options["additionalProperties"]["maxProperties"] == 20
