"""Health probes and boundary routes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point, shape

from autopkg.boundaries.search import fold


def test_liveness(client: TestClient) -> None:
    response = client.get("/v1/liveness")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


def test_readiness(client: TestClient) -> None:
    response = client.get("/v1/readiness")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_boundaries_are_the_builtin_countries_ordered_by_long_name(client: TestClient) -> None:
    body = client.get("/v1/boundaries").json()
    assert len(body) > 200
    assert set(body[0]) == {"name", "name_long"}
    long_names = [item["name_long"] for item in body]
    assert long_names == sorted(long_names, key=fold)
    by_name = {item["name"]: item["name_long"] for item in body}
    assert by_name["gha"] == "Ghana"
    assert by_name["fra"] == "France"
    assert by_name["nor"] == "Norway"


def test_boundary_detail(client: TestClient) -> None:
    body = client.get("/v1/boundaries/gha").json()
    assert body["name"] == "gha"
    assert body["name_long"] == "Ghana"
    assert body["admin_level"] == 0
    assert body["geometry"]["type"] == "MultiPolygon"
    assert body["envelope"]["type"] == "Polygon"
    geometry = shape(body["geometry"])
    assert geometry.contains(Point(-1.0, 7.9))
    assert shape(body["envelope"]).bounds == pytest.approx(geometry.bounds)


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("/v1/boundaries/xyz", "unknown boundary: 'xyz'"),
        ("/v1/boundaries/GHA%00", "the path holds a control character"),
        ("/v1/boundaries/..%2F..%2Fetc", "no such resource"),
        ("/v1/boundaries/%2e%2e", "unknown boundary"),
    ],
)
def test_unknown_boundary_is_404(client: TestClient, path: str, needle: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert needle in response.json()["detail"]


def test_search_by_name_is_case_insensitive_substring(client: TestClient) -> None:
    body = client.get("/v1/boundaries/search", params={"name": "GHAN"}).json()
    assert {"name": "gha", "name_long": "Ghana", "admin_level": 0, "parent": None} in body
    assert client.get("/v1/boundaries/search", params={"name": "fra"}).json()[0]["name"] == "fra"


@pytest.mark.parametrize("wildcard", ["%", "_", "\\"])
def test_search_treats_wildcards_literally(client: TestClient, wildcard: str) -> None:
    response = client.get("/v1/boundaries/search", params={"name": wildcard})
    assert response.status_code == 200
    assert response.json() == []


def test_search_by_point(client: TestClient) -> None:
    body = client.get("/v1/boundaries/search", params={"latitude": 7.9, "longitude": -1.0}).json()
    assert body == [{"name": "gha", "name_long": "Ghana", "admin_level": 0, "parent": None}]
    ocean = client.get("/v1/boundaries/search", params={"latitude": 0, "longitude": -30})
    assert ocean.json() == []


@pytest.mark.parametrize("params", [{}, {"latitude": 5}, {"longitude": 5}, {"name": " "}])
def test_search_without_criteria_is_400(client: TestClient, params: dict[str, str | int]) -> None:
    response = client.get("/v1/boundaries/search", params=params)
    assert response.status_code == 400
    assert "name" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"latitude": 91, "longitude": 0}, "latitude"),
        ({"latitude": 0, "longitude": -181}, "longitude"),
        ({"latitude": "north", "longitude": 0}, "latitude"),
    ],
)
def test_search_out_of_range_is_422(
    client: TestClient, params: dict[str, str | int], field: str
) -> None:
    response = client.get("/v1/boundaries/search", params=params)
    assert response.status_code == 422
    assert field in response.json()["detail"]


def _feature(code: str, label: str, west: float) -> dict[str, Any]:
    square = [[[west, 1], [west + 1, 1], [west + 1, 2], [west, 2], [west, 1]]]
    return {
        "type": "Feature",
        "properties": {"code": code, "label": label},
        "geometry": {"type": "Polygon", "coordinates": square},
    }


def test_upload_boundaries_loads_good_features_and_reports_bad_ones(client: TestClient) -> None:
    collection: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [_feature("Upload-Area", "Uploaded area", -40), _feature("bad name", "x", 0)],
    }
    response = client.post(
        "/v1/boundaries",
        json=collection,
        params={"name_column": "code", "long_name_column": "label"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["loaded"] == [{"name": "upload-area", "name_long": "Uploaded area"}]
    (rejected,) = body["rejected"]
    assert rejected["row"] == 2 and "bad name" in rejected["reason"]
    detail = client.get("/v1/boundaries/upload-area").json()
    assert shape(detail["geometry"]).equals(shape(collection["features"][0]["geometry"]))
    found = client.get("/v1/boundaries/search", params={"latitude": 1.5, "longitude": -39.5})
    assert found.json() == [
        {"name": "upload-area", "name_long": "Uploaded area", "admin_level": None, "parent": None}
    ]


@pytest.mark.parametrize(
    ("body", "params", "status", "needle"),
    [
        (
            {"type": "FeatureCollection", "features": [_feature("Bad Name", "x", 0)]},
            {},
            422,
            "no boundary loaded",
        ),
        ({"type": "Polygon", "coordinates": []}, {}, 422, "FeatureCollection"),
        (
            {"type": "FeatureCollection", "features": [_feature("ok", "x", 0)]},
            {"name_column": "nope"},
            400,
            "nope",
        ),
    ],
)
def test_bad_boundary_uploads_get_4xx(
    client: TestClient, body: dict[str, object], params: dict[str, str], status: int, needle: str
) -> None:
    query = {"name_column": "code", "long_name_column": "label", **params}
    response = client.post("/v1/boundaries", json=body, params=query)
    assert response.status_code == status, response.text
    assert needle in response.json()["detail"]
